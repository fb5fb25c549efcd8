"""GDAL's OAPIF driver (ogrinfo, ogr2ogr) against gridgov's OGC API over real HTTP:
every collection's feature count equals the store's, a collection copied to a
GeoPackage reopens with every feature, and filtered copies (-where, a CQL2 filter)
hold exactly the features the store answers for the same condition."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import geopandas as gpd
import pyogrio
import pytest
from sqlalchemy import Engine, text

from geo_api.catalogue.layers import LAYER_BY_NAME
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


WHERE = "persons >= 3 AND head_id IS NOT NULL"
FILTERED = f"SELECT h.id FROM ({LAYER_BY_NAME['households'].sql}) AS h WHERE {WHERE} ORDER BY 1"


def test_ogr2ogr_where_returns_the_features_the_filter_names(
    live_server: str, engine: Engine, tmp_path: Path
) -> None:
    """``-where`` on the OAPIF driver: the copy holds exactly the households the store
    answers for the same condition. (GDAL, up to its current versions, sends -where to
    the server only as the pre-standard ``filter-lang=cql-text`` it finds in an OpenAPI
    path ``/collections/{collectionId}/items``, which gridgov's /ogc does not have;
    otherwise it reads the pages and evaluates the condition itself.)"""
    with engine.connect() as conn:
        expected = [r[0] for r in conn.execute(text(FILTERED))]
    assert expected
    target = tmp_path / "where.gpkg"
    source = f"OAPIF:{live_server}/ogc"
    gdal(str(OGR2OGR), "-f", "GPKG", str(target), source, "households", "-where", WHERE,
         "-oo", "PAGE_SIZE=1000")  # fmt: skip
    copied = pyogrio.read_dataframe(target)
    assert sorted(copied["id"]) == expected


def test_gdal_sends_a_cql2_filter_that_the_server_answers(
    live_server: str, engine: Engine, tmp_path: Path
) -> None:
    """A CQL2 filter in the dataset's URL goes with every request GDAL makes: the server
    filters (the feature count GDAL reports is the server's numberMatched) and the copy
    reopens with exactly those households."""
    with engine.connect() as conn:
        expected = [r[0] for r in conn.execute(text(FILTERED))]
    query = urlencode({"filter": WHERE, "filter-lang": "cql2-text"})
    source = f"OAPIF:{live_server}/ogc/collections/households?{query}"
    info = gdal(str(OGRINFO), "-ro", "-so", source, "households")
    found = re.search(r"Feature Count: (\d+)", info)
    assert found and int(found.group(1)) == len(expected), info
    target = tmp_path / "filtered.gpkg"
    gdal(str(OGR2OGR), "-f", "GPKG", str(target), source, "households", "-oo", "PAGE_SIZE=97")
    copied = pyogrio.read_dataframe(target)
    assert sorted(copied["id"]) == expected
    assert (copied["persons"] >= 3).all()
