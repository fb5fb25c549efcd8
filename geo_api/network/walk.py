"""Walking distances from homes to the nearest station, along the network.

A home walks from its unit to one of its compound's entries (a gate, else the
edge point nearest a road) in a straight line, then along the streets to the
station. pgRouting's driving distance from all the stations at once (equicost)
gives every vertex its distance to the nearest one. Where there is no network,
or a compound has no entry on it, the distance is a straight line and is
labelled so (``method``). Metres throughout, on the geography type.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

EDGES_SQL = "SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM road_edge"

# Every unit's walk to the nearest station of :tiers, in metres; NULL past :limit.
# A subquery (unit_id, compound_id, households, persons, metres, method) for the
# gap finder to aggregate.
WALK_SQL = f"""
WITH reached AS MATERIALIZED (
    SELECT node, agg_cost FROM pgr_drivingDistance(
        '{EDGES_SQL}',
        ARRAY(SELECT e.vertex_id FROM network_entry e JOIN station s ON s.id = e.station_id
              WHERE s.tier = ANY(:tiers)),
        :limit, directed => false, equicost => true)
    -- pgRouting refuses an empty start list: with no station, it is not called.
    WHERE EXISTS (SELECT 1 FROM network_entry e JOIN station s ON s.id = e.station_id
                  WHERE s.tier = ANY(:tiers))),
entered AS (SELECT DISTINCT compound_id FROM network_entry WHERE compound_id IS NOT NULL),
walked AS (
    SELECT u.id AS unit_id,
           min(ST_Distance(u.geom::geography, e.geom::geography) + r.agg_cost) AS metres
    FROM unit u JOIN building b ON b.id = u.building_id
    JOIN network_entry e ON e.compound_id = b.compound_id
    JOIN reached r ON r.node = e.vertex_id
    GROUP BY u.id),
homes AS (SELECT unit_id, count(*) AS households, sum(persons) AS persons
          FROM household GROUP BY unit_id)
SELECT u.id AS unit_id, b.compound_id, homes.households, homes.persons,
       CASE WHEN en.compound_id IS NULL THEN straight.metres
            WHEN w.metres <= :limit THEN w.metres END AS metres,
       CASE WHEN en.compound_id IS NULL THEN 'straight' ELSE 'network' END AS method
FROM unit u JOIN building b ON b.id = u.building_id
JOIN homes ON homes.unit_id = u.id
LEFT JOIN entered en ON en.compound_id = b.compound_id
LEFT JOIN walked w ON w.unit_id = u.id
LEFT JOIN LATERAL (
    SELECT min(ST_Distance(u.geom::geography, s.geom::geography)) AS metres
    FROM station s WHERE s.tier = ANY(:tiers) AND en.compound_id IS NULL) straight ON true
"""  # noqa: S608 - constant SQL; tiers and limit are bound

# The same without a network: straight lines from every unit, NULL past :limit.
# Each station finds the units near it through the unit index (the bounding box of
# a geography buffer a little wider than :limit), and geography decides.
STRAIGHT_SQL = """
WITH near AS (
    SELECT u.id AS unit_id, min(ST_Distance(u.geom::geography, s.geom::geography)) AS metres
    FROM station s JOIN unit u
      ON u.geom && ST_Buffer(s.geom::geography, :limit * 1.01 + 1)::geometry
     AND ST_DWithin(u.geom::geography, s.geom::geography, :limit)
    WHERE s.tier = ANY(:tiers)
    GROUP BY u.id)
SELECT u.id AS unit_id, b.compound_id, homes.households, homes.persons, near.metres,
       'straight' AS method
FROM unit u JOIN building b ON b.id = u.building_id
JOIN (SELECT unit_id, count(*) AS households, sum(persons) AS persons
      FROM household GROUP BY unit_id) homes ON homes.unit_id = u.id
LEFT JOIN near ON near.unit_id = u.id
"""


def has_network(conn: Connection) -> bool:
    """Whether the store has a walking network to measure along."""
    return conn.execute(text("SELECT EXISTS (SELECT 1 FROM road_edge)")).scalar_one() is True


def unit_walks(conn: Connection) -> str:
    """The unit-walk subquery that fits the store: along the network, else straight."""
    return WALK_SQL if has_network(conn) else STRAIGHT_SQL
