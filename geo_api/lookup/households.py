"""A household and its chain of heads, now or on a past date."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from geo_api.errors import NotFoundError
from geo_api.lookup.heads import (
    HEAD_COLUMNS,
    SERVING_HEADS,
    SERVING_OFFICERS,
    officer_summary,
    summary,
)
from geo_api.privacy import mask_address, mask_room

HOUSEHOLD_SQL = text("""
SELECT h.id, h.address, h.room, h.persons, u.id AS unit_id, u.number AS unit_number,
       b.id AS building_id, b.number AS building_number, cp.id AS compound_id,
       cp.name AS compound_name, cp.community_id, g.id AS grid_id, g.code AS grid_code,
       c.code AS community_code,
       c.name AS community_name, h.ended_on, h.ended_reason
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id JOIN grid g ON g.id = cp.grid_id
JOIN community c ON c.id = cp.community_id
WHERE h.id = :id
""")

# The assignment in force at :at (now when NULL): valid_from <= at < valid_to.
COVER_SQL = text("""
SELECT a.head_id, a.reason, a.distance_m, a.valid_from, a.valid_to, a.locked, a.changed_by
FROM assignment a
WHERE a.household_id = :id
  AND a.valid_from <= coalesce(CAST(:at AS timestamptz), now())
  AND (a.valid_to IS NULL OR a.valid_to > coalesce(CAST(:at AS timestamptz), now()))
ORDER BY a.valid_from DESC LIMIT 1
""")

# An ended household's last cover before :at (now when NULL): until when it was covered.
LAST_COVER_SQL = text("""
SELECT a.head_id, a.reason, a.distance_m, a.valid_from, a.valid_to, a.locked, a.changed_by
FROM assignment a
WHERE a.household_id = :id AND a.valid_to IS NOT NULL
  AND a.valid_to <= coalesce(CAST(:at AS timestamptz), now())
ORDER BY a.valid_to DESC, a.id DESC LIMIT 1
""")

HEAD_SQL = text(f"SELECT {HEAD_COLUMNS} FROM head_effective hd WHERE hd.id = :id")  # noqa: S608

# Building and compound heads serving now: the place's own, or the one who covers
# it for want of one (a 片长 over several buildings).
CHAIN_SQL = text(f"""
SELECT {HEAD_COLUMNS}
FROM ({SERVING_HEADS.format(compound=":compound", building=":building")}) serving
JOIN active_head hd ON hd.id = serving.id AND hd.role = serving.role
ORDER BY serving.rank DESC, hd.id
""")  # noqa: S608 - constant fragments


OFFICERS_SQL = text(SERVING_OFFICERS.format(grid=":grid"))


def household_chain(
    conn: Connection, household_id: int, at: datetime | None = None, reveal: bool = False
) -> dict[str, Any]:
    """Where a household lives, and who covers it: its unit head (at ``at`` if given,
    from the assignment history), its building head, its compound head and its grid
    officer, contacts masked. A household that moved out says when and why; its unit
    head is the last who covered it, with until when."""
    home = conn.execute(HOUSEHOLD_SQL, {"id": household_id}).mappings().first()
    if home is None:
        raise NotFoundError(f"household {household_id} does not exist")
    cover = conn.execute(COVER_SQL, {"id": household_id, "at": at}).mappings().first()
    if cover is None and home["ended_on"] is not None:
        # Ended: nobody covers it now, but the officer asks who did, and until when.
        cover = conn.execute(LAST_COVER_SQL, {"id": household_id, "at": at}).mappings().first()
    unit_head = None
    if cover is not None:
        row = conn.execute(HEAD_SQL, {"id": cover["head_id"]}).first()
        unit_head = {
            **summary(row, reveal),
            "reason": cover["reason"],
            "distance_m": cover["distance_m"],
            "since": cover["valid_from"],
            "until": cover["valid_to"],
            "locked": cover["locked"],
            "changed_by": cover["changed_by"],
        }
    chain = conn.execute(
        CHAIN_SQL, {"building": home["building_id"], "compound": home["compound_id"]}
    ).all()
    officers = conn.execute(OFFICERS_SQL, {"grid": home["grid_id"]}).all()
    shown = dict(home)
    if not reveal:  # the home, as every page shows it to a role that sees masks
        shown.update(address=mask_address(home["address"]), room=mask_room(home["room"]))
    return {
        **shown,
        "masked": not reveal,
        "at": at,
        "grid_officers": [officer_summary(o, reveal) for o in officers],
        "unit_head": unit_head,
        "building_heads": [summary(r, reveal) for r in chain if r.role == "building"],
        "compound_heads": [summary(r, reveal) for r in chain if r.role == "compound"],
    }


AREA_SQL = {
    "household": """SELECT cp.community_id, cp.grid_id FROM household h
        JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
        JOIN compound cp ON cp.id = b.compound_id WHERE h.id = :id""",
    "unit": """SELECT cp.community_id, cp.grid_id FROM unit u
        JOIN building b ON b.id = u.building_id
        JOIN compound cp ON cp.id = b.compound_id WHERE u.id = :id""",
    # Where a head serves: their unit's, building's or compound's.
    "head": """SELECT cp.community_id, cp.grid_id FROM head hd
        LEFT JOIN unit u ON u.id = hd.unit_id
        LEFT JOIN building b ON b.id = coalesce(hd.building_id, u.building_id)
        JOIN compound cp ON cp.id = coalesce(hd.compound_id, b.compound_id)
        WHERE hd.id = :id""",
}


def area_of(conn: Connection, kind: str, row_id: int) -> tuple[int, int]:
    """The community and grid of a household, unit or head; NotFoundError if there is
    none."""
    row = conn.execute(text(AREA_SQL[kind]), {"id": row_id}).first()
    if row is None:
        raise NotFoundError(f"{kind} {row_id} does not exist")
    return int(row[0]), int(row[1])
