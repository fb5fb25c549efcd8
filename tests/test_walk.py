"""Walking distance along a hand-built network, service areas, and the reach gaps."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point
from sqlalchemy import Connection, text

from geo_api.demo.layout import METRIC_CRS
from geo_api.gaps.finder import find_gaps
from geo_api.network.areas import count_households
from geo_api.network.build import SNAP_M, build_network, rebuild
from geo_api.network.walk import STRAIGHT_SQL, WALK_SQL

TEN_MINUTES = {"tiers": ["community", "street", "city"], "centre_m2": None, "limit": 5000}


@dataclass
class Detour:
    """A compound whose only station is 400 m from its gate as the crow flies and
    900 m on foot: down 250 m, along 400 m, up 250 m."""

    compound_id: int
    gate: Point  # metres, METRIC_CRS
    station: Point
    units: gpd.GeoDataFrame  # id, households, geometry in metres


def _metric(conn: Connection, sql: str, **params: object) -> gpd.GeoDataFrame:
    frame = gpd.read_postgis(text(sql), conn, geom_col="geom", params=params)
    return frame.to_crs(METRIC_CRS)


def _wgs84(geom: shapely.Geometry) -> str:
    return str(gpd.GeoSeries([geom], crs=METRIC_CRS).to_crs(4326).iloc[0].wkt)


@pytest.fixture
def detour(conn: Connection) -> Detour:
    compound_id = conn.execute(
        text("SELECT compound_id FROM compound_gate GROUP BY 1 ORDER BY 1 LIMIT 1")
    ).scalar_one()
    gate = _metric(
        conn,
        "SELECT geom FROM compound_gate WHERE compound_id = :c ORDER BY id LIMIT 1",
        c=compound_id,
    ).geometry.iloc[0]
    conn.execute(
        text(
            "DELETE FROM compound_gate WHERE compound_id = :c AND id > "
            "(SELECT min(id) FROM compound_gate WHERE compound_id = :c)"
        ),
        {"c": compound_id},
    )
    station = Point(gate.x + 400, gate.y)
    keep = conn.execute(
        text("SELECT id FROM station WHERE tier = 'community' ORDER BY id LIMIT 1")
    ).scalar_one()
    conn.execute(text("DELETE FROM station WHERE id <> :s"), {"s": keep})
    conn.execute(
        text("UPDATE station SET geom = ST_GeomFromText(:g, 4326) WHERE id = :s"),
        {"g": _wgs84(station), "s": keep},
    )
    path = LineString(
        [(gate.x, gate.y), (gate.x, gate.y - 250), (station.x, gate.y - 250), station.coords[0]]
    )
    conn.execute(text("DELETE FROM road"))
    conn.execute(
        text("INSERT INTO road (ref, geom) VALUES ('detour', ST_Multi(ST_GeomFromText(:g, 4326)))"),
        {"g": _wgs84(shapely.segmentize(path, 10))},
    )
    rebuild(conn)
    units = _metric(
        conn,
        """SELECT u.id, count(h.id) AS households, u.geom FROM unit u
           JOIN building b ON b.id = u.building_id JOIN household h ON h.unit_id = u.id
           WHERE b.compound_id = :c GROUP BY u.id""",
        c=compound_id,
    )
    return Detour(compound_id, gate, station, units)


def _walks(conn: Connection, sql: str = WALK_SQL) -> dict[int, tuple[float | None, str]]:
    rows = conn.execute(text(sql), TEN_MINUTES).all()
    return {r.unit_id: (r.metres, r.method) for r in rows}


def test_walk_follows_the_streets_not_the_crow(conn: Connection, detour: Detour) -> None:
    walks = _walks(conn)
    for unit in detour.units.itertuples():
        metres, method = walks[unit.id]
        expected = unit.geom.distance(detour.gate) + 900
        assert method == "network"
        assert metres == pytest.approx(expected, abs=2.0)  # geography against EPSG:4546
        assert unit.geom.distance(detour.station) < metres - 300


def test_a_compound_400m_away_but_900m_on_foot_is_a_10_minute_gap(
    conn: Connection, detour: Detour
) -> None:
    gaps = find_gaps(conn, types=["beyond_10min_walk"])
    row = gaps[gaps["ref_id"] == detour.compound_id].iloc[0]
    assert row["households"] == detour.units["households"].sum()
    assert "步行500米内没有社区党群服务站" in row["detail"]
    nearest = min(u.distance(detour.gate) for u in detour.units.geometry) + 900
    assert (
        f"最近{round(nearest)}米" in row["detail"]
        or f"最近{round(nearest) + 1}米" in row["detail"]
        or f"最近{round(nearest) - 1}米" in row["detail"]
    )
    # Settable: with a 15-minute walk of 1,500 m, the 10-minute one may be 1,200 m.
    wider = find_gaps(conn, types=["beyond_10min_walk"], reaches=(300, 1200, 1500))
    assert detour.compound_id not in set(wider["ref_id"])


def test_without_a_network_distances_are_straight_and_say_so(
    conn: Connection, detour: Detour
) -> None:
    conn.execute(text("DELETE FROM road"))
    build_network(conn)
    walks = _walks(conn)
    straight = _walks(conn, STRAIGHT_SQL)
    for unit in detour.units.itertuples():
        metres, method = walks[unit.id]
        assert method == "straight" and straight[unit.id][1] == "straight"
        assert metres == pytest.approx(unit.geom.distance(detour.station), abs=1.0)
    far = detour.units[detour.units.distance(detour.station) > 500]
    gaps = find_gaps(conn, types=["beyond_10min_walk"])
    found = gaps[gaps["ref_id"] == detour.compound_id]
    if far.empty:
        assert found.empty
    else:
        assert found["households"].iloc[0] == far["households"].sum()
        assert "直线" in found["detail"].iloc[0]


def test_service_areas_follow_the_walk(conn: Connection, detour: Detour) -> None:
    areas = _metric(
        conn,
        "SELECT reach_m, method, households, geom FROM service_area ORDER BY reach_m",
    ).set_index("reach_m")
    assert set(areas["method"]) == {"network"}
    corner = Point(detour.station.x, detour.gate.y - 250)  # 250 m from the station
    assert areas.loc[300, "geom"].contains(corner)
    # 500 m reach 250 m along the bottom street, plus the band of 50 m, and no further.
    assert areas.loc[500, "geom"].contains(Point(corner.x - 240, corner.y))
    assert not areas.loc[500, "geom"].contains(Point(corner.x - 320, corner.y))
    assert areas.loc[500, "households"] == 0
    walks = _walks(conn)
    within = sum(u.households for u in detour.units.itertuples() if walks[u.id][0] <= 1000)
    assert areas.loc[1000, "households"] == within > 0


def test_an_area_whose_homes_all_end_counts_none(conn: Connection, detour: Detour) -> None:
    """Counting again sets every area: one no home reaches any more says 0, not the
    count it had."""
    counted = conn.execute(text("SELECT households FROM service_area WHERE reach_m = 1000"))
    assert counted.scalar_one() > 0
    conn.execute(
        text(
            "UPDATE household SET ended_on = china_today(), ended_reason = 'moved out' "
            "WHERE unit_id IN (SELECT u.id FROM unit u JOIN building b ON b.id = u.building_id "
            "WHERE b.compound_id = :c)"
        ),
        {"c": detour.compound_id},
    )
    count_households(conn)
    rows = conn.execute(text("SELECT reach_m, households FROM service_area ORDER BY 1")).all()
    assert rows == [(300, 0), (500, 0), (1000, 0)]


def test_a_station_off_the_network_gets_a_straight_circle(conn: Connection, detour: Detour) -> None:
    far = Point(detour.station.x + 5 * SNAP_M, detour.station.y)
    conn.execute(text("UPDATE station SET geom = ST_GeomFromText(:g, 4326)"), {"g": _wgs84(far)})
    report = rebuild(conn)
    assert report.stations == 0 and len(report.stations_off) == 1
    method, area = conn.execute(
        text("SELECT method, ST_Area(geom::geography) FROM service_area WHERE reach_m = 500")
    ).one()
    assert method == "straight" and area == pytest.approx(3.1416 * 500**2, rel=0.01)
    # Homes on the network still reach it, by a straight line, and say so.
    walks = _walks(conn)
    for unit in detour.units.itertuples():
        metres, how = walks[unit.id]
        assert how == "straight"
        assert metres == pytest.approx(unit.geom.distance(far), abs=2.0)


def test_tiers_serve_their_circles(conn: Connection, detour: Detour) -> None:
    """An outpost at the gate closes the 5-minute gap but not the 10-minute one."""
    conn.execute(
        text("""INSERT INTO station (tier, name, floor_area_m2, geom)
                VALUES ('outpost', '门口驿站', 80, ST_GeomFromText(:g, 4326))"""),
        {"g": _wgs84(detour.gate)},
    )
    rebuild(conn)
    gaps = find_gaps(conn, types=["beyond_5min_walk", "beyond_10min_walk"])
    mine = gaps[gaps["ref_id"] == detour.compound_id].set_index("type")
    # The outpost stands on the gate: a home's walk to it is its way to the gate.
    beyond = detour.units[detour.units.distance(detour.gate) > 300]
    if beyond.empty:
        assert "beyond_5min_walk" not in mine.index
    else:
        assert mine.loc["beyond_5min_walk", "households"] == beyond["households"].sum()
    assert mine.loc["beyond_10min_walk", "households"] == detour.units["households"].sum()


@pytest.mark.parametrize(("area", "served"), [(999.0, False), (1000.0, True), (1600.0, True)])
def test_a_large_community_station_serves_the_fifteen_minute_circle(
    conn: Connection, detour: Detour, area: float, served: bool
) -> None:
    """Without a street centre, a community station of CENTRE_M2 (1,000 m²) or more
    serves the 15-minute circle; a smaller one does not, however near."""
    conn.execute(text("UPDATE station SET floor_area_m2 = :a"), {"a": area})
    gaps = find_gaps(conn, types=["beyond_15min_walk"], reaches=(300, 500, 2000))
    mine = gaps[gaps["ref_id"] == detour.compound_id]
    if served:
        assert mine.empty
    else:
        assert mine["households"].tolist() == [detour.units["households"].sum()]
        assert "千平方米以上社区站" in mine["detail"].iloc[0]


def test_every_compound_of_the_demo_joins_the_network(conn: Connection) -> None:
    report = build_network(conn)
    assert report.edges > report.roads > 0 and report.km > 0
    assert report.gates == conn.execute(text("SELECT count(*) FROM compound_gate")).scalar_one()
    assert report.stations_off == []
    # A road never runs through a compound.
    crossing = conn.execute(
        text("""SELECT count(*) FROM road r JOIN compound cp
                ON ST_Intersects(r.geom, cp.geom) AND NOT ST_Touches(r.geom, cp.geom)
                WHERE r.kind = 'street'""")
    ).scalar_one()
    assert crossing == 0


def test_territory_gaps(conn: Connection) -> None:
    assert find_gaps(conn, types=["territory_without_community", "community_overlap"]).empty
    shrunk, grown = conn.execute(
        text("""SELECT a.id, b.id FROM community a JOIN community b
                ON a.id < b.id AND ST_Touches(a.geom, b.geom) ORDER BY a.id LIMIT 1""")
    ).one()
    # 30 m off one community, 20 m more for a neighbour: a hole and an overlap.
    conn.execute(
        text("""UPDATE community SET geom = ST_Multi(ST_Buffer(geom::geography, -30)::geometry)
                WHERE id = :a"""),
        {"a": shrunk},
    )
    conn.execute(
        text("""UPDATE community SET geom = ST_Multi(ST_Buffer(geom::geography, 20)::geometry)
                WHERE id = :b"""),
        {"b": grown},
    )
    gaps = find_gaps(conn, types=["territory_without_community", "community_overlap"])
    holes = gaps[gaps["type"] == "territory_without_community"]
    overlaps = gaps[gaps["type"] == "community_overlap"]
    street = conn.execute(
        text("SELECT street_id FROM community WHERE id = :a"), {"a": shrunk}
    ).scalar_one()
    assert street in set(holes["ref_id"]) and holes["community_code"].isna().all()
    assert grown in set(overlaps["ref_id"]) or shrunk in set(overlaps["ref_id"])
    assert (overlaps["detail"].str.contains("重叠")).all() and len(overlaps) >= 1


def test_walks_match_an_independent_dijkstra(conn: Connection) -> None:
    """On the generated city, the finder's walks equal scipy's Dijkstra over the same
    edges plus the geodesic step from each unit to its compound's entries, and the
    10-minute gap lists exactly the compounds with a home beyond 500 m."""
    edges = conn.execute(text("SELECT source, target, length_m FROM road_edge")).all()
    size = 1 + max(max(e.source, e.target) for e in edges)
    shortest: dict[tuple[int, int], float] = {}  # parallel edges: the shorter counts
    for e in edges:
        pair = (min(e.source, e.target), max(e.source, e.target))
        shortest[pair] = min(shortest.get(pair, np.inf), e.length_m)
    graph = csr_matrix(
        (list(shortest.values()), ([p[0] for p in shortest], [p[1] for p in shortest])),
        shape=(size, size),
    )
    starts = (
        conn.execute(
            text("""SELECT e.vertex_id FROM network_entry e JOIN station s ON s.id = e.station_id
                WHERE s.tier = ANY(:t)"""),
            {"t": TEN_MINUTES["tiers"]},
        )
        .scalars()
        .all()
    )
    to_station = dijkstra(graph, directed=False, indices=starts, min_only=True)
    legs = conn.execute(
        text("""SELECT u.id AS unit_id, e.vertex_id, ST_Distance(u.geom::geography,
                       e.geom::geography) AS leg
                FROM unit u JOIN building b ON b.id = u.building_id
                JOIN network_entry e ON e.compound_id = b.compound_id""")
    ).all()
    expected: dict[int, float] = {}
    for unit_id, vertex, leg in legs:
        expected[unit_id] = min(expected.get(unit_id, np.inf), leg + to_station[vertex])
    walks = _walks(conn)
    for unit_id, metres in expected.items():
        found = walks[unit_id][0]
        if metres <= TEN_MINUTES["limit"]:
            assert found == pytest.approx(metres, abs=0.01), unit_id
        else:
            assert found is None, unit_id
    compound_of = dict(
        conn.execute(
            text("SELECT u.id, b.compound_id FROM unit u JOIN building b ON b.id = u.building_id")
        ).all()
    )
    homes = dict(conn.execute(text("SELECT unit_id, count(*) FROM household GROUP BY 1")).all())
    far = {compound_of[u] for u, m in expected.items() if m > 500 and u in homes}
    off = {  # compounds off the network are measured in straight lines instead
        compound_of[u] for u, (_, method) in walks.items() if method == "straight"
    }
    gaps = find_gaps(conn, types=["beyond_10min_walk"])
    assert set(gaps["ref_id"]) - off == far - off and far


def test_a_gate_off_the_road_joins_it_by_a_connector(conn: Connection, detour: Detour) -> None:
    """A gate 20 m beside the middle of the bottom street walks 20 m to it, then along."""
    bottom = Point(detour.gate.x + 200, detour.gate.y - 250)  # 650 m from the station
    gate = Point(bottom.x, bottom.y + 20)
    conn.execute(
        text("UPDATE compound_gate SET geom = ST_GeomFromText(:g, 4326) WHERE compound_id = :c"),
        {"g": _wgs84(gate), "c": detour.compound_id},
    )
    report = rebuild(conn)
    assert report.gates >= 1
    connectors = conn.execute(
        text("SELECT count(*) FROM road_edge WHERE kind = 'connector'")
    ).scalar_one()
    assert connectors >= 1
    walks = _walks(conn)
    for unit in detour.units.itertuples():
        expected = unit.geom.distance(gate) + 20 + 200 + 250
        assert walks[unit.id][0] == pytest.approx(expected, abs=2.0)
