"""Lookup by point: the street, community, grid, compound, building and unit
at a coordinate, and the heads of each level."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError, OutsideCityError
from geo_api.lookup.heads import (
    HEAD_COLUMNS,
    SERVING_HEADS,
    SERVING_OFFICERS,
    SERVING_UNIT_HEAD,
    officer_summary,
    summary,
)

# One round trip: each level is searched only inside the level above it, and the
# heads of the compound, building and unit (each by its own index) and the grid's
# officers come along.
POINT_TEMPLATE = f"""
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g){{with}}
SELECT {{extra}}heads.list AS heads, officers.list AS officers,
       s.id AS street_id, s.code AS street_code, s.name AS street_name,
       c.id AS community_id, c.code AS community_code, c.name AS community_name,
       g.id AS grid_id, g.code AS grid_code, g.name AS grid_name,
       cp.id AS compound_id, cp.code AS compound_code, cp.name AS compound_name,
       b.id AS building_id, b.number AS building_number,
       u.id AS unit_id, u.number AS unit_number
FROM p
{{areas}}LEFT JOIN building b ON b.compound_id = cp.id AND ST_Intersects(b.geom, p.g)
LEFT JOIN unit u ON u.building_id = b.id AND ST_Intersects(u.geom, p.g)
LEFT JOIN LATERAL (
    SELECT json_agg(row_to_json(x) ORDER BY x.rank, x.id) AS list FROM (
        SELECT serving.rank, {HEAD_COLUMNS}
        FROM ({SERVING_HEADS.format(compound="cp.id", building="b.id")}
              {SERVING_UNIT_HEAD.format(unit="u.id")}) serving
        JOIN active_head hd ON hd.id = serving.id AND hd.role = serving.role
    ) x
) heads ON true
LEFT JOIN LATERAL (
    SELECT json_agg(row_to_json(o)) AS list FROM ({SERVING_OFFICERS.format(grid="g.id")}) o
) officers ON true
ORDER BY s.id LIMIT 1
"""  # noqa: S608 - constant fragments
# The current areas, each searched inside the one above (geo_api.lookup.at has those
# of another date).
AREA_JOINS = """JOIN street s ON ST_Intersects(s.geom, p.g)
LEFT JOIN community c ON c.street_id = s.id AND ST_Intersects(c.geom, p.g)
LEFT JOIN grid g ON g.community_id = c.id AND ST_Intersects(g.geom, p.g)
LEFT JOIN compound cp ON cp.grid_id = g.id AND ST_Intersects(cp.geom, p.g)
"""
POINT_SQL = text(
    POINT_TEMPLATE.replace("{with}", "").replace("{extra}", "").replace("{areas}", AREA_JOINS)
)

LEVELS = ("street", "community", "grid", "compound", "building", "unit")
# Each level's fields and the columns of POINT_SQL's row they come from (the busiest
# route shapes every answer with them: worked out once, not per row).
_ALIASES = re.findall(rf"\bAS ((?:{'|'.join(LEVELS)})_\w+)", POINT_SQL.text)
LEVEL_COLUMNS = tuple(
    (level, tuple((c.removeprefix(f"{level}_"), c) for c in _ALIASES if c.startswith(f"{level}_")))
    for level in LEVELS
)


def check_lonlat(lon: float, lat: float) -> None:
    """Reject coordinates that are not a WGS 84 longitude and latitude."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInputError(f"coordinate ({lon}, {lat}) is not a finite number")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        hint = " (swapped? lon comes first)" if -90 <= lon <= 90 and -180 <= lat <= 180 else ""
        raise InvalidInputError(
            f"coordinate ({lon}, {lat}) is not a WGS 84 longitude/latitude{hint}"
        )


def point_answer(
    row: Mapping[Any, Any] | None, lon: float, lat: float, reveal: bool
) -> dict[str, Any]:
    """The answer from POINT_SQL's row: each level (None where the point is in no such
    area) and the heads of the compound, building and unit, contacts masked unless
    ``reveal``."""
    if row is None:
        raise OutsideCityError(f"coordinate ({lon}, {lat}) lies outside every street of the city")
    result: dict[str, Any] = {"lon": lon, "lat": lat}
    for level, columns in LEVEL_COLUMNS:
        fields = {field: row[column] for field, column in columns}
        result[level] = fields if fields["id"] is not None else None
    if "generation_id" in row:  # asked for a date (geo_api.lookup.at)
        result["generation"] = {
            "id": row["generation_id"],
            "name": row["generation_name"],
            "valid_from": row["generation_valid_from"],
            "valid_to": row["generation_valid_to"],
        }
    result["heads"] = [summary(SimpleNamespace(**h), reveal) for h in row["heads"] or []]
    result["grid_officers"] = [
        officer_summary(SimpleNamespace(**o), reveal) for o in row["officers"] or []
    ]
    return result


def lookup_point(conn: Connection, lon: float, lat: float, reveal: bool = False) -> dict[str, Any]:
    """Everything at (lon, lat): each level, the heads of the compound, building and
    unit, and the grid's officers. (The API runs POINT_SQL on its own async pool and
    shapes the row the same way.)"""
    check_lonlat(lon, lat)
    row = conn.execute(POINT_SQL, {"lon": lon, "lat": lat}).mappings().first()
    return point_answer(row, lon, lat, reveal)
