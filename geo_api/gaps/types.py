"""The gaps in who covers whom: households, heads, places and stations.

Each gap type is one SQL query returning (ref_id, community_id, households,
persons, severity, detail, geom); geo_api.gaps.finder runs and joins them.
"""

from __future__ import annotations

from dataclasses import dataclass

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


COVERAGE_GAPS: list[GapType] = [
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
        WHERE h.ended_on IS NULL AND NOT EXISTS (SELECT 1 FROM assignment a
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
        LEFT JOIN household h ON h.unit_id = u.id AND h.ended_on IS NULL
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
        LEFT JOIN unit u ON u.building_id = b.id
        LEFT JOIN household h ON h.unit_id = u.id AND h.ended_on IS NULL
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
        LEFT JOIN unit u ON u.building_id = b.id
        LEFT JOIN household h ON h.unit_id = u.id AND h.ended_on IS NULL
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
        LEFT JOIN unit u ON u.building_id = b.id
        LEFT JOIN household h ON h.unit_id = u.id AND h.ended_on IS NULL
        WHERE NOT EXISTS (SELECT 1 FROM grid_officer o WHERE o.grid_id = g.id
                          AND (o.left_on IS NULL OR o.left_on > china_today()))
          AND NOT EXISTS (SELECT 1 FROM place_cover pc JOIN grid_officer o ON o.id = pc.officer_id
                          WHERE pc.level = 'grid' AND pc.valid_to IS NULL AND pc.grid_id = g.id
                            AND (o.left_on IS NULL OR o.left_on > china_today()))
        GROUP BY g.id, g.community_id, g.name""",
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
        LEFT JOIN household h ON h.unit_id = u.id AND h.ended_on IS NULL
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
        JOIN unit u ON u.building_id = b.id
        JOIN household h ON h.unit_id = u.id AND h.ended_on IS NULL
        GROUP BY g.id, g.community_id, g.name HAVING count(h.id) > :grid_limit""",
    ),
]
