"""Build the walking network from the roads, the compound gates and the stations.

Roads are noded where they cross (ST_Node), gates and stations are joined to their
nearest road by a straight connector, and the roads are split where connectors meet
them, so that every gate and station is a vertex. Lengths are metres on the
geography type. A compound with no gate on record is entered at the point of its
edge nearest a road (kind ``edge``); a gate or station with no road within
``SNAP_M`` stays off the network, and distances from it fall back to straight lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo_api.network.areas import build_service_areas
from geo_api.network.walk import has_network

SNAP_M = 300.0  # furthest a gate or station may lie from a road and still join it
GRID_DEG = 1e-9  # about 0.1 mm: endpoints this close are one vertex
# Roads nearest in degrees, of which the nearest in metres is taken: a degree of
# longitude is shorter than one of latitude away from the equator.
NEAR_IN_DEGREES = 5

# Each step is one statement, in order; temporary tables go with the transaction.
STEPS = [
    # A second build in one transaction finds the first one's tables.
    "DROP TABLE IF EXISTS pg_temp._piece, pg_temp._point, pg_temp._attach, pg_temp._line, "
    "pg_temp._end",
    "DELETE FROM network_entry",
    "DELETE FROM road_edge",
    "DELETE FROM road_vertex",
    # Roads noded where they cross or touch, as single lines.
    """CREATE TEMP TABLE _piece ON COMMIT DROP AS
       SELECT row_number() OVER () AS id, d.geom
       FROM (SELECT (ST_Dump(ST_Node(ST_Collect(ST_Force2D(part.geom))))).geom
             FROM road, LATERAL ST_Dump(road.geom) part) d
       WHERE ST_Length(d.geom) > 0""",
    "CREATE INDEX ON _piece USING gist (geom)",
    # What joins the network: gates, compounds without gates (at their edge point
    # nearest a road), and stations.
    """CREATE TEMP TABLE _point ON COMMIT DROP AS
       SELECT 'gate'::text AS kind, g.compound_id, NULL::int AS station_id, g.geom
       FROM compound_gate g
       UNION ALL
       SELECT 'edge', cp.id, NULL, ST_ClosestPoint(ST_Boundary(cp.geom), near.geom)
       FROM compound cp
       CROSS JOIN LATERAL (SELECT c.geom FROM (SELECT p.geom FROM _piece p
                                               ORDER BY p.geom <-> cp.geom LIMIT :near) c
                           ORDER BY ST_Distance(c.geom::geography, cp.geom::geography)
                           LIMIT 1) near
       WHERE NOT EXISTS (SELECT 1 FROM compound_gate g WHERE g.compound_id = cp.id)
       UNION ALL
       SELECT 'station', NULL, s.id, s.geom FROM station s""",
    # Each point's foot on its nearest road, if near enough.
    """CREATE TEMP TABLE _attach ON COMMIT DROP AS
       SELECT pt.*, near.id AS piece_id, ST_ClosestPoint(near.geom, pt.geom) AS foot
       FROM _point pt
       CROSS JOIN LATERAL (SELECT c.id, c.geom FROM (SELECT p.id, p.geom FROM _piece p
                                                     ORDER BY p.geom <-> pt.geom LIMIT :near) c
                           ORDER BY ST_Distance(c.geom::geography, pt.geom::geography)
                           LIMIT 1) near
       WHERE ST_DWithin(pt.geom::geography, ST_ClosestPoint(near.geom, pt.geom)::geography,
                        :snap)""",
    # Roads split at the feet, and the connectors from each point to its foot.
    """CREATE TEMP TABLE _line ON COMMIT DROP AS
       SELECT 'road'::text AS kind, coalesce(split.geom, p.geom) AS geom
       FROM _piece p
       LEFT JOIN LATERAL (
           SELECT (ST_Dump(ST_Split(ST_Snap(p.geom, feet.geom, :grid * 100), feet.geom))).geom
           FROM (SELECT ST_Collect(a.foot) AS geom FROM _attach a
                 WHERE a.piece_id = p.id) feet
           WHERE feet.geom IS NOT NULL) split ON true
       UNION ALL
       SELECT 'connector', ST_MakeLine(a.geom, a.foot) FROM _attach a
       WHERE NOT ST_Equals(a.geom, a.foot)""",
    """CREATE TEMP TABLE _end ON COMMIT DROP AS
       SELECT ST_SnapToGrid(ST_StartPoint(geom), :grid) AS geom FROM _line
       UNION SELECT ST_SnapToGrid(ST_EndPoint(geom), :grid) FROM _line
       UNION SELECT ST_SnapToGrid(geom, :grid) FROM _attach""",
    """INSERT INTO road_vertex (id, geom)
       SELECT row_number() OVER (ORDER BY ST_X(geom), ST_Y(geom)), geom FROM _end""",
    """INSERT INTO road_edge (id, source, target, kind, length_m, geom)
       SELECT row_number() OVER (), s.id, t.id, l.kind, ST_Length(l.geom::geography), l.geom
       FROM _line l
       JOIN road_vertex s ON s.geom = ST_SnapToGrid(ST_StartPoint(l.geom), :grid)
       JOIN road_vertex t ON t.geom = ST_SnapToGrid(ST_EndPoint(l.geom), :grid)
       WHERE s.id <> t.id""",
    """INSERT INTO network_entry (kind, compound_id, station_id, vertex_id, geom)
       SELECT a.kind, a.compound_id, a.station_id, v.id, a.geom
       FROM _attach a JOIN road_vertex v ON v.geom = ST_SnapToGrid(a.geom, :grid)""",
]


@dataclass(frozen=True)
class NetworkReport:
    """What a build made, and what it had to leave off the network."""

    roads: int
    vertices: int
    edges: int
    km: float
    gates: int
    edge_entries: int
    stations: int
    stations_off: list[str]  # station names with no road within SNAP_M
    compounds_off: list[str]  # compound names with no road within SNAP_M of a gate or edge


def build_network(conn: Connection) -> NetworkReport:
    """Rebuild the network tables from roads, gates and stations (in the caller's
    transaction: a failure leaves the previous network)."""
    params = {"snap": SNAP_M, "grid": GRID_DEG, "near": NEAR_IN_DEGREES}
    for step in STEPS:
        conn.execute(text(step), params)
    return network_report(conn)


def rebuild(conn: Connection) -> NetworkReport:
    """The network and the stations' service areas, both rebuilt (after roads, gates
    or stations change)."""
    report = build_network(conn)
    conn.execute(text("ANALYZE road_edge, road_vertex, network_entry"))
    build_service_areas(conn)
    return report


def network_report(conn: Connection) -> NetworkReport:
    """The network as it is in the store."""
    row = conn.execute(
        text("""
        SELECT (SELECT count(*) FROM road) AS roads,
               (SELECT count(*) FROM road_vertex) AS vertices,
               (SELECT count(*) FROM road_edge) AS edges,
               (SELECT coalesce(sum(length_m), 0) / 1000 FROM road_edge
                WHERE kind = 'road') AS km,
               (SELECT count(*) FROM network_entry WHERE kind = 'gate') AS gates,
               (SELECT count(*) FROM network_entry WHERE kind = 'edge') AS edge_entries,
               (SELECT count(*) FROM network_entry WHERE kind = 'station') AS stations,
               ARRAY(SELECT s.name FROM station s WHERE NOT EXISTS (
                     SELECT 1 FROM network_entry e WHERE e.station_id = s.id)
                     ORDER BY s.name) AS stations_off,
               ARRAY(SELECT cp.name FROM compound cp WHERE NOT EXISTS (
                     SELECT 1 FROM network_entry e WHERE e.compound_id = cp.id)
                     ORDER BY cp.name) AS compounds_off
    """)
    ).one()
    return NetworkReport(**row._asdict())


__all__ = ["NetworkReport", "build_network", "has_network", "network_report", "rebuild"]
