"""Importing streets, communities, grids and compounds: files the tests write from the
test city, re-imported, changed, broken, and in other coordinate systems."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod
from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError
from geo_api.geo.china import wgs84_to_gcj02
from geo_api.importer.run import ImportRejectedError, import_file

GEOD = Geod(ellps="WGS84")


def layer_file(
    conn: Connection, table: str, path: Path, columns: str, **kw: object
) -> gpd.GeoDataFrame:
    frame = gpd.read_postgis(text(f"SELECT {columns}, geom FROM {table} ORDER BY id"), conn)
    frame.to_file(path, **kw)
    return frame


def count(conn: Connection, table: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_reimporting_the_store_s_own_communities_changes_nothing(
    conn: Connection, tmp_path: Path
) -> None:
    path = tmp_path / "communities.geojson"
    frame = layer_file(conn, "community", path, "code AS 代码, name AS 名称")
    report = import_file(conn, "communities", path)
    assert report.rows_in == len(frame) == report.landed.unchanged
    assert report.landed.inserted == report.landed.updated == 0 and report.rejects == []


def test_a_changed_name_updates_one_row_and_a_new_code_inserts_one(
    conn: Connection, tmp_path: Path
) -> None:
    path = tmp_path / "grids.gpkg"
    frame = gpd.read_postgis(text("SELECT code, name, geom FROM grid ORDER BY id"), conn)
    frame.loc[0, "name"] = "改名网格"
    extra = frame.iloc[[0]].copy()
    extra["code"] = extra["code"].str[:12] + "999"
    extra["name"] = "新网格"
    gpd.GeoDataFrame(
        np.concatenate([frame.to_numpy(), extra.to_numpy()]),
        columns=frame.columns,
        geometry="geom",
        crs=4326,
    ).to_file(path, driver="GPKG")
    before = count(conn, "grid")
    # The new grid lies on the first one: refused, the pair and its area named ...
    savepoint = conn.begin_nested()
    with pytest.raises(InvalidInputError, match=r"overlap by [\d,.]+ m²") as refused:
        import_file(conn, "grids", path)
    savepoint.rollback()
    assert f"{frame.loc[0, 'code']} and {extra['code'].iloc[0]}" in str(refused.value)
    assert count(conn, "grid") == before
    # ... unless accepted, and then reported.
    report = import_file(conn, "grids", path, accept_overlaps=True)
    assert any(n.startswith("accepted: ") and "overlap by" in n for n in report.notes)
    assert (report.landed.inserted, report.landed.updated) == (1, 1)
    assert count(conn, "grid") == before + 1
    name = conn.execute(text("SELECT name FROM grid WHERE code = :c"), {"c": frame.loc[0, "code"]})
    assert name.scalar_one() == "改名网格"


def broken_communities(conn: Connection, path: Path) -> gpd.GeoDataFrame:
    frame = gpd.read_postgis(text("SELECT code, name, geom FROM community ORDER BY id"), conn)
    frame = frame.iloc[:6].copy().reset_index(drop=True)
    frame["code"] = [c[:9] + str(801 + k) for k, c in enumerate(frame["code"])]
    frame.loc[1, "code"] = "12345"  # not 12 digits
    frame.loc[2, "name"] = None  # no name
    frame.loc[3, "code"] = "999999999" + "807"  # no such street
    frame.loc[4, "code"] = frame.loc[0, "code"]  # duplicate of row 2 (the first feature)
    frame.to_file(path)
    return frame


def test_bad_rows_fail_the_whole_import_naming_row_field_and_value(
    conn: Connection, tmp_path: Path
) -> None:
    path = tmp_path / "bad.geojson"
    broken_communities(conn, path)
    before = count(conn, "community")
    savepoint = conn.begin_nested()
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "communities", path)
    savepoint.rollback()  # what the CLI's and the API's transactions do
    message = str(raised.value)
    assert "3 of 6 rows rejected, nothing imported" in message
    assert "feature 2, code '12345': must be 12 digits" in message
    assert "feature 3, name: missing" in message
    # Row 4's code names no street and it gives no street code: it takes the street it
    # lies in (said in the notes), as any area or cell without its parent's code does.
    assert "feature 4" not in message
    assert "feature 5, code" in message and "duplicate: feature 1 has it" in message
    assert count(conn, "community") == before


def test_skip_bad_lands_the_good_rows_and_accounts_for_every_row(
    conn: Connection, tmp_path: Path
) -> None:
    path = tmp_path / "bad.geojson"
    broken_communities(conn, path)
    before = count(conn, "community")
    # The good rows are copies of stored communities under new codes: overlaps, accepted.
    report = import_file(conn, "communities", path, skip_bad=True, accept_overlaps=True)
    assert report.rows_in == 6 == report.rows_landed + len(report.rejects)
    assert len(report.rejects) == 3 and report.landed.inserted == 3
    assert count(conn, "community") == before + 3
    assert any("placed in the street they lie in (feature 4 → 141081" in n for n in report.notes)


def test_an_invalid_boundary_is_rejected_or_repaired_when_asked(
    conn: Connection, tmp_path: Path
) -> None:
    street = conn.execute(
        text("SELECT code, ST_XMin(geom), ST_YMin(geom) FROM street LIMIT 1")
    ).one()
    x, y = street[1] + 0.001, street[2] + 0.001
    bowtie = shapely.Polygon([(x, y), (x + 0.002, y + 0.002), (x + 0.002, y), (x, y + 0.002)])
    path = tmp_path / "one.geojson"
    gpd.GeoDataFrame(
        {"code": [street[0] + "901"], "name": ["蝴蝶社区"]}, geometry=[bowtie], crs=4326
    ).to_file(path)
    savepoint = conn.begin_nested()
    with pytest.raises(ImportRejectedError, match=r"invalid polygon \(Self-intersection"):
        import_file(conn, "communities", path)
    savepoint.rollback()
    report = import_file(conn, "communities", path, repair=True)
    assert report.landed.inserted == 1
    repaired = [n for n in report.notes if n.startswith("feature 1: invalid outline repaired")]
    before, after = (float(v.replace(",", "")) for v in re.findall(r"([\d,.]+) m²", repaired[0]))
    # The bowtie's two lobes cancel in the ring's signed area; the mended one keeps both.
    assert before < after and after > 10_000
    valid = conn.execute(
        text("SELECT ST_IsValid(geom) FROM community WHERE code = :c"), {"c": street[0] + "901"}
    ).scalar_one()
    assert valid


def test_projected_and_gcj02_boundaries_land_where_they_belong(
    conn: Connection, tmp_path: Path
) -> None:
    frame = gpd.read_postgis(text("SELECT code, name, geom FROM street ORDER BY id"), conn)
    projected = tmp_path / "streets_4546.zip"
    frame.to_crs(4546).to_file(projected.with_suffix(".shp"))
    _zip(projected.with_suffix(".shp"), projected)
    report = import_file(conn, "streets", projected)
    assert "4546" in report.crs and report.landed.unchanged + report.landed.updated == len(frame)
    # AMap (GCJ-02) coordinates: declared, and converted back within half a metre.
    shifted = frame.copy()
    shifted["geom"] = shapely.transform(
        frame.geometry.to_numpy(), lambda c: np.column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1]))
    )
    gcj = tmp_path / "streets_gcj.geojson"
    gpd.GeoDataFrame(shifted, geometry="geom", crs=4326).to_file(gcj)
    import_file(conn, "streets", gcj, crs="gcj02")
    stored = gpd.read_postgis(text("SELECT code, geom FROM street ORDER BY id"), conn)
    a = shapely.get_coordinates(stored.geometry.to_numpy())
    b = shapely.get_coordinates(frame.geometry.to_numpy())
    _, _, metres = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    assert float(np.max(metres)) < 0.5


def _zip(shp: Path, target: Path) -> None:
    import zipfile

    with zipfile.ZipFile(target, "w") as archive:
        for part in shp.parent.glob(shp.stem + ".*"):
            if part != target:
                archive.write(part, part.name)


def test_an_outline_that_collapses_to_a_line_is_rejected_not_stored(
    conn: Connection, tmp_path: Path
) -> None:
    street = conn.execute(
        text("SELECT code, ST_XMin(geom), ST_YMin(geom) FROM street LIMIT 1")
    ).one()
    x, y = street[1] + 0.001, street[2] + 0.001
    flat = shapely.Polygon([(x, y), (x + 0.002, y), (x + 0.001, y), (x, y)])  # no area
    path = tmp_path / "flat.geojson"
    gpd.GeoDataFrame(
        {"code": [street[0] + "902"], "name": ["扁社区"]}, geometry=[flat], crs=4326
    ).to_file(path)
    report = import_file(conn, "communities", path, skip_bad=True)
    assert report.landed.inserted == 0 and len(report.rejects) == 1
    assert "invalid polygon" in report.rejects[0].reason
    assert (
        "no area"
        in import_file(conn, "communities", path, skip_bad=True, repair=True).rejects[0].reason
    )
