"""GDAL's OAPIF driver (ogrinfo, ogr2ogr) against gridgov's OGC API over real HTTP:
every collection's feature count equals the store's, and a collection copied to a
GeoPackage reopens with every feature."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from sqlalchemy import Engine, text

from tests import browser
from tests.test_ogc import NAMES, store_count

OGRINFO = shutil.which("ogrinfo")
OGR2OGR = shutil.which("ogr2ogr")
pytestmark = pytest.mark.skipif(
    not (OGRINFO and OGR2OGR), reason="needs GDAL's ogrinfo and ogr2ogr (make test installs them)"
)


def gdal(*args: str) -> str:
    """Run a GDAL tool with the command centre's key (the one live_server's browser uses);
    its output, or a failure with what it printed."""
    env = {**os.environ, "GDAL_HTTP_HEADERS": f"X-API-Key: {browser.API_KEY}"}
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False, env=env)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_ogrinfo_counts_every_collection(live_server: str, engine: Engine) -> None:
    with engine.connect() as conn:
        expected = {name: store_count(conn, name) for name in NAMES}
    listing = gdal(str(OGRINFO), "-ro", "-q", f"OAPIF:{live_server}/ogc")
    for name in NAMES:
        assert re.search(rf"\b{name}\b", listing), name
        out = gdal(str(OGRINFO), "-ro", "-so", f"OAPIF:{live_server}/ogc", name)
        found = re.search(r"Feature Count: (\d+)", out)
        assert found and int(found.group(1)) == expected[name], (name, out)


# GDAL's own page size (from the API's limit), and a small one that needs many pages.
@pytest.mark.parametrize("page_size", [None, "7"])
def test_ogr2ogr_copies_a_collection_page_by_page(
    live_server: str, engine: Engine, tmp_path: Path, page_size: str | None
) -> None:
    with engine.connect() as conn:
        expected = store_count(conn, "households")
        stored = gpd.read_postgis(text("SELECT geom FROM household"), conn, geom_col="geom")
    target = tmp_path / "households.gpkg"
    options = ["-oo", f"PAGE_SIZE={page_size}"] if page_size else []
    source = f"OAPIF:{live_server}/ogc"
    gdal(str(OGR2OGR), "-f", "GPKG", str(target), source, "households", *options)
    copied = pyogrio.read_dataframe(target)
    assert len(copied) == expected and copied["id"].is_unique
    assert "unit_id" in copied.columns and "room" not in copied.columns
    assert list(copied.total_bounds) == pytest.approx(list(stored.total_bounds), abs=1e-7)


def test_gap_areas_copy_as_multipolygons(live_server: str, engine: Engine, tmp_path: Path) -> None:
    """GDAL takes a collection's geometry type from its first page: every gap area is
    served as a MultiPolygon, so the GeoPackage's declared type holds for every row."""
    with engine.connect() as conn:
        expected = store_count(conn, "gap_areas")
    target = tmp_path / "gap_areas.gpkg"
    source = f"OAPIF:{live_server}/ogc"
    gdal(str(OGR2OGR), "-f", "GPKG", str(target), source, "gap_areas", "-oo", "PAGE_SIZE=7")
    assert pyogrio.read_info(target)["geometry_type"] == "MultiPolygon"
    copied = pyogrio.read_dataframe(target)
    assert len(copied) == expected > 0
    assert set(copied.geom_type) == {"MultiPolygon"}


@pytest.mark.parametrize("auth", ["BASIC", None])
def test_gdal_with_http_basic_as_qgis_322_sends_it(
    live_server: str, engine: Engine, auth: str | None
) -> None:
    """Issue 14: user the key's name, password the key, with no header of gridgov's
    own: GDAL_HTTP_AUTH=BASIC sends it at once; without it, GDAL answers the 401's
    challenge."""
    with engine.connect() as conn:
        expected = store_count(conn, "grids")
    env = {
        **{k: v for k, v in os.environ.items() if k != "GDAL_HTTP_HEADERS"},
        "GDAL_HTTP_USERPWD": f"test command:{browser.API_KEY}",
    }
    if auth:
        env["GDAL_HTTP_AUTH"] = auth
    args = [str(OGRINFO), "-ro", "-so", f"OAPIF:{live_server}/ogc", "grids"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False, env=env)
    assert done.returncode == 0, done.stderr
    found = re.search(r"Feature Count: (\d+)", done.stdout)
    assert found and int(found.group(1)) == expected
    env["GDAL_HTTP_USERPWD"] = f"test command:{browser.API_KEY}x"
    wrong = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False, env=env)
    assert wrong.returncode != 0 and "401" in wrong.stderr + wrong.stdout
