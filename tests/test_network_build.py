"""Building the walking network: junctions, connectors in metres, levels, loops,
buildings of compounds without gates, and the metric CRS."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Point
from sqlalchemy import Connection, text

from geo_api.demo.layout import METRIC_CRS, core_point
from geo_api.errors import InvalidInputError
from geo_api.geo.crs import city_epsg
from geo_api.network.build import build_network, rebuild
from geo_api.network.noding import SNAP_TOLERANCE_M
from geo_api.network.walk import WALK_SQL
from tests.network_city import UTM35N, add_road, move_city_to_finland, utm

COST_SQL = """
SELECT agg_cost FROM pgr_dijkstraCost(
    'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM road_edge',
    CAST(:a AS bigint), CAST(:b AS bigint), directed => false)
"""


def _wgs84(geom: shapely.Geometry) -> str:
    return str(gpd.GeoSeries([geom], crs=METRIC_CRS).to_crs(4326).iloc[0].wkt)


def _road(conn: Connection, ref: str, line: LineString, **levels: object) -> None:
    """A road given in the demo's metres (EPSG:4546)."""
    conn.execute(
        text(f"""INSERT INTO road (ref, geom{"".join(", " + k for k in levels)})
                 VALUES (:ref, ST_Multi(ST_GeomFromText(:g, 4326))
                 {"".join(", :" + k for k in levels)})"""),
        {"ref": ref, "g": _wgs84(line), **levels},
    )


def _station(conn: Connection, where: str) -> None:
    conn.execute(text("DELETE FROM station"))
    conn.execute(
        text("""INSERT INTO station (tier, name, floor_area_m2, geom)
                VALUES ('community', '测试站', 600, ST_GeomFromText(:g, 4326))"""),
        {"g": where},
    )


def _vertex_at(conn: Connection, where: str) -> int:
    vertex: int = conn.execute(
        text("""SELECT id FROM road_vertex
                ORDER BY geom <-> ST_GeomFromText(:g, 4326) LIMIT 1"""),
        {"g": where},
    ).scalar_one()
    return vertex


def _walk(conn: Connection, a: int, b: int) -> float | None:
    cost = conn.execute(text(COST_SQL), {"a": a, "b": b}).scalar_one_or_none()
    return None if cost is None else float(cost)


def _station_vertex(conn: Connection) -> int:
    vertex: int = conn.execute(
        text("SELECT vertex_id FROM network_entry WHERE kind = 'station'")
    ).scalar_one()
    return vertex


@pytest.fixture
def away(conn: Connection) -> Point:
    """A place 20 km east of downtown, with no roads, stations or gates near it."""
    conn.execute(text("DELETE FROM road"))
    conn.execute(text("DELETE FROM compound_gate"))
    centre = core_point()
    return Point(centre.x + 20_000, centre.y)


@pytest.mark.parametrize("offset", [0.001, 0.01, 1.0])
def test_a_point_beside_a_junction_walks_through_it(
    conn: Connection, away: Point, offset: float
) -> None:
    """A station standing 1 mm, 1 cm or 1 m along a street from a junction: the walk
    to the end of the cross street goes through the junction, not around."""
    x, y = away.x, away.y
    _road(conn, "east-west", LineString([(x - 200, y), (x, y), (x + 200, y)]))
    _road(conn, "south-north", LineString([(x, y - 200), (x, y), (x, y + 200)]))
    _station(conn, _wgs84(Point(x + offset, y)))
    report = build_network(conn)
    assert report.stations == 1
    north = _vertex_at(conn, _wgs84(Point(x, y + 200)))
    metres = _walk(conn, _station_vertex(conn), north)
    assert metres == pytest.approx(200 + offset, abs=0.02)
    # One vertex where the junction is, and a second only when the station is a metre off.
    assert report.vertices == (6 if offset > SNAP_TOLERANCE_M else 5)
    closest = conn.execute(
        text("""SELECT min(ST_Distance(a.geom::geography, b.geom::geography))
                FROM road_vertex a JOIN road_vertex b ON a.id < b.id""")
    ).scalar_one()
    assert closest >= SNAP_TOLERANCE_M


def test_ways_that_cross_without_a_shared_vertex_stay_apart(conn: Connection, away: Point) -> None:
    x, y = away.x, away.y
    _road(conn, "street", LineString([(x - 200, y), (x + 200, y)]))
    _road(conn, "over", LineString([(x, y - 200), (x, y + 200)]), bridge=True, layer=1)
    _station(conn, _wgs84(Point(x + 200, y)))
    here = _wgs84(Point(x, y + 200))
    build_network(conn)
    assert _walk(conn, _station_vertex(conn), _vertex_at(conn, here)) is None
    # Asked to join crossings: still not across levels.
    assert build_network(conn, node_crossings=True).node_crossings
    assert _walk(conn, _station_vertex(conn), _vertex_at(conn, here)) is None
    # Two streets at one level do meet where they cross, when asked.
    conn.execute(text("UPDATE road SET bridge = false, layer = 0"))
    build_network(conn)  # the choice is kept
    assert _walk(conn, _station_vertex(conn), _vertex_at(conn, here)) == pytest.approx(
        400, abs=0.05
    )
    build_network(conn, node_crossings=False)
    assert _walk(conn, _station_vertex(conn), _vertex_at(conn, here)) is None


def test_a_way_that_loops_back_keeps_its_length(conn: Connection, away: Point) -> None:
    x, y = away.x, away.y
    ring = LineString([(x, y), (x + 100, y), (x + 100, y + 100), (x, y + 100), (x, y)])
    _road(conn, "ring", ring)
    _road(conn, "spur", LineString([(x - 50, y), (x, y)]))
    _station(conn, _wgs84(Point(x - 50, y)))
    report = build_network(conn)
    assert report.km * 1000 == pytest.approx(450, abs=0.1)
    # The ring leaves and comes back to the spur's end: cut in two halves at the far
    # corner, 200 m either way round.
    far = _vertex_at(conn, _wgs84(Point(x + 100, y + 100)))
    assert _walk(conn, _station_vertex(conn), far) == pytest.approx(250, abs=0.05)
    assert report.edges == 3  # spur and two halves (the station stands on the spur's end)


def test_connectors_are_metres_at_60_north(conn: Connection) -> None:
    """At 60° N a degree of longitude is half a degree of latitude: a gate 27 m from
    a diagonal street in metres is nowhere near 27 m "in degrees"."""
    move_city_to_finland(conn)
    conn.execute(text("DELETE FROM compound_gate"))
    far = utm(Point(27.5, 60.53))  # 30 km east of the moved city
    street = LineString([(far.x - 100, far.y - 100), (far.x + 100, far.y + 100)])
    add_road(conn, "diagonal", street)
    off = 27.0 / math.sqrt(2)
    station = Point(far.x - off, far.y + off)
    conn.execute(text("DELETE FROM station"))
    conn.execute(
        text("""INSERT INTO station (tier, name, floor_area_m2, geom) VALUES
                ('community', 'Kouvola', 600, ST_Transform(ST_GeomFromText(:g, :srid), 4326))"""),
        {"g": station.wkt, "srid": UTM35N},
    )
    report = build_network(conn)
    assert report.metric_epsg == UTM35N
    connector = conn.execute(
        text("SELECT length_m FROM road_edge WHERE kind = 'connector'")
    ).scalar_one()
    assert connector == pytest.approx(27.0, abs=0.05)
    foot = conn.execute(
        text("""SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(v.geom, :srid) AS p
                FROM road_edge e JOIN road_vertex v ON v.id IN (e.source, e.target)
                WHERE e.kind = 'connector' AND v.id <> :s) f"""),
        {"srid": UTM35N, "s": _station_vertex(conn)},
    ).one()
    assert Point(foot).distance(far) < 0.05


def test_the_metric_crs_is_a_setting(conn: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    assert build_network(conn).metric_epsg == 4546  # Houma: its Gauss-Krüger zone
    monkeypatch.setenv("GEO_API_METRIC_CRS", "EPSG:4547")
    assert build_network(conn).metric_epsg == 4547
    monkeypatch.setenv("GEO_API_METRIC_CRS", "EPSG:4326")
    with pytest.raises(InvalidInputError, match="GEO_API_METRIC_CRS='EPSG:4326'"):
        build_network(conn)


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (111.365, 35.625, 4546),  # Houma
        (87.6, 43.8, 4538),  # Ürümqi, zone of 87°E
        (26.95, 60.53, 32635),  # Kouvola, Finland
        (151.2, -33.9, 32756),  # Sydney
        (-0.13, 51.5, 32630),  # London
    ],
)
def test_the_metric_crs_follows_the_city(lon: float, lat: float, epsg: int) -> None:
    assert city_epsg(lon, lat) == epsg


def test_a_compound_without_gates_enters_from_each_building(conn: Connection) -> None:
    compound = conn.execute(
        text("""SELECT g.compound_id FROM compound_gate g JOIN building b
                ON b.compound_id = g.compound_id
                GROUP BY 1 ORDER BY count(DISTINCT b.id) DESC, 1 LIMIT 1""")
    ).scalar_one()
    conn.execute(text("DELETE FROM compound_gate WHERE compound_id = :c"), {"c": compound})
    report = rebuild(conn)
    assert report.building_entries > 0 and report.compounds_off == []
    # Each building enters at the nearest point of a way to it, and nowhere else.
    rows = conn.execute(
        text("""SELECT b.id, ST_Distance(b.geom::geography, e.geom::geography) AS entry_m,
                       (SELECT min(ST_Distance(b.geom::geography, r.geom::geography))
                        FROM road_edge r WHERE r.kind = 'road'
                          AND ST_DWithin(r.geom, b.geom, 0.01)) AS nearest_m
                FROM building b JOIN network_entry e ON e.building_id = b.id
                WHERE b.compound_id = :c"""),
        {"c": compound},
    ).all()
    buildings = conn.execute(
        text("SELECT count(*) FROM building WHERE compound_id = :c"), {"c": compound}
    ).scalar_one()
    assert len(rows) == buildings >= 2
    for row in rows:
        assert row.entry_m == pytest.approx(row.nearest_m, abs=0.05), row.id


def test_motorways_are_no_walk(conn: Connection, away: Point) -> None:
    x, y = away.x, away.y
    _road(conn, "ring-road", LineString([(x - 200, y), (x + 200, y)]), kind="motorway")
    _road(conn, "lane", LineString([(x - 200, y + 100), (x + 200, y + 100)]), kind="footway")
    _station(conn, _wgs84(Point(x, y - 10)))
    report = build_network(conn)
    # The station 10 m from the motorway joins the footway 110 m away instead.
    assert report.roads == 2 and report.km * 1000 == pytest.approx(400, abs=0.1)
    connector = conn.execute(
        text("SELECT length_m FROM road_edge WHERE kind = 'connector'")
    ).scalar_one()
    assert connector == pytest.approx(110, abs=0.05)


def test_a_building_off_the_network_walks_a_straight_line(conn: Connection) -> None:
    """A compound without gates: a building with no way within reach is measured in a
    straight line, while the compound's other buildings walk the streets."""
    compound, far = conn.execute(
        text("""SELECT b.compound_id, min(b.id) FROM building b
                GROUP BY 1 HAVING count(*) >= 2 ORDER BY 1 LIMIT 1""")
    ).one()
    conn.execute(text("DELETE FROM compound_gate WHERE compound_id = :c"), {"c": compound})
    # Its outline (what joins the network) 45 km out of town; its units stay home.
    conn.execute(
        text("UPDATE building SET geom = ST_Translate(geom, 0.5, 0) WHERE id = :b"), {"b": far}
    )
    rebuild(conn)
    rows = conn.execute(
        text(
            f"SELECT w.*, u.building_id FROM ({WALK_SQL}) w JOIN unit u ON u.id = w.unit_id "
            "WHERE w.compound_id = :c"
        ),
        {
            "c": compound,
            "tiers": ["outpost", "community", "street", "city"],
            "centre_m2": None,
            "limit": 20_000,
        },
    ).all()
    methods = {r.building_id: r.method for r in rows}
    assert methods[far] == "straight"
    assert {m for b, m in methods.items() if b != far} == {"network"}
    assert all(r.metres is not None for r in rows)
