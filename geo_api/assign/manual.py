"""Officers' changes: move a household to another unit head, lock or unlock it.

Every change closes the current assignment and opens a new one (the history
keeps both), names who made it, and is checked against the head's hard
maximum and the community boundary. A locked assignment is kept by every run
of the engine until it is unlocked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.lookup.households import household_chain

HOUSEHOLD_SQL = text("""
SELECT h.id, h.ended_on, cp.community_id, a.id AS assignment_id, a.head_id, a.locked
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id
LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
WHERE h.id = :id
FOR UPDATE OF h
""")
HEAD_SQL = text("""
SELECT hd.id, hd.role, coalesce(hd.max_capacity, cm.unit_head_max) AS max_capacity,
       hd.left_on, cp.community_id,
       (SELECT count(*) FROM assignment a
        WHERE a.head_id = hd.id AND a.valid_to IS NULL AND a.household_id <> :household) AS load
FROM head hd JOIN unit u ON u.id = hd.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id JOIN community cm ON cm.id = cp.community_id
WHERE hd.id = :id AND hd.role = 'unit'
FOR UPDATE OF hd
""")
CLOSE_SQL = text("UPDATE assignment SET valid_to = now() WHERE id = :id")
OPEN_SQL = text("""
INSERT INTO assignment (household_id, head_id, reason, distance_m, locked, changed_by)
SELECT h.id, hd.id, :reason, ST_Distance(h.geom::geography, home.geom::geography), :locked, :by
FROM household h, head hd JOIN household home ON home.id = hd.household_id
WHERE h.id = :household AND hd.id = :head
""")


def _who(by: str) -> str:
    by = by.strip()
    if not by:
        raise InvalidInputError("say who makes the change (by): it is recorded")
    return by


def move_household(
    conn: Connection, household_id: int, head_id: int, by: str, lock: bool = True
) -> dict[str, Any]:
    """Make ``head_id`` the household's unit head (locked by default); returns its chain."""
    who = _who(by)
    home = conn.execute(HOUSEHOLD_SQL, {"id": household_id}).first()
    if home is None:
        raise NotFoundError(f"household {household_id} does not exist")
    if home.ended_on is not None:
        raise InvalidInputError(f"household {household_id} moved out on {home.ended_on}")
    head = conn.execute(HEAD_SQL, {"id": head_id, "household": household_id}).first()
    if head is None:
        raise NotFoundError(f"unit head {head_id} does not exist")
    if head.left_on is not None:
        raise InvalidInputError(f"head {head_id} stepped down on {head.left_on}")
    if head.community_id != home.community_id:
        raise InvalidInputError(
            f"head {head_id} serves another community than household {household_id}: "
            "assignments never cross a community"
        )
    if head.load + 1 > head.max_capacity:
        raise InvalidInputError(
            f"head {head_id} is full: {head.load} of at most {head.max_capacity} households"
        )
    if home.assignment_id is not None:
        conn.execute(CLOSE_SQL, {"id": home.assignment_id})
    conn.execute(
        OPEN_SQL,
        {"household": household_id, "head": head_id, "reason": "manual", "locked": lock, "by": who},
    )
    return household_chain(conn, household_id)


def set_lock(conn: Connection, household_id: int, locked: bool, by: str) -> dict[str, Any]:
    """Lock or unlock the household's current assignment, recorded as a new version."""
    who = _who(by)
    home = conn.execute(HOUSEHOLD_SQL, {"id": household_id}).first()
    if home is None:
        raise NotFoundError(f"household {household_id} does not exist")
    if home.assignment_id is None:
        raise InvalidInputError(f"household {household_id} has no unit head to lock")
    if home.locked != locked:
        conn.execute(CLOSE_SQL, {"id": home.assignment_id})
        conn.execute(
            text("""
                INSERT INTO assignment (household_id, head_id, run_id, reason, distance_m,
                                        locked, changed_by)
                SELECT household_id, head_id, run_id, reason, distance_m, :locked, :by
                FROM assignment WHERE id = :id
            """),
            {"id": home.assignment_id, "locked": locked, "by": who},
        )
    return household_chain(conn, household_id)
