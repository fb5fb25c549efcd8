"""A household moves in: store it and give it a unit head at once, no full run.

The head is chosen by the first engine's rules: a head of its own unit with
room below the hard maximum (least loaded first), else the nearest head below
target in its building, then in its compound, then in its grid; never beyond
the grid.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo_api.assign.engine import LOCK_KEY
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.lookup.households import household_chain

UNIT_SQL = text("""
SELECT u.id, u.number, b.id AS building_id, b.number AS building_number, cp.id AS compound_id,
       cp.name AS compound_name, c.name AS community_name, s.name AS street_name,
       EXISTS (SELECT 1 FROM household h WHERE h.unit_id = u.id AND h.room = :room
               AND h.ended_on IS NULL) AS taken
FROM unit u JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
JOIN community c ON c.id = cp.community_id JOIN street s ON s.id = c.street_id
WHERE u.id = :unit
""")
INSERT_SQL = text("""
INSERT INTO household (unit_id, room, persons, address, geom)
SELECT u.id, :room, :persons, :address, ST_PointOnSurface(u.geom) FROM unit u WHERE u.id = :unit
RETURNING id
""")
# Own unit below the hard maximum, least loaded; else building, compound, grid,
# below target, nearest. Levels: 0 own unit, 1 building, 2 compound, 3 grid.
CHOOSE_SQL = text("""
WITH home AS (SELECT h.geom, u.id AS unit_id, u.building_id, b.compound_id, cp.grid_id
              FROM household h JOIN unit u ON u.id = h.unit_id
              JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
              WHERE h.id = :household),
candidate AS (
  SELECT hd.id, hd.capacity, hd.max_capacity,
         CASE WHEN hu.id = home.unit_id THEN 0
              WHEN hu.building_id = home.building_id THEN 1
              WHEN hb.compound_id = home.compound_id THEN 2 ELSE 3 END AS level,
         ST_Distance(home.geom::geography, seat.geom::geography) AS metres,
         (SELECT count(*) FROM assignment a
          WHERE a.head_id = hd.id AND a.valid_to IS NULL) AS load
  FROM home, active_head hd JOIN unit hu ON hu.id = hd.unit_id
  JOIN building hb ON hb.id = hu.building_id JOIN compound hc ON hc.id = hb.compound_id
  JOIN household seat ON seat.id = hd.household_id
  WHERE hd.role = 'unit' AND hc.grid_id = home.grid_id)
SELECT id, level, metres FROM candidate
WHERE load < CASE WHEN level = 0 THEN max_capacity ELSE capacity END
ORDER BY level, CASE WHEN level = 0 THEN load ELSE 0 END, metres, id
LIMIT 1
""")
REASONS = ["own_unit", "same_building", "same_compound", "same_grid"]


def move_in(conn: Connection, unit_id: int, room: str, persons: int, by: str) -> dict[str, Any]:
    """Store a new household in a unit's room and assign it; returns its chain (whose
    unit head is None when no head of its grid has room: a gap to act on)."""
    room = room.strip()
    if not room or len(room) > 16:
        raise InvalidInputError("room must be 1 to 16 characters, e.g. 501")
    if not 1 <= persons <= 30:
        raise InvalidInputError(f"persons must be 1 to 30, not {persons}")
    if not by.strip():
        raise InvalidInputError("say who records the move-in (by): it is recorded")
    # Serialised with runs and other move-ins, so two never fill the same last place.
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    unit = conn.execute(UNIT_SQL, {"unit": unit_id, "room": room}).first()
    if unit is None:
        raise NotFoundError(f"unit {unit_id} does not exist")
    if unit.taken:
        raise InvalidInputError(f"room {room} of unit {unit_id} already has a household")
    address = (
        f"{unit.street_name}{unit.community_name}{unit.compound_name}"
        f"{unit.building_number}号楼{unit.number}单元{room}室"
    )
    household = conn.execute(
        INSERT_SQL, {"unit": unit_id, "room": room, "persons": persons, "address": address}
    ).scalar_one()
    chosen = conn.execute(CHOOSE_SQL, {"household": household}).first()
    if chosen is not None:
        conn.execute(
            text(
                "INSERT INTO assignment (household_id, head_id, reason, distance_m, changed_by) "
                "VALUES (:h, :head, :reason, :metres, :by)"
            ),
            {
                "h": household,
                "head": chosen.id,
                "reason": REASONS[chosen.level],
                "metres": chosen.metres,
                "by": by.strip(),
            },
        )
    return household_chain(conn, household)
