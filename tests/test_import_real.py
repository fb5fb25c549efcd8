"""Real building footprints: momepy's bundled Bubenec (Prague) buildings, imported.

Real outlines in a real projected CRS (EPSG:3857) exercise what generated
slabs do not: odd vertex counts, reprojection. As they come they lie in Prague,
and a file that would land that far from the city is refused, saying where.
Moved (still in EPSG:3857) into the city beside a compound, they land, and the
validation report finds every one outside the compound the file names.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import momepy
import numpy as np
import pytest
import shapely
from sqlalchemy import Connection, text

from geo_api.db.validation import validation_report
from geo_api.importer.columns import load_mapping
from geo_api.importer.errors import ImportFileError
from geo_api.importer.run import import_file


def test_bubenec_buildings_are_refused_in_prague_and_reported_outside_their_compound(
    conn: Connection, tmp_path: Path
) -> None:
    buildings = gpd.read_file(momepy.datasets.get_path("bubenec"), layer="buildings")
    assert buildings.crs.to_epsg() == 3857 and len(buildings) > 100
    code, x, y = conn.execute(
        text(
            "SELECT code, ST_X(c), ST_Y(c) FROM (SELECT code, "
            "ST_Transform(ST_Centroid(geom), 3857) AS c FROM compound ORDER BY id LIMIT 1) s"
        )
    ).one()
    buildings["cp"] = code
    buildings["floors"] = 5
    buildings["no"] = buildings["uID"] + 500  # clear of the compound's own numbers
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"compound_code": "cp", "number": "no", "floors": "floors"}))
    prague = tmp_path / "bubenec.gpkg"
    buildings.to_file(prague, layer="buildings", driver="GPKG")
    with pytest.raises(ImportFileError, match=r"bubenec.gpkg: .* lon 14\.4\d+, lat 50\.1\d+"):
        import_file(conn, "buildings", prague, mapping=load_mapping(mapping))
    # Moved 3 km east of the compound, in the same projection.
    centre = buildings.union_all().centroid
    buildings["geometry"] = shapely.transform(
        buildings.geometry.to_numpy(), lambda c: c + np.array([x + 3000 - centre.x, y - centre.y])
    )
    moved = tmp_path / "moved.gpkg"
    buildings.to_file(moved, layer="buildings", driver="GPKG")
    report = import_file(conn, "buildings", moved, mapping=load_mapping(mapping))
    assert report.rows_in == len(buildings) == report.landed.inserted
    assert "3857" in report.crs
    assert any("lies outside its compound" in w for w in report.warnings)
    outside = validation_report(conn)
    strays = outside[(outside["kind"] == "outside_parent") & (outside["table"] == "building")]
    assert len(strays) == len(buildings)
