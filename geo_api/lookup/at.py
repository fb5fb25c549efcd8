"""Lookup by point on a date: the street, community, grid and compound whose
boundaries were in force that day (the generation valid then, geo_api.generations),
and the building, unit, heads and officers there today.

One statement, as the current lookup: the generation is found by the date inside
it, and each level is searched among that generation's areas only inside the level
above it (by code, as generations share codes), through the same GiST indexes.
A date before the first generation finds no generation: only then is a second
statement run, to say so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from geo_api.generations.areas import BY_TABLE, valid_in_sql
from geo_api.generations.store import valid_on
from geo_api.lookup.point import POINT_TEMPLATE, check_lonlat, point_answer

GEN = "(SELECT id FROM gen)"
AT_WITH = """, gen AS (
    SELECT id, name, valid_from, valid_to FROM generation
    WHERE activated IS NOT NULL AND valid_from <= :day AND (valid_to IS NULL OR valid_to > :day)
    ORDER BY id DESC LIMIT 1)"""
# The heads in the answer are today's (of today's building and compound), so a scoped
# caller is held to today's community and grid of the building too, not only to the
# areas of that date.
AT_EXTRA = (
    "gen.id AS generation_id, gen.name AS generation_name, "
    "gen.valid_from AS generation_valid_from, gen.valid_to AS generation_valid_to, "
    "(SELECT cur.community_id FROM compound cur WHERE cur.id = b.compound_id) "
    "AS today_community_id, "
    "(SELECT cur.grid_id FROM compound cur WHERE cur.id = b.compound_id) AS today_grid_id, "
)
AT_JOINS = f"""CROSS JOIN gen
JOIN ({valid_in_sql(BY_TABLE["street"], GEN)}) s ON ST_Intersects(s.geom, p.g)
LEFT JOIN ({valid_in_sql(BY_TABLE["community"], GEN)}) c
       ON c.parent_code = s.code AND ST_Intersects(c.geom, p.g)
LEFT JOIN ({valid_in_sql(BY_TABLE["grid"], GEN)}) g
       ON g.parent_code = c.code AND ST_Intersects(g.geom, p.g)
LEFT JOIN ({valid_in_sql(BY_TABLE["compound"], GEN)}) cp
       ON cp.parent_code = g.code AND ST_Intersects(cp.geom, p.g)
"""
POINT_AT_SQL = text(
    POINT_TEMPLATE.replace("{with}", AT_WITH)
    .replace("{extra}", AT_EXTRA)
    .replace("{areas}", AT_JOINS)
)


def no_generation(conn: Connection, day: date) -> None:
    """Raise the clear answer for a date no generation covers (NotFoundError), if so."""
    valid_on(conn, day)


def lookup_point_at(
    conn: Connection, lon: float, lat: float, day: date, reveal: bool = False
) -> dict[str, Any]:
    """Everything at (lon, lat) in the boundaries valid on ``day``."""
    check_lonlat(lon, lat)
    row = conn.execute(POINT_AT_SQL, {"lon": lon, "lat": lat, "day": day}).mappings().first()
    if row is None:
        no_generation(conn, day)
    return point_answer(row, lon, lat, reveal)
