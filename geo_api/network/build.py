"""Build the walking network from the roads, the compound gates and the stations.

The roads, gates, stations and buildings are read from the store, projected to
the city's metric CRS (geo_api.geo.crs.city_epsg: GEO_API_METRIC_CRS, else the
Gauss-Krüger zone in China and the UTM zone elsewhere) and noded there
(geo_api.network.noding): snapping, feet and connectors are all in metres. Ways
are joined only at shared vertices unless crossings are asked for; motorways
and trunk roads (NOT_WALKABLE) are left out. Gates and
stations join their nearest way by a straight connector; a compound with no gate
on record is entered from each of its buildings, at the building's foot on its
nearest way (kind ``building``). A gate, station or building with no way within
``SNAP_M`` stays off the network, and distances from it fall back to straight
lines. Edge lengths are metres on the geography type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import Connection, text

from geo_api.geo.crs import city_epsg, to_lonlat, to_metres
from geo_api.network.areas import build_service_areas
from geo_api.network.noding import SNAP_M, Graph, Joining, Level, node
from geo_api.network.walk import has_network

__all__ = [
    "SNAP_M",
    "NetworkReport",
    "build_network",
    "has_network",
    "network_report",
    "rebuild",
]

# The middle of everything the network is built from: where the metric CRS is chosen.
CENTRE_SQL = """
SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)) AS c FROM (
    SELECT geom FROM road UNION ALL SELECT geom FROM station
    UNION ALL SELECT geom FROM compound_gate) g) e WHERE c IS NOT NULL
"""
# Roads nobody walks along, by the kinds OSM-derived files (highway, fclass) and
# Chinese road classes use: left out of the network even when imported.
NOT_WALKABLE = ["motorway", "motorway_link", "trunk", "trunk_link", "高速公路", "快速路"]
ROADS_SQL = """
SELECT bridge, tunnel, layer, ST_AsBinary(geom) AS wkb FROM road
WHERE lower(kind) <> ALL(CAST(:not_walkable AS text[])) ORDER BY id
"""
JOININGS_SQL = """
SELECT 'gate' AS kind, compound_id AS owner, ST_AsBinary(geom) AS wkb FROM compound_gate
UNION ALL
SELECT 'station', id, ST_AsBinary(geom) FROM station
UNION ALL
SELECT 'building', b.id, ST_AsBinary(b.geom) FROM building b
WHERE NOT EXISTS (SELECT 1 FROM compound_gate g WHERE g.compound_id = b.compound_id)
"""
CLEAR = [
    "DELETE FROM network_entry",
    "DELETE FROM road_edge",
    "DELETE FROM road_vertex",
]
VERTICES_SQL = """
INSERT INTO road_vertex (id, geom)
SELECT id, ST_GeomFromWKB(wkb, 4326)
FROM unnest(CAST(:ids AS bigint[]), CAST(:wkbs AS bytea[])) AS v(id, wkb)
"""
EDGES_SQL = """
INSERT INTO road_edge (id, source, target, kind, length_m, geom)
SELECT id, source, target, kind, ST_Length(g::geography), g
FROM (SELECT id, source, target, kind, ST_GeomFromWKB(wkb, 4326) AS g
      FROM unnest(CAST(:ids AS bigint[]), CAST(:sources AS bigint[]),
                  CAST(:targets AS bigint[]), CAST(:kinds AS text[]),
                  CAST(:wkbs AS bytea[])) AS e(id, source, target, kind, wkb)) e
"""
ENTRIES_SQL = """
INSERT INTO network_entry (kind, compound_id, station_id, building_id, vertex_id, geom)
SELECT e.kind,
       CASE e.kind WHEN 'gate' THEN e.owner WHEN 'building' THEN b.compound_id END,
       CASE WHEN e.kind = 'station' THEN e.owner END,
       CASE WHEN e.kind = 'building' THEN e.owner END,
       e.vertex, ST_GeomFromWKB(e.wkb, 4326)
FROM unnest(CAST(:kinds AS text[]), CAST(:owners AS int[]), CAST(:vertices AS bigint[]),
            CAST(:wkbs AS bytea[])) AS e(kind, owner, vertex, wkb)
LEFT JOIN building b ON e.kind = 'building' AND b.id = e.owner
"""
REMEMBER_SQL = """
INSERT INTO network_build (id, node_crossings, metric_epsg, built_at)
VALUES (1, :crossings, :epsg, now())
ON CONFLICT (id) DO UPDATE SET node_crossings = excluded.node_crossings,
    metric_epsg = excluded.metric_epsg, built_at = excluded.built_at
"""


@dataclass(frozen=True)
class NetworkReport:
    """What a build made, and what it had to leave off the network."""

    roads: int
    vertices: int
    edges: int
    km: float
    gates: int
    building_entries: int
    stations: int
    stations_off: list[str]  # station names with no road within SNAP_M
    compounds_off: list[str]  # compounds with homes but no road within SNAP_M of an entry
    node_crossings: bool
    metric_epsg: int | None


def build_network(conn: Connection, *, node_crossings: bool | None = None) -> NetworkReport:
    """Rebuild the network tables from roads, gates, stations and buildings (in the
    caller's transaction: a failure leaves the previous network). ``node_crossings``
    None keeps the choice of the last build (off at first)."""
    if node_crossings is None:
        node_crossings = last_node_crossings(conn)
    for step in CLEAR:
        conn.execute(text(step))
    centre = conn.execute(text(CENTRE_SQL)).first()
    if centre is None:  # nothing to build from: an empty network
        conn.execute(text("DELETE FROM network_build"))
        return network_report(conn)
    epsg = city_epsg(float(centre[0]), float(centre[1]))
    ways, levels = _ways(conn, epsg)
    joinings = _joinings(conn, epsg)
    graph = node(ways, levels, joinings, node_crossings=node_crossings)
    _store(conn, graph, epsg)
    conn.execute(text(REMEMBER_SQL), {"crossings": node_crossings, "epsg": epsg})
    return network_report(conn)


def last_node_crossings(conn: Connection) -> bool:
    """Whether the last build noded ways where they cross (False when never built)."""
    last = conn.execute(text("SELECT node_crossings FROM network_build")).scalar_one_or_none()
    return bool(last)


def _metric(geoms: np.ndarray, epsg: int) -> np.ndarray:
    """Lon/lat shapes to metres in ``epsg``."""
    return np.asarray(
        shapely.transform(geoms, lambda xy: to_metres(xy[:, 0], xy[:, 1], epsg)), dtype=object
    )


def _ways(conn: Connection, epsg: int) -> tuple[list[shapely.LineString], list[Level]]:
    """Every part of every road as a line in metres, with its level."""
    rows = conn.execute(text(ROADS_SQL), {"not_walkable": NOT_WALKABLE}).all()
    if not rows:
        return [], []
    roads = shapely.force_2d(shapely.from_wkb([bytes(r.wkb) for r in rows]))
    parts, index = shapely.get_parts(roads, return_index=True)
    lines = _metric(parts, epsg)
    keep = shapely.length(lines) > 0
    levels = [(bool(rows[i].bridge), bool(rows[i].tunnel), int(rows[i].layer)) for i in index]
    return list(lines[keep]), [lv for lv, k in zip(levels, keep, strict=True) if k]


def _joinings(conn: Connection, epsg: int) -> list[Joining]:
    """Gates and stations (joined by connectors) and the buildings of compounds
    without gates (entered at their feet), in metres."""
    rows = conn.execute(text(JOININGS_SQL)).all()
    if not rows:
        return []
    geoms = _metric(shapely.force_2d(shapely.from_wkb([bytes(r.wkb) for r in rows])), epsg)
    return [
        Joining(r.kind, int(r.owner), g, connect=r.kind != "building")
        for r, g in zip(rows, geoms, strict=True)
    ]


def _wkb(xy: np.ndarray, epsg: int) -> list[bytes]:
    """Points in metres as lon/lat WKB."""
    if len(xy) == 0:
        return []
    return [bytes(w) for w in shapely.to_wkb(shapely.points(to_lonlat(xy, epsg)))]


def _store(conn: Connection, graph: Graph, epsg: int) -> None:
    """Write the graph, back in lon/lat; vertex k of the graph is road_vertex k + 1."""
    conn.execute(
        text(VERTICES_SQL),
        {"ids": list(range(1, len(graph.vertices) + 1)), "wkbs": _wkb(graph.vertices, epsg)},
    )
    if graph.edges:
        coords = np.concatenate([e[3] for e in graph.edges])
        which = np.repeat(np.arange(len(graph.edges)), [len(e[3]) for e in graph.edges])
        lines = shapely.linestrings(to_lonlat(coords, epsg), indices=which)
        conn.execute(
            text(EDGES_SQL),
            {
                "ids": list(range(1, len(graph.edges) + 1)),
                "sources": [e[0] + 1 for e in graph.edges],
                "targets": [e[1] + 1 for e in graph.edges],
                "kinds": [e[2] for e in graph.edges],
                "wkbs": [bytes(w) for w in shapely.to_wkb(lines)],
            },
        )
    if graph.entries:
        points = np.array([e[3] for e in graph.entries], dtype=float)
        conn.execute(
            text(ENTRIES_SQL),
            {
                "kinds": [e[0] for e in graph.entries],
                "owners": [e[1] for e in graph.entries],
                "vertices": [e[2] + 1 for e in graph.entries],
                "wkbs": _wkb(points, epsg),
            },
        )


def rebuild(conn: Connection, *, node_crossings: bool | None = None) -> NetworkReport:
    """The network and the stations' service areas, both rebuilt (after roads, gates
    or stations change)."""
    report = build_network(conn, node_crossings=node_crossings)
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
               (SELECT count(*) FROM network_entry WHERE kind = 'building') AS building_entries,
               (SELECT count(*) FROM network_entry WHERE kind = 'station') AS stations,
               ARRAY(SELECT s.name FROM station s WHERE NOT EXISTS (
                     SELECT 1 FROM network_entry e WHERE e.station_id = s.id)
                     ORDER BY s.name) AS stations_off,
               ARRAY(SELECT cp.name FROM compound cp
                     WHERE EXISTS (SELECT 1 FROM building b WHERE b.compound_id = cp.id)
                       AND NOT EXISTS (SELECT 1 FROM network_entry e
                                       WHERE e.compound_id = cp.id)
                     ORDER BY cp.name) AS compounds_off,
               coalesce((SELECT node_crossings FROM network_build), false) AS node_crossings,
               (SELECT metric_epsg FROM network_build) AS metric_epsg
    """)
    ).one()
    return NetworkReport(**row._asdict())
