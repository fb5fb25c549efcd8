"""Importing buildings and units: footprints numbered within their compound and building."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from sqlalchemy import Connection, text

from geo_api.importer.run import ImportRejectedError, import_file

BUILDINGS = """
SELECT cp.code AS 小区编码, b.number::text || '号楼' AS 楼栋, b.floors AS 层数, b.geom
FROM building b JOIN compound cp ON cp.id = b.compound_id ORDER BY b.id
"""
UNITS = """
SELECT cp.code AS compound_code, b.number AS building, u.number AS number, u.geom
FROM unit u JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
ORDER BY u.id
"""


def test_the_store_s_own_buildings_and_units_reimport_unchanged(
    conn: Connection, tmp_path: Path
) -> None:
    buildings = gpd.read_postgis(text(BUILDINGS), conn)
    buildings.to_file(tmp_path / "buildings.gpkg", driver="GPKG")
    report = import_file(conn, "buildings", tmp_path / "buildings.gpkg")
    assert report.rows_in == len(buildings) == report.landed.unchanged, report.rejects[:3]
    units = gpd.read_postgis(text(UNITS), conn).to_crs(4546)
    units.to_file(tmp_path / "units.geojson")
    report = import_file(conn, "units", tmp_path / "units.geojson", crs="EPSG:4546")
    assert report.rows_in == len(units)
    assert report.landed.unchanged + report.landed.updated == len(units)


def test_a_new_building_lands_and_mistakes_are_named(conn: Connection, tmp_path: Path) -> None:
    buildings = gpd.read_postgis(text(BUILDINGS), conn).iloc[:3].reset_index(drop=True)
    buildings.loc[0, "楼栋"] = "九十九号楼"  # new: building 99 of that compound
    buildings.loc[1, "小区编码"] = "000000000000000000"  # no such compound
    buildings["层数"] = buildings["层数"].astype(object)
    buildings.loc[2, "层数"] = "many"
    path = tmp_path / "b.geojson"
    buildings.to_file(path)
    savepoint = conn.begin_nested()
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "buildings", path)
    savepoint.rollback()
    message = str(raised.value)
    assert "feature 2, 小区编码 '000000000000000000': no compound with this code" in message
    assert "feature 3, 层数 'many': must be a whole number" in message
    report = import_file(conn, "buildings", path, skip_bad=True)
    assert report.landed.inserted == 1 and len(report.rejects) == 2
    number = conn.execute(
        text(
            "SELECT b.number FROM building b JOIN compound cp ON cp.id = b.compound_id "
            "WHERE cp.code = :c AND b.number = 99"
        ),
        {"c": buildings.loc[0, "小区编码"]},
    ).scalar_one()
    assert number == 99


def test_a_unit_without_its_building_number_takes_the_building_it_lies_in(
    conn: Connection, tmp_path: Path
) -> None:
    """Issue 21: the parent of any area or cell is found by location when its code is
    absent, and the choice is reported."""
    import geopandas as gpd
    import shapely

    code, building, x, y = conn.execute(
        text(
            "SELECT cp.code, b.id, ST_X(ST_PointOnSurface(b.geom)), "
            "ST_Y(ST_PointOnSurface(b.geom)) "
            "FROM building b JOIN compound cp ON cp.id = b.compound_id ORDER BY b.id LIMIT 1"
        )
    ).one()
    footprint = shapely.box(x - 0.00001, y - 0.00001, x + 0.00001, y + 0.00001)
    path = tmp_path / "units.geojson"
    gpd.GeoDataFrame({"单元": [9]}, geometry=[footprint], crs=4326).to_file(path)
    report = import_file(conn, "units", path)
    assert report.landed.inserted == 1
    assert any(f"feature 1 → {code} " in n for n in report.notes), report.notes
    placed = conn.execute(
        text("SELECT building_id FROM unit WHERE number = 9 AND building_id = :b"), {"b": building}
    ).all()
    assert len(placed) == 1
