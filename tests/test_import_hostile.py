"""Files that crashed the readers or could hurt the server: broken shapes, NUL bytes,
unusable coordinate systems, zip bombs, XML with a DTD, SQLite files of the wrong size,
file names too long (archive.py, vector.py, source.py). No database needed, except
for the file-name tests that go through the CLI and the API."""

from __future__ import annotations

import sqlite3
import struct
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from geo_api.importer.archive import MAX_RATIO, check_sqlite, check_zip
from geo_api.importer.read import ImportFileError, Source, open_source
from tests.data.corpus.files import (
    LAT,
    LON,
    MEMBER_HEADER,
    members,
    rezip,
    shapefile_zip,
    streets,
    text_table,
    vector,
    workbook,
    zip_members,
)

LOCAL_CS = 'LOCAL_CS["Site grid",LOCAL_DATUM["Local",0],UNIT["metre",1]]'


def read_all(source: Source) -> pd.DataFrame:
    return pd.concat(list(source.chunks()), ignore_index=True)


def refusal(path: Path, **options: object) -> str:
    """The message open_source gives (opening or reading); it names the file."""
    with pytest.raises(ImportFileError) as caught:
        read_all(open_source(path, **options))  # type: ignore[arg-type]
    assert path.name in str(caught.value)
    return str(caught.value)


def open_ring(path: Path, fid: int) -> Path:
    """Move the last point of feature ``fid``'s ring so that it no longer closes."""
    with sqlite3.connect(path) as db:
        for (trigger,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            db.execute(f'DROP TRIGGER "{trigger}"')
        blob = db.execute("SELECT geom FROM streets WHERE fid = ?", (fid,)).fetchone()[0]
        header = 8 + {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(blob[3] >> 1) & 7]
        wkb = bytearray(blob[header:])
        last = 13 + (struct.unpack("<I", wkb[9:13])[0] - 1) * 16
        wkb[last : last + 8] = struct.pack("<d", LON + 0.5)
        db.execute("UPDATE streets SET geom = ? WHERE fid = ?", (blob[:header] + wkb, fid))
    return path


def test_unclosed_ring_is_closed_with_a_note_naming_the_fid(tmp_path: Path) -> None:
    path = open_ring(vector(tmp_path / "s.gpkg", streets(3), layer="streets"), fid=2)
    source = open_source(path)
    rows = read_all(source)
    assert rows["_row"].tolist() == [1, 2, 3]  # fids
    ring = shapely.get_coordinates(rows["geometry"].iloc[1].exterior)
    assert (ring[0] == ring[-1]).all() and len(ring) == 6  # the moved point kept, then closed
    assert source.notes == [
        "feature fid 2: a polygon ring was not closed (its last point is not its first): closed it"
    ]


def test_geopackage_rows_are_fids_and_shapefile_rows_record_numbers(tmp_path: Path) -> None:
    path = vector(tmp_path / "s.gpkg", streets(3), layer="streets")
    with sqlite3.connect(path) as db:
        for (trigger,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            db.execute(f'DROP TRIGGER "{trigger}"')
        db.execute("DELETE FROM streets WHERE fid = 1")
    source = open_source(path)
    assert read_all(source)["_row"].tolist() == [2, 3]
    assert source.label(2) == "feature fid 2"
    shp = open_source(shapefile_zip(tmp_path / "s.zip", streets(2)))
    assert read_all(shp)["_row"].tolist() == [1, 2] and shp.label(2) == "record 2"


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_coordinates_are_refused_naming_the_feature(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "p.geojson"
    feature = (
        '{{"type":"Feature","properties":{{"n":{n}}},"geometry":{{"type":"Polygon",'
        '"coordinates":[[[111,35],[{x},35],[111.1,35.1],[111,35]]]}}}}'
    )
    path.write_text(
        '{"type":"FeatureCollection","features":['
        + feature.format(n=1, x=111.1)
        + ","
        + feature.format(n=2, x=bad)
        + "]}"
    )
    message = refusal(path)
    assert "p.geojson, feature 2, column geometry" in message
    assert "a coordinate is not a finite number" in message


def test_a_null_geometry_reaches_the_checks(tmp_path: Path) -> None:
    path = tmp_path / "n.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature",'
        '"properties":{"n":1},"geometry":null}]}'
    )
    rows = read_all(open_source(path))
    assert rows["geometry"].tolist() == [None]


@pytest.mark.parametrize(("name", "encoding"), [("a.csv", "utf-8"), ("b.csv", "gb18030")])
def test_nul_characters_are_refused_naming_line_column_value(
    tmp_path: Path, name: str, encoding: str
) -> None:
    path = tmp_path / name
    path.write_bytes("姓名,编码\n张三,1\n路东,1410810\x0001\n".encode(encoding))
    message = refusal(path)
    assert (
        f"{name}, data row 2 (line 3), column 编码, value '1410810\\x0001': a NUL character"
        in message
    )


def test_nul_in_a_geojson_property_never_reaches_the_store(tmp_path: Path) -> None:
    path = tmp_path / "n.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature",'
        '"properties":{"name":"a\\u0000b"},"geometry":null}]}'
    )
    try:
        names = read_all(open_source(path))["name"].tolist()
    except ImportFileError as error:  # refused: it must say where
        assert "n.geojson, feature 1, column name" in str(error)
    else:  # GDAL cuts the text at the NUL
        assert names == ["a"]


def test_a_prj_proj_cannot_use(tmp_path: Path) -> None:
    path = shapefile_zip(tmp_path / "local.zip", streets(1).to_crs(4546), prj=LOCAL_CS)
    # Caller says no --crs was given: refused, saying to give one.
    message = refusal(path, declared_crs=False)
    assert (
        "its .prj names a coordinate system that cannot be converted to WGS 84 (Site grid)"
        in message
        and "--crs" in message
    )
    # Given: the file's system does not matter.
    given = open_source(path, declared_crs=True)
    assert given.crs is None and given.warnings == [] and len(read_all(given)) == 1
    # Not said (older callers): dropped, with a warning for the caller to act on.
    unsaid = open_source(path)
    assert unsaid.crs is None and "--crs" in unsaid.warnings[0]


def test_zip_bombs_are_refused_before_reading(tmp_path: Path) -> None:
    parts = zip_members(shapefile_zip(tmp_path / "s.zip", streets(1)))
    parts["s.dbf"] += b" " * (4 << 20)
    path = rezip(tmp_path / "s.zip", parts)
    message = refusal(path)
    assert "member s.dbf unpacks" in message and f"more than {MAX_RATIO} times" in message
    # Stored (not compressed) members are never refused for their ratio.
    assert len(read_all(open_source(rezip(tmp_path / "t.zip", parts, zipfile.ZIP_STORED)))) == 1


def test_zip_over_the_total_size_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo_api.importer import archive

    monkeypatch.setattr(archive, "MAX_UNPACKED", 1000)
    path = rezip(tmp_path / "big.zip", {"a.txt": b"x" * 600, "b.txt": b"y" * 600})
    with zipfile.ZipFile(path) as opened, pytest.raises(ImportFileError, match=r"at member b\.txt"):
        check_zip(path, opened)


def test_xlsx_with_a_dtd_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "d.xlsx", [("党员", [MEMBER_HEADER, *members(1)], "visible")])
    parts = zip_members(path)
    # UTF-16 XML, with comments before the DTD: still found.
    parts["xl/styles.xml"] = (
        '<?xml version="1.0" encoding="UTF-16"?><!-- x --><!doctype s '
        '[<!ENTITY e SYSTEM "file:///etc/passwd">]><s/>'
    ).encode("utf-16")
    message = refusal(rezip(path, parts))
    assert "part xl/styles.xml declares a document type (<!DOCTYPE)" in message


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "an old Excel .xls"),
        ("姓名,电话\n张三,138\n".encode(), "a CSV renamed .xlsx"),
        (b"<html><body>login</body></html>", "a web page"),
    ],
)
def test_an_xlsx_that_is_something_else(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    assert says in refusal(path)


def test_geopackage_size_must_match_its_header(tmp_path: Path) -> None:
    path = vector(tmp_path / "s.gpkg", streets(2), layer="streets")
    check_sqlite(path)  # a whole file passes
    data = path.read_bytes()
    (tmp_path / "cut.gpkg").write_bytes(data[:-4096])
    assert "the GeoPackage is cut short" in refusal(tmp_path / "cut.gpkg")
    (tmp_path / "more.gpkg").write_bytes(data + b"x")
    assert "has bytes appended" in refusal(tmp_path / "more.gpkg")
    (tmp_path / "tiny.gpkg").write_bytes(data[:60])
    assert "less than a SQLite header" in refusal(tmp_path / "tiny.gpkg")
    # An old writer's header without a valid page count: the size must be whole pages.
    legacy = bytearray(data)
    legacy[92:96] = (int.from_bytes(legacy[24:28], "big") + 1).to_bytes(4, "big")
    (tmp_path / "legacy.gpkg").write_bytes(bytes(legacy) + b"x")
    assert "not a whole number" in refusal(tmp_path / "legacy.gpkg")


LONG = "侯马市路东街道" * 43 + ".csv"  # 305 characters, 907 bytes


def test_a_300_character_name_is_refused_cleanly_by_the_api(
    client: TestClient, tmp_path: Path
) -> None:
    body = text_table(tmp_path / "m.csv", [MEMBER_HEADER, *members(1)]).read_bytes()
    answer = client.post("/imports/members", files={"file": (LONG, body)})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "the file name is 305 characters (907 bytes)" in detail and "rename" in detail
    assert detail.startswith("侯马市路东街道") and len(detail) < 200


def test_a_300_character_name_is_refused_cleanly_by_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str
) -> None:
    from geo_api.cli.main import main

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("GEO_API_DATABASE_URL", db_url)
    monkeypatch.setattr(sys, "argv", ["gridgov", "import", "members", str(tmp_path / LONG)])
    with pytest.raises(SystemExit) as exited:
        main()
    err = " ".join(capsys.readouterr().err.split())
    assert exited.value.code == 1 and "longer than a file system allows" in err


def test_members_points_stay_in_the_city() -> None:
    # The corpus's rows are good rows: the files, not the values, are what is tested.
    assert 111.2 < LON < 111.5 and 35.5 < LAT < 35.7
