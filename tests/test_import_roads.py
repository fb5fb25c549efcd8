"""Importing roads and compound gates, and the walking network rebuilt from them."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Polygon
from sqlalchemy import Connection, text

from geo_api.demo.layout import METRIC_CRS, core_point
from geo_api.errors import InvalidInputError
from geo_api.importer.errors import ImportFileError
from geo_api.importer.run import ImportRejectedError, import_file
from geo_api.network.build import rebuild

ROADS = "SELECT ref, name, kind, ST_AsText(geom) AS wkt FROM road ORDER BY ref"


def _roads_file(conn: Connection, path: Path) -> gpd.GeoDataFrame:
    """The store's roads in EPSG:4546 metres, as a surveying bureau would send them."""
    frame = gpd.read_postgis(
        text("SELECT ref, name, kind, geom FROM road ORDER BY id"), conn, geom_col="geom"
    ).to_crs(METRIC_CRS)
    out = gpd.GeoDataFrame(
        {
            "道路编号": frame["ref"],
            "道路名称": frame["name"].fillna("无名路"),
            "道路类型": frame["kind"],
        },
        geometry=frame.geometry.explode(index_parts=False).to_numpy(),
        crs=METRIC_CRS,
    )
    out.to_file(path, driver="GeoJSON")
    return out


def test_roads_reimport_unchanged_and_the_network_is_rebuilt(
    conn: Connection, tmp_path: Path
) -> None:
    path = tmp_path / "道路.geojson"
    sent = _roads_file(conn, path)
    edges = conn.execute(text("SELECT count(*) FROM road_edge")).scalar_one()
    report = import_file(conn, "roads", path)
    assert report.crs == "EPSG:4546"
    assert report.rows_in == len(sent) == report.landed.updated + report.landed.unchanged
    assert report.landed.inserted == 0
    assert any("walking network rebuilt" in n for n in report.notes)
    assert conn.execute(text("SELECT count(*) FROM road_edge")).scalar_one() == edges
    again = import_file(conn, "roads", path)
    assert again.landed.unchanged == len(sent)


def test_roads_without_ids_are_known_by_their_line(conn: Connection, tmp_path: Path) -> None:
    conn.execute(text("DELETE FROM road"))
    path = tmp_path / "roads.geojson"
    x, y = core_point().coords[0]
    lines = gpd.GeoDataFrame(
        {"路名": ["甲路", "乙路"]},
        geometry=[
            LineString([(x, y), (x + 500, y)]),
            LineString([(x + 250, y - 200), (x + 250, y + 200)]),
        ],
        crs=METRIC_CRS,
    )
    lines.to_file(path, driver="GeoJSON")
    first = import_file(conn, "roads", path)
    assert first.landed.inserted == 2
    refs = conn.execute(text("SELECT ref FROM road ORDER BY ref")).scalars().all()
    assert all(r.startswith("sha1:") for r in refs)
    assert import_file(conn, "roads", path).landed.unchanged == 2
    edges = text("SELECT count(*) FROM road_edge WHERE kind = 'road'")
    # Two lines that cross without a shared vertex stay apart (a bridge, say)... (a
    # station's or gate's connector may split a line besides: counted in ``apart``)
    apart = conn.execute(edges).scalar_one()
    assert 2 <= apart <= 4
    # ...unless crossings are asked for: each line cut in two at one vertex, and a later
    # rebuild (another import) keeps that choice.
    import_file(conn, "roads", path, node_crossings=True)
    assert conn.execute(edges).scalar_one() == apart + 2
    rebuild(conn)
    assert conn.execute(edges).scalar_one() == apart + 2
    # Level columns: the second line is a bridge, so even crossings are not joined.
    lines["桥梁"] = ["否", "是"]
    lines.to_file(path, driver="GeoJSON")
    assert import_file(conn, "roads", path).landed.updated == 1
    assert conn.execute(edges).scalar_one() == apart
    assert conn.execute(text("SELECT count(*) FROM road WHERE bridge")).scalar_one() == 1


def test_road_mistakes_are_named(conn: Connection, tmp_path: Path) -> None:
    base = core_point().coords[0]
    frame = gpd.GeoDataFrame(
        {"道路编号": ["r1", "r2", "r1", "r4"], "类型": ["支路", "支路", "支路", "x" * 20]},
        geometry=[
            LineString([base, (base[0] + 100, base[1])]),
            Polygon([base, (base[0] + 10, base[1]), (base[0], base[1] + 10)]),
            LineString([base, (base[0], base[1] + 100)]),
            LineString([base, (base[0] - 100, base[1])]),
        ],
        crs=METRIC_CRS,
    )
    path = tmp_path / "bad.geojson"
    frame.to_file(path, driver="GeoJSON")
    savepoint = conn.begin_nested()
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "roads", path)
    savepoint.rollback()
    message = str(raised.value)
    assert "feature 2, geometry 'Polygon': not a line" in message, message
    assert "feature 3, 道路编号 'r1': duplicate: feature 1 has the same id" in message
    assert "feature 4, 类型" in message and "at most 16 characters" in message
    report = import_file(conn, "roads", path, skip_bad=True)
    assert report.rows_in == 4 == report.rows_landed + len(report.rejects)
    assert conn.execute(text("SELECT count(*) FROM road WHERE ref = 'r1'")).scalar_one() == 1
    table = tmp_path / "roads.csv"
    pd.DataFrame({"道路名称": ["甲路"]}).to_csv(table, index=False)
    with pytest.raises(InvalidInputError, match="roads need their outlines or lines"):
        import_file(conn, "roads", table)


def test_gates_land_and_join_the_network(conn: Connection, tmp_path: Path) -> None:
    code, cid, x, y = conn.execute(
        text("""SELECT cp.code, cp.id, ST_X(p.geom), ST_Y(p.geom) FROM compound cp
                CROSS JOIN LATERAL (SELECT ST_StartPoint(ST_ExteriorRing(cp.geom)) AS geom) p
                ORDER BY cp.id LIMIT 1""")
    ).one()
    frame = pd.DataFrame(
        {
            "小区代码": [code, "nope", code],
            "出入口": ["东门", "西门", "东门"],
            "经度": [x, x, x],
            "纬度": [y, y, y],
        }
    )
    frame.to_csv(tmp_path / "gates.csv", index=False)
    savepoint = conn.begin_nested()
    with pytest.raises(ImportRejectedError, match=r"\(line 3\), 小区代码 'nope'"):
        import_file(conn, "gates", tmp_path / "gates.csv")
    savepoint.rollback()
    report = import_file(conn, "gates", tmp_path / "gates.csv", skip_bad=True)
    assert report.landed.inserted == 1 and len(report.rejects) == 2
    assert "(line 2) names this compound's gate" in report.rejects[-1].message()
    entries = conn.execute(
        text("""SELECT count(*) FROM network_entry e JOIN compound_gate g
                ON g.compound_id = e.compound_id AND g.geom = e.geom
                WHERE g.compound_id = :c AND g.name = '东门'"""),
        {"c": cid},
    ).scalar_one()
    assert entries == 1


def test_roads_in_the_wrong_system_are_refused(conn: Connection, tmp_path: Path) -> None:
    """Metres declared as nothing land far off in degrees: refused, with a hint."""
    x, y = core_point().coords[0]
    lines = gpd.GeoDataFrame(geometry=[LineString([(x, y), (x + 100, y)])], crs=METRIC_CRS)
    path = tmp_path / "no_crs.geojson"
    lines.to_file(path, driver="GeoJSON")
    savepoint = conn.begin_nested()
    with pytest.raises(ImportFileError, match=r"in EPSG:3857 \(declared\) the data would land"):
        import_file(conn, "roads", path, crs="EPSG:3857")
    savepoint.rollback()
