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
