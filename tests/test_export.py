"""Exports reopened with GDAL (pyogrio): every layer, every row, no personal data."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError
from geo_api.export.layers import LAYER_NAMES, export_layers
from geo_api.gaps.finder import find_gaps

TABLE_OF = {
    "streets": "street",
    "communities": "community",
    "grids": "grid",
    "compounds": "compound",
    "buildings": "building",
    "units": "unit",
    "households": "household",
    "heads": "head",
    "officers": "grid_officer",  # every officer of the test city serves
    "stations": "station",
    "members": "community",  # members are counted per community
    "roads": "road",
    "gates": "compound_gate",
    "service_areas": "service_area",
    "alliance_units": "alliance_unit",  # every demo unit has a place
    "resources": "party_resource",
    "demands": "party_demand",
    "projects": "party_project",
}
PERSONAL = {"name", "phone", "address", "room", "household_id"}


def expected_counts(conn: Connection) -> dict[str, int]:
    counts = {
        layer: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        for layer, table in TABLE_OF.items()
    }
    gaps = find_gaps(conn)
    counts["gap_points"] = int((gaps.geom_type == "Point").sum())
    counts["gap_areas"] = len(gaps) - counts["gap_points"]
    assert counts["gap_points"] and counts["gap_areas"]
    return counts


def test_geopackage(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "city.gpkg"
    written = export_layers(conn, "gpkg", path)
    expected = expected_counts(conn)
    assert written == expected
    assert [name for name, _ in pyogrio.list_layers(path)] == LAYER_NAMES
    for layer in LAYER_NAMES:
        info = pyogrio.read_info(path, layer=layer)
        assert info["features"] == expected[layer], layer
        assert info["crs"] == "EPSG:4326"
        assert info["geometry_type"] != "Unknown", layer
        if layer in ("heads", "officers", "households", "members", "service_areas"):
            assert not PERSONAL & set(info["fields"]), layer
    heads = pyogrio.read_info(path, layer="heads")
    types = dict(zip(heads["fields"], heads["dtypes"], strict=True))
    assert types["unit_id"] == "int64" and types["load"].startswith("int")


def test_geojson_folder(conn: Connection, tmp_path: Path) -> None:
    export_layers(conn, "geojson", tmp_path / "out")
    expected = expected_counts(conn)
    for layer in LAYER_NAMES:
        frame = pyogrio.read_dataframe(tmp_path / "out" / f"{layer}.geojson")
        assert len(frame) == expected[layer], layer
    stations = pyogrio.read_dataframe(tmp_path / "out" / "stations.geojson")
    assert set(stations["tier"]) == {"city", "street", "community", "outpost"}


def test_bad_format_and_path(conn: Connection, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="unknown export format 'kml'"):
        export_layers(conn, "kml", tmp_path / "x")
    with pytest.raises(InvalidInputError, match=r"needs a \.gpkg path"):
        export_layers(conn, "gpkg", tmp_path / "x.zip")


@pytest.mark.parametrize("fmt", ["shp", "fgb", "csv", "parquet"])
@pytest.mark.filterwarnings("error:Normalized/laundered field name")
def test_every_format_reopens_with_every_feature(
    conn: Connection, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / fmt
    written = export_layers(conn, fmt, out)
    expected = expected_counts(conn)
    assert written == expected
    for layer in LAYER_NAMES:
        path = out / f"{layer}.{fmt}"
        if fmt == "parquet":
            frame = gpd.read_parquet(path)
            assert frame.crs is not None and frame.crs.to_epsg() == 4326
        else:
            frame = pyogrio.read_dataframe(path)
        assert len(frame) == expected[layer], layer
        if expected[layer]:
            assert frame.geometry.notna().all(), layer
    if fmt == "shp":
        assert (out / "streets.cpg").read_text().strip().upper() in ("UTF-8", "UTF8")
        assert (
            "CGCS" in (out / "streets.prj").read_text()
            or "WGS" in (out / "streets.prj").read_text()
        )
        stations = pyogrio.read_info(out / "stations.shp")["fields"]
        assert {"comm_id", "area_m2"} <= set(stations) and max(map(len, stations)) <= 10
        names = pyogrio.read_dataframe(out / "communities.shp")["name"]
        stored = conn.execute(text("SELECT name FROM community ORDER BY id")).scalars().all()
        assert list(names) == stored  # Chinese names survive the .dbf
    if fmt == "csv":
        header = (out / "stations.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("WKT,")


def test_exports_over_http_are_zips(client: TestClient) -> None:
    response = client.get("/exports/shp")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = set(archive.namelist())
    assert {"streets.shp", "streets.cpg", "streets.prj", "households.dbf"} <= names
    assert client.get("/exports/kml").status_code == 422
