"""Households that move out (ended, never deleted), move within the city, or change.

An ended household keeps its row and its history: who covered it until when
(its assignment closed that day, its address stamped on it). It is in no current
view from then on, its room is free, and the heads living there step down. A
household that moves within the city changes unit, room and address; its old
assignment is closed (with the old address), and both communities are re-assigned.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from geo_api.assign.move_in import UNIT_SQL
from geo_api.errors import ConflictError, InvalidInputError, NotFoundError
from geo_api.rosters.change import Change, day_of, reason_of, reassign, today, who
from geo_api.rosters.heads import end_term

MAX_PERSONS = 30
HOUSEHOLD_SQL = text("""
SELECT h.id, h.unit_id, h.room, h.household_no, h.address, h.ended_on, h.registered_on,
       cp.community_id
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id
WHERE h.id = :id
FOR UPDATE OF h
""")
# Close the current assignment, keeping the address it was made for.
CLOSE_SQL = text("""
UPDATE assignment SET valid_to = greatest(now(), valid_from), household_address = :address
WHERE household_id = :id AND valid_to IS NULL
RETURNING head_id
""")
# The serving heads who live in a household (those of a later date included).
HOME_HEADS_SQL = text("""
SELECT hd.id, hd.role, hd.unit_id, hd.building_id, hd.compound_id, hd.appointed_on
FROM head hd WHERE hd.household_id = :id AND hd.left_on IS NULL
ORDER BY hd.id
FOR UPDATE
""")
# Those of them who serve outside a community.
AWAY_SQL = text("""
SELECT hd.id FROM head hd
LEFT JOIN unit u ON u.id = hd.unit_id
LEFT JOIN building b ON b.id = coalesce(hd.building_id, u.building_id)
JOIN compound cp ON cp.id = coalesce(hd.compound_id, b.compound_id)
WHERE hd.household_id = :id AND hd.left_on IS NULL AND cp.community_id <> :community
""")


def _current(conn: Connection, household_id: int) -> Any:
    home = conn.execute(HOUSEHOLD_SQL, {"id": household_id}).first()
    if home is None:
        raise NotFoundError(f"household {household_id} does not exist")
    if home.ended_on is not None:
        raise ConflictError(f"household {household_id} moved out on {home.ended_on}")
    return home


def _end_heads(
    conn: Connection, head_ids: list[int], day: date, reason: str, by: str
) -> tuple[list[int], list[int]]:
    """End the terms of these heads; their ids and the communities they served."""
    ended, communities = [], []
    rows = conn.execute(
        text(
            "SELECT id, role, unit_id, building_id, compound_id, appointed_on FROM head "
            "WHERE id = ANY(CAST(:ids AS int[])) ORDER BY id FOR UPDATE"
        ),
        {"ids": head_ids},
    ).fetchall()
    for head in rows:
        communities.append(end_term(conn, head, max(day, head.appointed_on), reason, by))
        ended.append(int(head.id))
    return ended, communities


def end(
    conn: Connection,
    household_id: int,
    by: str,
    reason: str,
    on: date | None = None,
    reassign_now: bool = True,
) -> Change:
    """A household moves out: ended (with a reason), never deleted; its assignment is
    closed, the heads living there step down, and its community is re-assigned."""
    by, reason = who(by), reason_of(reason, "the household ends")
    home = _current(conn, household_id)
    day = day_of(conn, on, "ended_on", earliest=home.registered_on)
    if day > today(conn):
        raise InvalidInputError(f"ended_on {day} is in the future: end it on the day")
    conn.execute(
        text(
            "UPDATE household SET ended_on = :day, ended_reason = :reason, ended_by = :by "
            "WHERE id = :id"
        ),
        {"day": day, "reason": reason, "by": by, "id": household_id},
    )
    conn.execute(CLOSE_SQL, {"id": household_id, "address": home.address})
    living = [int(r.id) for r in conn.execute(HOME_HEADS_SQL, {"id": household_id})]
    ended, served = _end_heads(conn, living, day, f"household moved out: {reason}", by)
    change = Change("ended", household_id=household_id, ended_heads=ended)
    touched = [int(home.community_id), *served]
    if reassign_now:
        return reassign(conn, change, touched)
    change.communities = sorted(set(touched))
    return change


def relocate(
    conn: Connection,
    household_id: int,
    unit_id: int,
    room: str,
    by: str,
    reassign_now: bool = True,
) -> Change:
    """A household moves to another room of the city: new unit, room, address and point;
    the old assignment is closed, heads living there who would now serve another
    community step down, and both communities are re-assigned."""
    by = who(by)
    room = room.strip()
    if not room or len(room) > 16:
        raise InvalidInputError("room must be 1 to 16 characters, e.g. 501")
    home = _current(conn, household_id)
    unit = conn.execute(UNIT_SQL, {"unit": unit_id, "room": room}).first()
    if unit is None:
        raise NotFoundError(f"unit {unit_id} does not exist")
    if unit.id == home.unit_id and room == home.room:
        raise ConflictError(f"household {household_id} already lives in room {room}")
    if unit.taken:
        raise ConflictError(f"room {room} of unit {unit_id} already has a household")
    conn.execute(CLOSE_SQL, {"id": household_id, "address": home.address})
    address = (
        f"{unit.street_name}{unit.community_name}{unit.compound_name}"
        f"{unit.building_number}号楼{unit.number}单元{room}室"
    )
    conn.execute(
        text(
            "UPDATE household h SET unit_id = u.id, room = :room, address = :address, "
            "geom = ST_PointOnSurface(u.geom) FROM unit u WHERE u.id = :unit AND h.id = :id"
        ),
        {"room": room, "address": address, "unit": unit_id, "id": household_id},
    )
    community = conn.execute(
        text(
            "SELECT cp.community_id FROM unit u JOIN building b ON b.id = u.building_id "
            "JOIN compound cp ON cp.id = b.compound_id WHERE u.id = :unit"
        ),
        {"unit": unit_id},
    ).scalar_one()
    away = [int(r.id) for r in conn.execute(AWAY_SQL, {"id": household_id, "community": community})]
    ended, served = _end_heads(conn, away, today(conn), f"moved to {address}", by)
    change = Change("relocated", household_id=household_id, ended_heads=ended)
    touched = [int(home.community_id), int(community), *served]
    if reassign_now:
        return reassign(conn, change, touched)
    change.communities = sorted(set(touched))
    return change


def update(conn: Connection, household_id: int, by: str, persons: int) -> Change:
    """The number of people in a household changes (no re-assignment: heads count
    households, not people)."""
    who(by)
    if not 1 <= persons <= MAX_PERSONS:
        raise InvalidInputError(f"persons must be 1 to {MAX_PERSONS}, not {persons}")
    _current(conn, household_id)
    conn.execute(
        text("UPDATE household SET persons = :p WHERE id = :id"), {"p": persons, "id": household_id}
    )
    return Change("updated", household_id=household_id)
