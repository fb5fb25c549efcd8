"""Stations' service areas (服务范围): the ground within a walk of 300, 500 and
1,000 m of each station, as polygons to draw and export.

A service area is the part of the network a station reaches within the distance
(whole edges, and the reached end of the edge where the walk runs out), widened
by ``BAND_M`` on each side: the homes along those streets. Its household count
is exact, from the units' walks through their compounds' entries. A station off
the network gets a straight-line circle, labelled ``straight``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

from geo_api.network.walk import EDGES_SQL, start_column

REACHES_M = (300, 500, 1000)  # the 5-, 10- and 15-minute life circles (GB 50180-2018)
BAND_M = 50.0

# Every vertex within :longest of each station, from each station on its own.
REACHED = f"""WITH reached AS MATERIALIZED (
    SELECT d.{{start}} AS vertex_id, d.node, d.agg_cost FROM pgr_drivingDistance(
        '{EDGES_SQL}',
        ARRAY(SELECT vertex_id FROM network_entry WHERE kind = 'station'),
        :longest, directed => false) d
    -- pgRouting refuses an empty start list: with no station, it is not called.
    WHERE EXISTS (SELECT 1 FROM network_entry WHERE kind = 'station'))"""  # noqa: S608
# (station, reach) -> the pieces of edges reached, from each station on its own.
NETWORK_AREAS = f"""
{REACHED},
ends AS (
    SELECT vertex_id, id, geom, length_m, max(at_source) AS at_source,
           max(at_target) AS at_target
    FROM (SELECT r.vertex_id, e.id, e.geom, e.length_m, r.agg_cost AS at_source,
                 NULL::float AS at_target
          FROM reached r JOIN road_edge e ON e.source = r.node
          UNION ALL
          SELECT r.vertex_id, e.id, e.geom, e.length_m, NULL, r.agg_cost
          FROM reached r JOIN road_edge e ON e.target = r.node) sides
    GROUP BY vertex_id, id, geom, length_m),
-- How far into the edge the walk gets from each end (0 where it never gets there).
pieces AS (
    SELECT st.station_id, m.reach, ends.geom, ends.length_m,
           CASE WHEN ends.at_source IS NULL THEN 0
                ELSE greatest(least(m.reach - ends.at_source, ends.length_m), 0)
           END AS from_source,
           CASE WHEN ends.at_target IS NULL THEN 0
                ELSE greatest(least(m.reach - ends.at_target, ends.length_m), 0)
           END AS from_target
    FROM ends JOIN network_entry st ON st.kind = 'station' AND st.vertex_id = ends.vertex_id
    CROSS JOIN unnest(CAST(:reaches AS int[])) AS m(reach)),
lines AS (
    SELECT station_id, reach,
           CASE WHEN from_source + from_target >= length_m THEN geom
                ELSE ST_Collect(
                    CASE WHEN from_source > 0
                         THEN ST_LineSubstring(geom, 0, from_source / length_m) END,
                    CASE WHEN from_target > 0
                         THEN ST_LineSubstring(geom, 1 - from_target / length_m, 1) END)
           END AS geom
    FROM pieces WHERE from_source > 0 OR from_target > 0),
-- Each piece is buffered on its own in the network's metric CRS and the buffers are
-- unioned (GEOS's cascaded union): three times faster than buffering the collected
-- lines at once, and one pass over the pieces for every (station, reach).
bands AS (
    SELECT l.station_id, l.reach,
           ST_Union(ST_Buffer(ST_Transform(l.geom, nb.metric_epsg), :band, 'quad_segs=3'))
               AS geom
    FROM lines l CROSS JOIN network_build nb
    GROUP BY l.station_id, l.reach)
SELECT s.id AS station_id, m.reach AS reach_m, 'network' AS method,
       ST_Multi(ST_Transform(coalesce(ST_Union(b.geom, c.circle), c.circle), 4326)) AS geom
FROM station s CROSS JOIN network_build nb
CROSS JOIN LATERAL (SELECT ST_Buffer(ST_Transform(s.geom, nb.metric_epsg), :band,
                                     'quad_segs=3') AS circle) c
CROSS JOIN unnest(CAST(:reaches AS int[])) AS m(reach)
LEFT JOIN bands b ON b.station_id = s.id AND b.reach = m.reach
WHERE EXISTS (SELECT 1 FROM network_entry st WHERE st.station_id = s.id)
"""  # noqa: S608 - constant SQL; every value is bound
STRAIGHT_AREAS = """
SELECT s.id AS station_id, m.reach AS reach_m, 'straight' AS method,
       ST_Multi(ST_Buffer(s.geom::geography, m.reach)::geometry) AS geom
FROM station s CROSS JOIN unnest(CAST(:reaches AS int[])) AS m(reach)
WHERE NOT EXISTS (SELECT 1 FROM network_entry e WHERE e.station_id = s.id)
"""
# Households per area: by the units' own walks from the station (network), or
# within the circle (straight).
HOUSEHOLDS = f"""
{REACHED},
-- Each entry's walk to each unit behind it, measured once (not once per station
-- reaching the entry: several do, and the measure is most of the query's work).
entry_unit AS MATERIALIZED (
    SELECT e.vertex_id, u.id AS unit_id, ST_Distance(u.geom::geography, e.geom::geography) AS m
    FROM network_entry e JOIN building b ON b.compound_id = e.compound_id
     AND (e.building_id IS NULL OR e.building_id = b.id)
    JOIN unit u ON u.building_id = b.id
    WHERE e.compound_id IS NOT NULL),
unit_walk AS (
    SELECT st.station_id, eu.unit_id, min(eu.m + r.agg_cost) AS metres
    FROM reached r JOIN network_entry st ON st.kind = 'station' AND st.vertex_id = r.vertex_id
    JOIN entry_unit eu ON eu.vertex_id = r.node
    GROUP BY st.station_id, eu.unit_id),
per_unit AS (SELECT unit_id, count(*) AS n FROM household WHERE ended_on IS NULL GROUP BY unit_id),
counted AS (
    SELECT w.station_id, m.reach, sum(pu.n) AS n
    FROM unit_walk w JOIN per_unit pu ON pu.unit_id = w.unit_id
    JOIN unnest(CAST(:reaches AS int[])) AS m(reach) ON w.metres <= m.reach
    GROUP BY w.station_id, m.reach)
-- An area no home reaches any more counts 0 (not its last count).
UPDATE service_area sa SET households = coalesce(counted.n, 0)
FROM service_area a LEFT JOIN counted
  ON counted.station_id = a.station_id AND counted.reach = a.reach_m
WHERE a.method = 'network' AND sa.station_id = a.station_id AND sa.reach_m = a.reach_m
"""  # noqa: S608 - constant SQL; every value is bound
STRAIGHT_HOUSEHOLDS = """
UPDATE service_area sa SET households = (
    SELECT count(*) FROM household h JOIN station s ON s.id = sa.station_id
    WHERE h.ended_on IS NULL
      AND h.geom && ST_Buffer(s.geom::geography, sa.reach_m * 1.01 + 1)::geometry
      AND ST_DWithin(h.geom::geography, s.geom::geography, sa.reach_m))
WHERE sa.method = 'straight'
"""


def build_service_areas(conn: Connection, reaches: Sequence[int] = REACHES_M) -> int:
    """Replace every station's service areas; returns how many were made."""
    params = {"reaches": list(reaches), "longest": max(reaches), "band": BAND_M}
    start = start_column(conn)
    conn.execute(text("DELETE FROM service_area"))
    insert = "INSERT INTO service_area (station_id, reach_m, method, households, geom) "
    for sql in (NETWORK_AREAS.replace("{start}", start), STRAIGHT_AREAS):
        select = f"SELECT station_id, reach_m, method, 0, geom FROM ({sql}) a"  # noqa: S608
        conn.execute(text(insert + select), params)
    return count_households(conn, reaches)


def count_households(conn: Connection, reaches: Sequence[int] = REACHES_M) -> int:
    """Count again the households of every service area (the areas stay: homes do not
    move streets or stations); returns how many areas there are."""
    params = {"reaches": list(reaches), "longest": max(reaches)}
    conn.execute(text(HOUSEHOLDS.replace("{start}", start_column(conn))), params)
    conn.execute(text(STRAIGHT_HOUSEHOLDS))
    made: int = conn.execute(text("SELECT count(*) FROM service_area")).scalar_one()
    return made
