"""Real building footprints: momepy's bundled Bubenec (Prague) buildings, imported.

Real outlines in a real projected CRS (EPSG:3857) exercise what generated
slabs do not: odd vertex counts, reprojection, make_valid. They land in Prague,
so the validation report must find every one outside its compound.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import momepy
from sqlalchemy import Connection, text

from geo_api.db.validation import validation_report
from geo_api.importer.columns import load_mapping
from geo_api.importer.run import import_file


def test_bubenec_buildings_land_and_are_reported_outside_their_compound(
    conn: Connection, tmp_path: Path
) -> None:
    buildings = gpd.read_file(momepy.datasets.get_path("bubenec"), layer="buildings")
    assert buildings.crs.to_epsg() == 3857 and len(buildings) > 100
    code = conn.execute(text("SELECT code FROM compound ORDER BY id LIMIT 1")).scalar_one()
    buildings["cp"] = code
    buildings["floors"] = 5
    buildings["no"] = buildings["uID"] + 500  # clear of the compound's own numbers
    path = tmp_path / "bubenec.gpkg"
    buildings.to_file(path, layer="buildings", driver="GPKG")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"compound_code": "cp", "number": "no", "floors": "floors"}))
    report = import_file(conn, "buildings", path, mapping=load_mapping(mapping))
    assert report.rows_in == len(buildings) == report.landed.inserted
    assert "3857" in report.crs
    stored = conn.execute(
        text(
            "SELECT count(*), min(ST_X(ST_Centroid(geom))), max(ST_Y(ST_Centroid(geom))) "
            "FROM building WHERE number > 500"
        )
    ).one()
    assert stored[0] == len(buildings)
    assert 14.3 < stored[1] < 14.5 and 50.0 < stored[2] < 50.2  # Bubeneč, Prague
    outside = validation_report(conn)
    strays = outside[(outside["kind"] == "outside_parent") & (outside["table"] == "building")]
    assert len(strays) == len(buildings)
