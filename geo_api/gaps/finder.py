"""The gap finder: where the grid does not cover people.

Each gap has a type, a severity, the level responsible, the community, the
households (and persons) affected and a geometry. Distances are in metres on
the geography type, never in degrees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError, NotFoundError

STATION_REACH_M = 500.0  # the 10-minute life circle (GB 50180-2018)
STATION_MIN_AREA_M2 = 500.0  # Houma's standard for a community station
GRID_HOUSEHOLD_LIMIT = 1000  # households a grid officer can know; settable per call
STATION_TOLERANCE_M = 10.0  # a station on its community's edge (a gate) still counts as inside


@dataclass(frozen=True)
class GapType:
    """One kind of gap and the SQL that finds it."""

    name: str
    label: str  # Chinese, for the command centre
    level: str  # who is responsible: unit, building, compound or community
    ref: str  # what ref_id names: a unit, head, building, compound or station
    sql: str


GAP_TYPES: list[GapType] = [
    GapType(
        "households_without_head",
        "户无单元长",
        "unit",
        "unit",
        """
        SELECT u.id AS ref_id, cp.community_id, count(*) AS households,
               sum(h.persons) AS persons,
               CASE WHEN count(*) >= 10 THEN 'high' ELSE 'medium' END AS severity,
               format('%s%s号楼%s单元：%s户无单元长', cp.name, b.number, u.number,
                      count(*)) AS detail,
               u.geom
        FROM household h JOIN unit u ON u.id = h.unit_id
        JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
        WHERE NOT EXISTS (SELECT 1 FROM assignment a
                          WHERE a.valid_to IS NULL AND a.household_id = h.id)
        GROUP BY u.id, cp.community_id, cp.name, b.number, u.number""",
    ),
    GapType(
        "unit_without_head",
        "单元无单元长",
        "unit",
        "unit",
        """
        SELECT u.id AS ref_id, cp.community_id, count(h.id) AS households,
               coalesce(sum(h.persons), 0) AS persons, 'medium' AS severity,
               format('%s%s号楼%s单元没有单元长', cp.name, b.number, u.number) AS detail, u.geom
        FROM unit u
        JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
        LEFT JOIN household h ON h.unit_id = u.id
        WHERE NOT EXISTS (SELECT 1 FROM active_head hd WHERE hd.role = 'unit' AND hd.unit_id = u.id)
        GROUP BY u.id, cp.community_id, cp.name, b.number, u.number""",
    ),
    GapType(
        "head_over_capacity",
        "单元长超负荷",
        "unit",
        "head",
        """
        SELECT hd.id AS ref_id, cp.community_id, load.n AS households, load.persons,
               CASE WHEN load.n > hd.max_capacity THEN 'high' ELSE 'low' END AS severity,
               format('%s%s号楼%s单元单元长联系%s户（目标%s户，上限%s户）', cp.name, b.number,
                      u.number, load.n, hd.capacity, hd.max_capacity) AS detail,
               home.geom
        FROM active_head hd JOIN unit u ON u.id = hd.unit_id
        JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
        JOIN household home ON home.id = hd.household_id
        JOIN (SELECT a.head_id, count(*) AS n, sum(h.persons) AS persons
              FROM assignment a JOIN household h ON h.id = a.household_id
              WHERE a.valid_to IS NULL GROUP BY a.head_id) load ON load.head_id = hd.id
        WHERE load.n > hd.capacity""",
    ),
    GapType(
        "building_without_head",
        "楼栋无楼长",
        "building",
        "building",
        """
        SELECT b.id AS ref_id, cp.community_id, count(h.id) AS households,
               coalesce(sum(h.persons), 0) AS persons, 'medium' AS severity,
               format('%s%s号楼没有楼长', cp.name, b.number) AS detail, b.geom
        FROM building b JOIN compound cp ON cp.id = b.compound_id
        LEFT JOIN unit u ON u.building_id = b.id LEFT JOIN household h ON h.unit_id = u.id
        WHERE NOT EXISTS (SELECT 1 FROM active_head hd WHERE hd.role = 'building'
                          AND hd.building_id = b.id)
          AND NOT EXISTS (SELECT 1 FROM place_cover pc JOIN active_head hd ON hd.id = pc.head_id
                          WHERE pc.level = 'building' AND pc.valid_to IS NULL
                            AND pc.building_id = b.id)
        GROUP BY b.id, cp.community_id, cp.name, b.number""",
    ),
    GapType(
        "compound_without_head",
        "小区无小区长",
        "compound",
        "compound",
        """
        SELECT cp.id AS ref_id, cp.community_id, count(h.id) AS households,
               coalesce(sum(h.persons), 0) AS persons, 'high' AS severity,
               format('%s没有小区长', cp.name) AS detail, cp.geom
        FROM compound cp LEFT JOIN building b ON b.compound_id = cp.id
        LEFT JOIN unit u ON u.building_id = b.id LEFT JOIN household h ON h.unit_id = u.id
        WHERE NOT EXISTS (SELECT 1 FROM active_head hd WHERE hd.role = 'compound'
                          AND hd.compound_id = cp.id)
          AND NOT EXISTS (SELECT 1 FROM place_cover pc JOIN active_head hd ON hd.id = pc.head_id
                          WHERE pc.level = 'compound' AND pc.valid_to IS NULL
                            AND pc.compound_id = cp.id)
        GROUP BY cp.id, cp.community_id, cp.name""",
    ),
    GapType(
        "grid_without_officer",
        "网格无网格员",
        "community",
        "grid",
        """
        SELECT g.id AS ref_id, g.community_id, count(h.id) AS households,
               coalesce(sum(h.persons), 0) AS persons, 'high' AS severity,
               format('%s没有网格员', g.name) AS detail, g.geom
        FROM grid g LEFT JOIN compound cp ON cp.grid_id = g.id
        LEFT JOIN building b ON b.compound_id = cp.id
        LEFT JOIN unit u ON u.building_id = b.id LEFT JOIN household h ON h.unit_id = u.id
        WHERE NOT EXISTS (SELECT 1 FROM grid_officer o WHERE o.grid_id = g.id
                          AND (o.left_on IS NULL OR o.left_on > current_date))
          AND NOT EXISTS (SELECT 1 FROM place_cover pc JOIN grid_officer o ON o.id = pc.officer_id
                          WHERE pc.level = 'grid' AND pc.valid_to IS NULL AND pc.grid_id = g.id
                            AND (o.left_on IS NULL OR o.left_on > current_date))
        GROUP BY g.id, g.community_id, g.name""",
    ),
    GapType(
        "compound_far_from_station",
        "小区远离服务站",
        "community",
        "compound",
        """
        SELECT cp.id AS ref_id, cp.community_id, hh.n AS households, hh.persons,
               CASE WHEN near.m > 2 * :reach THEN 'high' ELSE 'medium' END AS severity,
               format('%s距最近的社区党群服务站%s米（标准%s米）', cp.name,
                      round(near.m::numeric), round(CAST(:reach AS numeric))) AS detail,
               cp.geom
        FROM compound cp
        CROSS JOIN LATERAL (
            SELECT min(ST_Distance(ST_Centroid(cp.geom)::geography, s.geom::geography)) AS m
            FROM station s WHERE s.tier = 'community') near
        CROSS JOIN LATERAL (
            SELECT count(h.id) AS n, coalesce(sum(h.persons), 0) AS persons
            FROM building b JOIN unit u ON u.building_id = b.id
            JOIN household h ON h.unit_id = u.id WHERE b.compound_id = cp.id) hh
        WHERE near.m IS NULL OR near.m > :reach""",
    ),
    GapType(
        "station_below_standard",
        "服务站面积不达标",
        "community",
        "station",
        """
        SELECT s.id AS ref_id, s.community_id, 0 AS households, 0 AS persons,
               'medium' AS severity,
               format('%s面积%s平方米，低于%s平方米标准', s.name, round(s.floor_area_m2::numeric),
                      round(CAST(:area AS numeric))) AS detail, s.geom
        FROM station s WHERE s.tier = 'community' AND s.floor_area_m2 < :area""",
    ),
    GapType(
        "community_without_station",
        "社区无服务站",
        "community",
        "community",
        """
        SELECT c.id AS ref_id, c.id AS community_id, count(h.id) AS households,
               coalesce(sum(h.persons), 0) AS persons, 'high' AS severity,
               format('%s没有社区党群服务站', c.name) AS detail, c.geom
        FROM community c LEFT JOIN compound cp ON cp.community_id = c.id
        LEFT JOIN building b ON b.compound_id = cp.id LEFT JOIN unit u ON u.building_id = b.id
        LEFT JOIN household h ON h.unit_id = u.id
        WHERE NOT EXISTS (SELECT 1 FROM station s WHERE s.tier = 'community'
                          AND s.community_id = c.id)
        GROUP BY c.id, c.name""",
    ),
    GapType(
        "station_outside_community",
        "服务站不在所服务社区内",
        "community",
        "station",
        """
        SELECT s.id AS ref_id, s.community_id, 0 AS households, 0 AS persons,
               'medium' AS severity,
               format('%s在%s之外%s米', s.name, c.name,
                      round(ST_Distance(s.geom::geography, c.geom::geography)::numeric)) AS detail,
               s.geom
        FROM station s JOIN community c ON c.id = s.community_id
        WHERE s.tier IN ('community', 'outpost') AND NOT ST_Covers(c.geom, s.geom)
          AND ST_Distance(s.geom::geography, c.geom::geography) > :tolerance""",
    ),
    GapType(
        "grid_over_households",
        "网格户数超标",
        "community",
        "grid",
        """
        SELECT g.id AS ref_id, g.community_id, count(h.id) AS households,
               coalesce(sum(h.persons), 0) AS persons,
               CASE WHEN count(h.id) > 1.5 * :grid_limit THEN 'high' ELSE 'medium' END AS severity,
               format('%s有%s户，超过%s户的上限', g.name, count(h.id), :grid_limit) AS detail,
               g.geom
        FROM grid g JOIN compound cp ON cp.grid_id = g.id JOIN building b ON b.compound_id = cp.id
        JOIN unit u ON u.building_id = b.id JOIN household h ON h.unit_id = u.id
        GROUP BY g.id, g.community_id, g.name HAVING count(h.id) > :grid_limit""",
    ),
]
GAP_NAMES = [g.name for g in GAP_TYPES]
COLUMNS = [
    "type",
    "label",
    "severity",
    "level",
    "ref_type",
    "ref_id",
    "community_code",
    "community_name",
    "households",
    "persons",
    "detail",
    "geometry",
]


def find_gaps(
    conn: Connection,
    types: Iterable[str] | None = None,
    community: str | None = None,
    severity: str | None = None,
    grid_limit: int = GRID_HOUSEHOLD_LIMIT,
) -> gpd.GeoDataFrame:
    """Every gap of the chosen types (default: all) in EPSG:4326, worst first; a grid
    with more than ``grid_limit`` households is a gap."""
    chosen = list(types) if types else GAP_NAMES
    unknown = sorted(set(chosen) - set(GAP_NAMES))
    if unknown:
        raise InvalidInputError(
            f"unknown gap type {', '.join(unknown)}; known: {', '.join(GAP_NAMES)}"
        )
    if community is not None:
        known = conn.execute(text("SELECT 1 FROM community WHERE code = :c"), {"c": community})
        if known.first() is None:
            raise NotFoundError(f"no community has the code {community!r} (12 digits)")
    if grid_limit < 1:
        raise InvalidInputError(f"grid_limit must be at least 1 household, not {grid_limit}")
    params = {
        "reach": STATION_REACH_M,
        "area": STATION_MIN_AREA_M2,
        "grid_limit": grid_limit,
        "tolerance": STATION_TOLERANCE_M,
    }
    frames = []
    for gap in GAP_TYPES:
        if gap.name not in chosen:
            continue
        sql = f"""
            SELECT :type AS type, :label AS label, g.severity, :level AS level,
                   :ref AS ref_type, g.ref_id,
                   c.code AS community_code, c.name AS community_name,
                   g.households::int AS households, g.persons::int AS persons, g.detail, g.geom
            FROM ({gap.sql}) g JOIN community c ON c.id = g.community_id
            WHERE (CAST(:community AS text) IS NULL OR c.code = :community)
        """  # noqa: S608 - gap SQL is the constant above; every value is bound
        frame = gpd.read_postgis(
            text(sql),
            conn,
            geom_col="geom",
            params={
                **params,
                "type": gap.name,
                "label": gap.label,
                "level": gap.level,
                "ref": gap.ref,
                "community": community,
            },
        )
        frames.append(frame.rename_geometry("geometry"))
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=4326)
    if severity:
        out = out[out["severity"] == severity]
    rank = out["severity"].map({"high": 0, "medium": 1, "low": 2})
    out = out.assign(_rank=rank).sort_values(["_rank", "households"], ascending=[True, False])
    return out.drop(columns="_rank").reset_index(drop=True)[COLUMNS]


def summary(gaps: gpd.GeoDataFrame) -> pd.DataFrame:
    """Gap counts per community (rows) and type (columns)."""
    table = pd.crosstab(gaps["community_name"], gaps["type"]).rename_axis("社区")
    return table.reindex(columns=[n for n in GAP_NAMES if n in table.columns])
