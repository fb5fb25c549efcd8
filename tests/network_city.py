"""Helpers for the network tests: the demo city moved to Finland (60.5° N), ways
written in metres, and an independent walk with networkx over the input ways."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import networkx as nx
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point
from sqlalchemy import Connection, text

from geo_api.demo.layout import CORE_LONLAT

KOUVOLA = (26.95, 60.53)  # where pyrosm's test.osm.pbf lies
UTM35N = 32635  # the zone a build there must choose by itself
TO_UTM = Transformer.from_crs(4326, UTM35N, always_xy=True)
TO_LONLAT = Transformer.from_crs(UTM35N, 4326, always_xy=True)


def move_city_to_finland(conn: Connection) -> None:
    """Every stored shape moved by the same lon/lat offset, so that downtown Houma
    lands on Kouvola; the network and service areas are emptied (rebuilt by tests)."""
    for table in ("network_entry", "road_edge", "road_vertex", "service_area", "road"):
        conn.execute(text(f"DELETE FROM {table}"))
    columns = conn.execute(
        text("""SELECT f_table_name, f_geometry_column FROM geometry_columns
                WHERE f_table_schema = 'public' AND srid = 4326""")
    ).all()
    dx, dy = KOUVOLA[0] - CORE_LONLAT[0], KOUVOLA[1] - CORE_LONLAT[1]
    for table, column in columns:
        conn.execute(
            text(f'UPDATE "{table}" SET "{column}" = ST_Translate("{column}", :dx, :dy)'),
            {"dx": dx, "dy": dy},
        )


def utm(geom: shapely.Geometry) -> shapely.Geometry:
    """A lon/lat shape in UTM 35N metres (pyproj here, not the code under test)."""
    return shapely.transform(geom, lambda xy: np.column_stack(TO_UTM.transform(*xy.T)))


def lonlat_wkt(geom: shapely.Geometry) -> str:
    """A UTM 35N shape as lon/lat WKT."""
    back = shapely.transform(geom, lambda xy: np.column_stack(TO_LONLAT.transform(*xy.T)))
    return str(back.wkt)


def add_road(
    conn: Connection, ref: str, line: LineString, *, bridge: bool = False, layer: int = 0
) -> None:
    """A road given in UTM 35N metres."""
    conn.execute(
        text("""INSERT INTO road (ref, geom, bridge, layer)
                VALUES (:ref, ST_Multi(ST_GeomFromText(:g, 4326)), :bridge, :layer)"""),
        {"ref": ref, "g": lonlat_wkt(line), "bridge": bridge, "layer": layer},
    )


def _key(xy: Iterable[float]) -> tuple[float, float]:
    x, y = xy
    return (round(x, 3), round(y, 3))


class InputWalk:
    """Walks over the input ways themselves: vertices shared by ways (to the mm) are
    junctions, nothing else is; a point joins its nearest segment at its foot."""

    def __init__(self, lines: Iterable[LineString]) -> None:
        self.graph: nx.Graph = nx.Graph()
        for line in lines:
            coords = [_key(c) for c in line.coords]
            for a, b in itertools.pairwise(coords):
                if a != b:
                    self.graph.add_edge(a, b, weight=Point(a).distance(Point(b)))

    def join(self, geom: shapely.Geometry, *, connect: bool) -> tuple[float, float]:
        """Join a point (by a connector) or a shape (at its foot): the node it enters at."""
        best = min(
            self.graph.edges,
            key=lambda e: LineString(e).distance(geom),
        )
        segment = LineString(best)
        foot = _key(shapely.get_coordinates(shapely.shortest_line(geom, segment))[1])
        if foot not in best:
            self.graph.remove_edge(*best)
            for end in best:
                self.graph.add_edge(end, foot, weight=Point(end).distance(Point(foot)))
        if not connect:
            return foot
        here = _key(shapely.get_coordinates(geom)[0])
        if here != foot:
            self.graph.add_edge(here, foot, weight=Point(here).distance(Point(foot)))
        return here

    def from_(self, node: tuple[float, float]) -> dict[tuple[float, float], float]:
        """Metres from ``node`` to every node it reaches."""
        return dict(nx.single_source_dijkstra_path_length(self.graph, node, weight="weight"))
