"""Walking distances from homes to the nearest station, along the network.

A home walks from its unit to one of its compound's entries in a straight line,
then along the streets to the station. A compound's entries are its gates; a
compound with no gate on record is entered from each of its buildings, at the
building's foot on its nearest way, and a home walks from its own building's.
pgRouting's driving distance from all the stations at once (equicost) gives
every vertex its distance to the nearest one. Where there is no network,
or a home's building has no entry on it, the distance is a straight line and is
labelled so (``method``). Metres throughout, on the geography type.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

EDGES_SQL = "SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM road_edge"

# The stations that serve a circle: those of :tiers, and community stations of at
# least :centre_m2 (NULL: none by area; geo_api.gaps.access.serving says the same).
SERVES_SQL = (
    "(s.tier = ANY(:tiers) OR (s.tier = 'community'"
    " AND s.floor_area_m2 >= CAST(:centre_m2 AS float8)))"
)

# Every unit's walk to the nearest station that serves, in metres; NULL past :limit.
# A station off the network counts by a straight line (and says so in ``method``).
# A subquery (unit_id, compound_id, households, persons, metres, method) for the
# gap finder to aggregate.
WALK_SQL = f"""
WITH reached AS MATERIALIZED (
    SELECT node, agg_cost FROM pgr_drivingDistance(
        '{EDGES_SQL}',
        ARRAY(SELECT e.vertex_id FROM network_entry e JOIN station s ON s.id = e.station_id
              WHERE {SERVES_SQL}),
        :limit, directed => false, equicost => true)
    -- pgRouting refuses an empty start list: with no station, it is not called.
    WHERE EXISTS (SELECT 1 FROM network_entry e JOIN station s ON s.id = e.station_id
                  WHERE {SERVES_SQL})),
-- Buildings whose homes can reach the network: through a gate of the compound, or
-- (a compound without gates) through the building's own entry.
entered AS (SELECT DISTINCT b.id AS building_id
            FROM network_entry e JOIN building b ON b.compound_id = e.compound_id
             AND (e.building_id IS NULL OR e.building_id = b.id)),
walked AS (
    SELECT u.id AS unit_id,
           min(ST_Distance(u.geom::geography, e.geom::geography) + r.agg_cost) AS metres
    FROM unit u JOIN building b ON b.id = u.building_id
    JOIN network_entry e ON e.compound_id = b.compound_id
     AND (e.building_id IS NULL OR e.building_id = b.id)
    JOIN reached r ON r.node = e.vertex_id
    GROUP BY u.id),
-- Straight lines where the network cannot answer: from units of compounds off
-- the network to any station, and from every unit to stations off it. Each station
-- finds its units through the unit index (a geography buffer's bounding box).
lines AS (
    SELECT u.id AS unit_id, true AS off,
           ST_Distance(u.geom::geography, s.geom::geography) AS metres
    FROM station s
    JOIN unit u ON u.geom && ST_Buffer(s.geom::geography, :limit * 1.01 + 1)::geometry
     AND ST_DWithin(u.geom::geography, s.geom::geography, :limit)
    WHERE {SERVES_SQL}
      AND NOT EXISTS (SELECT 1 FROM network_entry e WHERE e.station_id = s.id)
    UNION ALL
    SELECT u.id, false, ST_Distance(u.geom::geography, s.geom::geography)
    FROM unit u JOIN building b ON b.id = u.building_id
    JOIN station s ON {SERVES_SQL}
     AND ST_DWithin(u.geom::geography, s.geom::geography, :limit)
    WHERE NOT EXISTS (SELECT 1 FROM entered en WHERE en.building_id = b.id)),
straight AS (
    SELECT unit_id, min(metres) AS any_m, min(metres) FILTER (WHERE off) AS off_m
    FROM lines GROUP BY unit_id),
homes AS (SELECT unit_id, count(*) AS households, sum(persons) AS persons
          FROM household WHERE ended_on IS NULL GROUP BY unit_id)
SELECT u.id AS unit_id, b.compound_id, homes.households, homes.persons,
       CASE WHEN en.building_id IS NULL THEN st.any_m
            -- least() passes over NULLs: a walk past :limit, or no station off it
            ELSE least(CASE WHEN w.metres <= :limit THEN w.metres END, st.off_m) END AS metres,
       CASE WHEN en.building_id IS NULL THEN 'straight'
            WHEN st.off_m IS NOT NULL AND (w.metres IS NULL OR w.metres > :limit
                                           OR st.off_m < w.metres) THEN 'straight'
            ELSE 'network' END AS method
FROM unit u JOIN building b ON b.id = u.building_id
JOIN homes ON homes.unit_id = u.id
LEFT JOIN entered en ON en.building_id = b.id
LEFT JOIN walked w ON w.unit_id = u.id
LEFT JOIN straight st ON st.unit_id = u.id
"""  # noqa: S608 - constant SQL; tiers, centre_m2 and limit are bound

# The same without a network: straight lines from every unit, NULL past :limit.
# Each station finds the units near it through the unit index (the bounding box of
# a geography buffer a little wider than :limit), and geography decides.
STRAIGHT_SQL = f"""
WITH near AS (
    SELECT u.id AS unit_id, min(ST_Distance(u.geom::geography, s.geom::geography)) AS metres
    FROM station s JOIN unit u
      ON u.geom && ST_Buffer(s.geom::geography, :limit * 1.01 + 1)::geometry
     AND ST_DWithin(u.geom::geography, s.geom::geography, :limit)
    WHERE {SERVES_SQL}
    GROUP BY u.id)
SELECT u.id AS unit_id, b.compound_id, homes.households, homes.persons, near.metres,
       'straight' AS method
FROM unit u JOIN building b ON b.id = u.building_id
JOIN (SELECT unit_id, count(*) AS households, sum(persons) AS persons
      FROM household WHERE ended_on IS NULL GROUP BY unit_id) homes ON homes.unit_id = u.id
LEFT JOIN near ON near.unit_id = u.id
"""  # noqa: S608 - constant SQL; tiers, centre_m2 and limit are bound


def start_column(conn: Connection) -> str:
    """The name of pgr_drivingDistance's start vertex column: ``from_v`` up to
    pgRouting 3.5, ``start_vid`` from 3.6 (the SQL says ``{start}``)."""
    version = str(conn.execute(text("SELECT pgr_version()")).scalar_one())
    major, minor = (int(part) for part in version.split(".")[:2])
    return "start_vid" if (major, minor) >= (3, 6) else "from_v"


def has_network(conn: Connection) -> bool:
    """Whether the store has a walking network to measure along."""
    return conn.execute(text("SELECT EXISTS (SELECT 1 FROM road_edge)")).scalar_one() is True


def unit_walks(conn: Connection) -> str:
    """The unit-walk subquery that fits the store: along the network, else straight."""
    return WALK_SQL if has_network(conn) else STRAIGHT_SQL
