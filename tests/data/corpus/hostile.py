"""Cases of files that are broken or hostile: shapes that crash readers, coordinate
systems PROJ cannot use, zip bombs, XML with a DTD, archives cut short.

Layers: streets (shapes), stations (points), members (workbooks).
"""

from __future__ import annotations

import json
import struct
from functools import partial
from pathlib import Path

from tests.data.corpus import Cases, Imported, Refused
from tests.data.corpus.files import (
    AREA_LON,
    COMMUNITY,
    LAT,
    LON,
    MEMBER_HEADER,
    mark_members,
    members,
    point_feature,
    rezip,
    shapefile_zip,
    streets,
    text_table,
    vector,
    workbook,
    zip_members,
)

CASES = Cases()

# Vector files that crash readers.


@CASES.case(
    "gpkg_ring_not_closed",
    "streets",
    # Closed by the reader (said), the ring then crosses itself: rejected naming the defect.
    Imported(1, rejects=((2, "geometry"),), notes=("feature fid 2: a polygon ring",)),
    skip_bad=True,
)
def _open_ring(folder: Path) -> Path:
    import sqlite3

    import shapely

    path = vector(folder / "open_ring.gpkg", streets(2), layer="streets")
    with sqlite3.connect(path) as db:
        for (trigger,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            db.execute(f'DROP TRIGGER "{trigger}"')  # GDAL's triggers need SpatiaLite
        blob = db.execute("SELECT geom FROM streets WHERE fid = 2").fetchone()[0]
        envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(blob[3] >> 1) & 7]
        wkb = bytearray(blob[8 + envelope :])
        shapely.from_wkb(bytes(wkb))  # a closed ring before the edit
        points = struct.unpack("<I", wkb[9:13])[0]
        last = 13 + (points - 1) * 16
        wkb[last : last + 8] = struct.pack("<d", AREA_LON + 0.0123)  # the ring no longer closes
        db.execute("UPDATE streets SET geom = ? WHERE fid = 2", (blob[: 8 + envelope] + wkb,))
    return path


def _gpkg_bytes(folder: Path, name: str, cut: bool) -> Path:
    whole = vector(folder / f"{name}.tmp.gpkg", streets(3), layer="streets")
    data = whole.read_bytes()
    whole.unlink()
    path = folder / f"{name}.gpkg"
    path.write_bytes(data[: len(data) // 2] if cut else data + b"\0" * 4096)
    return path


CASES.add(
    "gpkg_cut_short",
    "streets",
    partial(_gpkg_bytes, name="cut_short", cut=True),
    Refused(("cut_short.gpkg", "cut short", "pages")),
)
CASES.add(
    "gpkg_bytes_appended",
    "streets",
    partial(_gpkg_bytes, name="appended", cut=False),
    Refused(("appended.gpkg", "bytes appended")),
)


def _geojson(folder: Path, name: str, features: list[str]) -> Path:
    path = folder / f"{name}.geojson"
    text = '{"type": "FeatureCollection", "features": [' + ", ".join(features) + "]}"
    path.write_text(text, encoding="utf-8")
    return path


_STATION = {"name": "测试驿站", "tier": "驿站", "floor_area_m2": 60, "community_code": COMMUNITY}

for _bad in ("NaN", "Infinity", "-Infinity"):
    CASES.add(
        f"geojson_coordinate_{_bad}",
        "stations",
        partial(
            _geojson,
            name=f"coordinate_{_bad}",
            features=[
                point_feature(_STATION, f"{LON}, {LAT}"),
                point_feature({**_STATION, "name": "测试驿站2"}, f"{_bad}, {LAT}"),
            ],
        ),
        Refused((f"coordinate_{_bad}.geojson", "feature 2", "not a finite number")),
    )


@CASES.case(
    "geojson_null_geometry", "streets", Imported(1, rejects=((2, "geometry"),)), skip_bad=True
)
def _null_geometry(folder: Path) -> Path:
    features = json.loads(streets(2).to_json())["features"]
    features[1]["geometry"] = None
    return _geojson(folder, "null_geometry", [json.dumps(f, ensure_ascii=False) for f in features])


@CASES.case(
    "geojson_cut_short", "streets", Refused(("cut_short.geojson", "not a readable GeoJSON"))
)
def _geojson_cut(folder: Path) -> Path:
    path = vector(folder / "cut_short.geojson", streets(3))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


# Coordinate systems PROJ cannot turn into WGS 84.

LOCAL_CS = (
    'LOCAL_CS["Site grid",LOCAL_DATUM["Local",0],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]'
)


def _local(folder: Path, name: str) -> Path:
    # Gauss-Krüger metres (EPSG:4546) of a square in the city, under a .prj saying LOCAL_CS.
    frame = streets(1).to_crs(4546)
    return shapefile_zip(folder / f"{name}.zip", frame, prj=LOCAL_CS)


CASES.add(
    "shapefile_local_cs",
    "streets",
    partial(_local, name="local_cs"),
    Refused(("local_cs.zip", "coordinate system")),
)
CASES.add(
    "shapefile_local_cs_with_crs",
    "streets",
    partial(_local, name="local_cs_given"),
    Imported(1),
    crs="EPSG:4546",
)


# Archives: two Shapefiles, zip bombs, a DTD in a workbook, a CSV named .xlsx.


@CASES.case("zip_two_shapefiles", "streets", Refused(("two_shp.zip", "2 Shapefiles in one zip")))
def _two_shp(folder: Path) -> Path:
    one = zip_members(shapefile_zip(folder / "a.zip", streets(1)))
    two = zip_members(shapefile_zip(folder / "b.zip", streets(2)))
    (folder / "a.zip").unlink()
    (folder / "b.zip").unlink()
    return rezip(folder / "two_shp.zip", {**one, **two})


@CASES.case("zip_bomb_member", "streets", Refused(("bomb.zip", "zip bomb", "bomb.dbf")))
def _bomb(folder: Path) -> Path:
    parts = zip_members(shapefile_zip(folder / "bomb.zip", streets(1)))
    parts["bomb.dbf"] = parts["bomb.dbf"] + b" " * (8 << 20)  # 8 MB of spaces packs ~1,000 times
    return rezip(folder / "bomb.zip", parts)


for _what, _marks in (("password", {"flag": 1}), ("deflate64", {"method": 9})):

    def _marked(folder: Path, what: str = _what, marks: dict[str, int] = _marks) -> Path:
        return mark_members(shapefile_zip(folder / f"{what}.zip", streets(1)), **marks)

    CASES.add(
        f"zip_member_{_what}",
        "streets",
        _marked,
        Refused((f"{_what}.zip", "password" if _what == "password" else "Deflate64")),
    )


@CASES.case("xlsx_bomb_sheet", "members", Refused(("bomb.xlsx", "zip bomb")))
def _xlsx_bomb(folder: Path) -> Path:
    path = workbook(folder / "bomb.xlsx", [("党员", [MEMBER_HEADER, *members(2)], "visible")])
    parts = zip_members(path)
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"<sheetData>", b"<sheetData>" + b" " * (8 << 20))
    return rezip(path, parts)


@CASES.case("xlsx_with_dtd", "members", Refused(("dtd.xlsx", "<!DOCTYPE")))
def _dtd(folder: Path) -> Path:
    path = workbook(folder / "dtd.xlsx", [("党员", [MEMBER_HEADER, *members(2)], "visible")])
    parts = zip_members(path)
    entity = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet]
    end = xml.find(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    parts[sheet] = xml[:end] + entity + xml[end:]
    return rezip(path, parts)


@CASES.case("xlsx_that_is_a_csv", "members", Refused(("really_csv.xlsx", "CSV")))
def _really_csv(folder: Path) -> Path:
    path = folder / "really_csv.xlsx"
    text_table(path, [MEMBER_HEADER, *members(2)])
    return path


@CASES.case("xlsx_cut_short", "members", Refused(("cut.xlsx", "not a readable")))
def _xlsx_cut(folder: Path) -> Path:
    path = workbook(folder / "cut.xlsx", [("党员", [MEMBER_HEADER, *members(200)], "visible")])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@CASES.case("shapefile_cut_short", "streets", Refused(("cut_shp.zip", "cannot read features")))
def _shp_cut(folder: Path) -> Path:
    parts = zip_members(shapefile_zip(folder / "cut_shp.zip", streets(3)))
    parts["cut_shp.shp"] = parts["cut_shp.shp"][:-40]
    return rezip(folder / "cut_shp.zip", parts)
