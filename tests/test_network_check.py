"""Independent checks of the walking network, in a city at 60.5° N (the demo city
moved to Kouvola, Finland): networkx over the stored edges equals pgRouting, and
networkx over the input ways (junctions only at shared vertices, a bridge, a way
that loops, a compound without gates) agrees with the walks within 1%. Then the
roads of pyrosm's test extract of Kouvola, imported from the .osm.pbf itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pandas as pd
import pyrosm
import pytest
import shapely
from shapely.geometry import LineString, Point
from sqlalchemy import Connection, text

from geo_api.importer.osm import WALKABLE, walkable
from geo_api.importer.read import ImportFileError, open_source
from geo_api.importer.run import import_file
from geo_api.network.build import rebuild
from geo_api.network.walk import WALK_SQL
from tests.network_city import UTM35N, InputWalk, add_road, move_city_to_finland, utm

EXTRACT = Path(pyrosm.__file__).parent / "data" / "test.osm.pbf"
WITHIN = {"tiers": ["community", "street", "city", "outpost"], "centre_m2": None, "limit": 5000}


@dataclass
class SmallCity:
    """Two compounds inside a ring road, one entered by a gate, one without gates."""

    gated: int
    open_: int
    ways: list[LineString]  # UTM 35N metres
    station: Point
    gate: Point


def _compound(conn: Connection, compound_id: int) -> shapely.Geometry:
    wkb = conn.execute(
        text("SELECT ST_AsBinary(geom) FROM compound WHERE id = :c"), {"c": compound_id}
    ).scalar_one()
    return utm(shapely.from_wkb(bytes(wkb)))


@pytest.fixture
def small(conn: Connection) -> SmallCity:
    move_city_to_finland(conn)
    gated, open_ = conn.execute(
        text("""SELECT cp.id FROM compound cp
                WHERE EXISTS (SELECT 1 FROM building b JOIN unit u ON u.building_id = b.id
                              JOIN household h ON h.unit_id = u.id
                              WHERE b.compound_id = cp.id)
                ORDER BY cp.id LIMIT 2""")
    ).scalars()
    conn.execute(text("DELETE FROM compound_gate WHERE compound_id <> :c"), {"c": gated})
    conn.execute(
        text("""DELETE FROM compound_gate WHERE id <> (SELECT min(id) FROM compound_gate)""")
    )
    both = shapely.union(_compound(conn, gated), _compound(conn, open_))
    x0, y0, x1, y1 = shapely.bounds(both.buffer(40))
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    # One way round both compounds, back to where it began, with vertices where the
    # cross streets meet it.
    ring = LineString(
        [(x0, y0), (xm, y0), (x1, y0), (x1, ym), (x1, y1), (xm, y1), (x0, y1), (x0, ym), (x0, y0)]
    )
    middle = LineString([(xm, y0), (xm, y1)])
    bridge = LineString([(x0, ym), (x1, ym)])  # over the middle street, not meeting it
    ways = [ring, middle, bridge]
    add_road(conn, "ring", ring)
    add_road(conn, "middle", middle)
    add_road(conn, "bridge", bridge, bridge=True, layer=1)
    gate_wkb = conn.execute(text("SELECT ST_AsBinary(geom) FROM compound_gate")).scalar_one()
    station = Point(x0 + (x1 - x0) / 4, y1 + 15)
    conn.execute(text("DELETE FROM station WHERE id <> (SELECT min(id) FROM station)"))
    conn.execute(
        text("""UPDATE station SET tier = 'community',
                geom = ST_Transform(ST_GeomFromText(:g, :srid), 4326)"""),
        {"g": station.wkt, "srid": UTM35N},
    )
    rebuild(conn, node_crossings=True)  # crossings asked for: the bridge still stays apart
    return SmallCity(gated, open_, ways, station, utm(shapely.from_wkb(bytes(gate_wkb))))


def _walks(conn: Connection) -> dict[int, float]:
    rows = conn.execute(text(WALK_SQL), WITHIN).all()
    return {r.unit_id: r.metres for r in rows if r.method == "network"}


def _units(conn: Connection, compound_id: int) -> list[tuple[int, int, shapely.Geometry]]:
    rows = conn.execute(
        text("""SELECT u.id, u.building_id, ST_AsBinary(u.geom) AS wkb FROM unit u
                JOIN building b ON b.id = u.building_id WHERE b.compound_id = :c"""),
        {"c": compound_id},
    ).all()
    return [(r.id, r.building_id, utm(shapely.from_wkb(bytes(r.wkb)))) for r in rows]


def _stored_graph(conn: Connection) -> nx.Graph:
    """The stored edges as an undirected graph; of parallel edges the shorter counts."""
    graph = nx.Graph()
    for source, target, metres in conn.execute(
        text("SELECT source, target, length_m FROM road_edge")
    ):
        if not graph.has_edge(source, target) or graph[source][target]["weight"] > metres:
            graph.add_edge(source, target, weight=metres)
    return graph


def test_pgrouting_equals_networkx_over_the_stored_edges(
    conn: Connection, small: SmallCity
) -> None:
    graph = _stored_graph(conn)
    start = conn.execute(
        text("SELECT vertex_id FROM network_entry WHERE kind = 'station'")
    ).scalar_one()
    along = nx.single_source_dijkstra_path_length(graph, start, weight="weight")
    legs = conn.execute(
        text("""SELECT u.id, e.vertex_id, ST_Distance(u.geom::geography, e.geom::geography) AS leg
                FROM unit u JOIN building b ON b.id = u.building_id
                JOIN network_entry e ON e.compound_id = b.compound_id
                 AND (e.building_id IS NULL OR e.building_id = b.id)
                WHERE b.compound_id IN (:a, :b)"""),
        {"a": small.gated, "b": small.open_},
    ).all()
    expected: dict[int, float] = {}
    for unit, vertex, leg in legs:
        if vertex in along:
            expected[unit] = min(expected.get(unit, float("inf")), leg + along[vertex])
    walks = _walks(conn)
    assert expected
    for unit, metres in expected.items():
        assert walks[unit] == pytest.approx(metres, abs=0.01), unit


def test_walks_agree_with_a_walk_over_the_input_ways(conn: Connection, small: SmallCity) -> None:
    walk = InputWalk(small.ways)
    station = walk.join(small.station, connect=True)
    gate = walk.join(small.gate, connect=True)
    feet: dict[int, tuple[float, float]] = {}
    for building, wkb in conn.execute(
        text("SELECT id, ST_AsBinary(geom) FROM building WHERE compound_id = :c"),
        {"c": small.open_},
    ):
        feet[building] = walk.join(utm(shapely.from_wkb(bytes(wkb))), connect=False)
    along = walk.from_(station)
    walks = _walks(conn)
    compared = 0
    for unit, _, shape in _units(conn, small.gated):
        if unit in walks:
            expected = shape.distance(Point(gate)) + along[gate]
            assert walks[unit] == pytest.approx(expected, rel=0.01), unit
            compared += 1
    for unit, building, shape in _units(conn, small.open_):
        if unit in walks:
            foot = feet[building]
            expected = shape.distance(Point(foot)) + along[foot]
            assert walks[unit] == pytest.approx(expected, rel=0.01), unit
            compared += 1
    assert compared >= 2
    # The bridge meets the middle street only at its ends, never where it passes over.
    over = shapely.intersection(small.ways[1], small.ways[2])
    near = conn.execute(
        text("""SELECT count(*) FROM road_vertex
                WHERE ST_DWithin(ST_Transform(geom, :srid), ST_GeomFromText(:g, :srid), 1)"""),
        {"srid": UTM35N, "g": over.wkt},
    ).scalar_one()
    assert near == 0


def test_roads_straight_from_an_osm_extract(conn: Connection) -> None:
    """pyrosm's test extract of Kouvola: the walkable ways, with their levels."""
    move_city_to_finland(conn)
    report = import_file(conn, "roads", EXTRACT)
    roads = conn.execute(
        text("SELECT ref, kind, bridge, tunnel, layer, ST_Length(geom::geography) AS m FROM road")
    ).all()
    assert report.rows_landed == len(roads) > 100
    assert {r.kind for r in roads} <= WALKABLE
    assert "motorway" not in {r.kind for r in roads}
    # pyrosm's own reader of the same file agrees on the ways, their kinds and levels.
    ways = pyrosm.OSM(str(EXTRACT)).get_network(network_type="all", extra_attributes=["layer"])
    theirs = {f"way/{int(w.id)}": w for w in ways.itertuples()}
    for road in roads:
        way = theirs[road.ref]
        assert way.highway == road.kind
        assert (way.bridge == "yes") == road.bridge
        assert (way.tunnel == "yes") == road.tunnel
        assert (0 if pd.isna(way.layer) else int(way.layer)) == road.layer
    assert sum(r.bridge for r in roads) >= 1 and sum(r.tunnel for r in roads) >= 1
    # The network built from them is measured in UTM 35N, and pgRouting agrees with
    # networkx over its edges.
    built = rebuild(conn)
    assert built.metric_epsg == UTM35N and built.edges > len(roads)
    graph = _stored_graph(conn)
    start = max(graph.degree, key=lambda d: d[1])[0]
    along = nx.single_source_dijkstra_path_length(graph, start, weight="weight")
    theirs_m = dict(
        conn.execute(
            text("""SELECT node, agg_cost FROM pgr_drivingDistance(
                    'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost
                     FROM road_edge', CAST(:s AS bigint), 1e9, directed => false)"""),
            {"s": start},
        ).all()
    )
    assert len(theirs_m) == len(along) > 10
    for vertex, metres in along.items():
        assert theirs_m[vertex] == pytest.approx(metres, abs=0.01)


@pytest.mark.parametrize(
    ("tags", "walked"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "residential", "bridge": "yes", "layer": "1"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "trunk_link"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "cycleway", "foot": "no"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_which_osm_ways_are_walked(tags: dict[str, str], walked: bool) -> None:
    assert walkable(tags) is walked


def test_a_file_that_is_not_osm_is_named(tmp_path: Path) -> None:
    path = tmp_path / "roads.osm.pbf"
    path.write_bytes(b"not an extract")
    with pytest.raises(ImportFileError, match=r"roads\.osm\.pbf: not a readable OpenStreetMap"):
        open_source(path)
