"""Cases of the reading half: files that are awkward, broken or hostile as files.

Layers that need little setup in the test city: members (tables), streets and
communities (shapes), stations (points). The rows themselves are good, so what
a case tests is how the file is read.
"""

from __future__ import annotations

import json
import struct
import zipfile
from functools import partial
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point, Polygon

from tests.data.corpus import Case, Imported, Refused
from tests.data.corpus.files import (
    COMMUNITY,
    LAT,
    LON,
    MEMBER_HEADER,
    cache_formulas,
    members,
    merge,
    point_feature,
    rezip,
    shapefile_zip,
    square,
    streets,
    text_table,
    vector,
    workbook,
    zip_members,
)

CASES: list[Case] = []


def case(name: str, layer: str, expect: Imported | Refused, **options: object):  # type: ignore[no-untyped-def]
    """Register the decorated maker as a case."""

    def register(make):  # type: ignore[no-untyped-def]
        CASES.append(Case(name, layer, make, dict(options), expect))
        return make

    return register


def add(name: str, layer: str, make, expect: Imported | Refused, **options: object) -> None:  # type: ignore[no-untyped-def]
    CASES.append(Case(name, layer, make, dict(options), expect))


# Spreadsheets: title rows above the header, merged or not, 1 to 3 of them.


def _titled(folder: Path, titles: int, merged: bool) -> Path:
    title_rows: list[list[object]] = [["侯马市路东街道报到党员花名册"]]
    title_rows += [["填报单位：路东街道", None, None, "填报日期：2023年5月6日"]]
    title_rows += [[None]]  # an empty line under the title
    rows = title_rows[:titles] + [MEMBER_HEADER] + members(3)
    path = workbook(folder / f"title_{titles}_{'merged' if merged else 'plain'}.xlsx",
                    [("花名册", rows, "visible")])  # fmt: skip
    return merge(path, ["A1:E1"]) if merged else path


for _titles in (1, 2, 3):
    for _merged in (False, True):
        add(
            f"xlsx_title_{_titles}_{'merged' if _merged else 'plain'}",
            "members",
            partial(_titled, titles=_titles, merged=_merged),
            Imported(3, notes=(f"the header is row {_titles + 1}",)),
        )


def _titled_csv(folder: Path, titles: int, encoding: str) -> Path:
    lines: list[list[object]] = [["侯马市报到党员花名册", None, None, None, None]]
    lines += [["填报单位：路东街道", None, None, None, "2023年5月6日"]]
    body = [[n, p, lon, lat, "2023-05-06"] for n, p, lon, lat, _ in members(2)]
    name = f"title_{titles}_{encoding}.csv"
    return text_table(folder / name, lines[:titles] + [MEMBER_HEADER] + body, encoding)


for _titles in (1, 2):
    for _encoding in ("utf-8", "gbk"):
        add(
            f"csv_title_{_titles}_{_encoding}",
            "members",
            partial(_titled_csv, titles=_titles, encoding=_encoding),
            Imported(2, notes=(f"the header is line {_titles + 1}",)),
        )


@case("xlsx_header_row_given", "members", Imported(3, notes=("the header is row 3 (as given)",)),
      header_row=3)  # fmt: skip
def _header_row(folder: Path) -> Path:
    rows = [["编号", "类别"], ["说明：", "本表由社区填写"], MEMBER_HEADER, *members(3)]
    return workbook(folder / "header_row_3.xlsx", [("党员", rows, "visible")])


@case("xlsx_merged_cells_inside_table", "members", Refused(("merged_inside.xlsx", "A3:A4")))
def _merged_inside(folder: Path) -> Path:
    path = workbook(folder / "merged_inside.xlsx", [("党员", [MEMBER_HEADER, *members(4)],
                                                     "visible")])  # fmt: skip
    return merge(path, ["A3:A4"])


# Sheets: hidden ones are never read unless named; several visible ones are refused.


for _state in ("hidden", "veryHidden"):
    for _where in ("before", "after"):

        def _hidden(folder: Path, state: str = _state, where: str = _where) -> Path:
            secret = ("旧名单", [MEMBER_HEADER, *members(5, start=50)], state)
            data = ("党员", [MEMBER_HEADER, *members(2)], "visible")
            order = [secret, data] if where == "before" else [data, secret]
            return workbook(folder / f"{state}_{where}.xlsx", order)

        add(f"xlsx_{_state}_sheet_{_where}", "members", _hidden,
            Imported(2, notes=("hidden sheet(s) 旧名单 not read",)))  # fmt: skip

add(
    "xlsx_hidden_sheet_named",
    "members",
    lambda folder: workbook(
        folder / "hidden_named.xlsx",
        [("党员", [MEMBER_HEADER, *members(2)], "visible"),
         ("旧名单", [MEMBER_HEADER, *members(5, start=50)], "hidden")],
    ),  # fmt: skip
    Imported(5),
    sheet="旧名单",
)


def _two_sheets(folder: Path) -> Path:
    return workbook(
        folder / "two_sheets.xlsx",
        [("路东", [MEMBER_HEADER, *members(2)], "visible"),
         ("路西", [MEMBER_HEADER, *members(3, start=10)], "visible"),
         ("Sheet3", [], "visible")],
    )  # fmt: skip


add("xlsx_two_visible_sheets", "members", _two_sheets,
    Refused(("two_sheets.xlsx", "2 sheets hold data", "路东", "路西")))  # fmt: skip
add("xlsx_two_visible_sheets_one_named", "members", _two_sheets, Imported(3), sheet="路西")


@case("xlsx_every_sheet_hidden", "members", Refused(("all_hidden.xlsx", "every sheet is hidden")))
def _all_hidden(folder: Path) -> Path:
    # openpyxl will not save a workbook with no visible sheet; Excel's VBA will.
    path = workbook(folder / "all_hidden.xlsx", [("党员", [MEMBER_HEADER, *members(2)], "visible")])
    parts = zip_members(path)
    book = parts["xl/workbook.xml"]
    assert b'state="visible"' in book
    parts["xl/workbook.xml"] = book.replace(b'state="visible"', b'state="hidden"')
    return rezip(path, parts)


@case("xlsx_broken_sheet_xml", "members", Refused(("broken_xml.xlsx", "not a readable")))
def _broken_xml(folder: Path) -> Path:
    path = workbook(folder / "broken_xml.xlsx", [("党员", [MEMBER_HEADER, *members(2)], "visible")])
    parts = zip_members(path)
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"</row>", b"</rw>", 1)
    return rezip(path, parts)


# Formulas: the saved value is read, with a note; none saved reads as empty.


@case("xlsx_formulas_in_several_columns", "members",
      Imported(2, notes=("column 电话: formula cells B2, B3", "column 经度: formula cells C2, C3")))  # fmt: skip
def _formulas(folder: Path) -> Path:
    rows = [MEMBER_HEADER]
    for i, (name, phone, lon, lat, day) in enumerate(members(2), start=2):
        rows.append([name, f'="138"&"{str(phone)[3:]}"', f"=111+{lon - 111:.3f}", lat, day])
    path = workbook(folder / "formulas.xlsx", [("党员", rows, "visible")])
    cached = {}
    for i, (_, phone, lon, _, _) in enumerate(members(2), start=2):
        cached[f"B{i}"] = str(phone)
        cached[f"C{i}"] = f"{lon:.3f}"
    return cache_formulas(path, cached)


@case("xlsx_formula_never_calculated", "members",
      Imported(1, rejects=((3, "phone"),), notes=("cell B3: formula",)), skip_bad=True)  # fmt: skip
def _uncalculated(folder: Path) -> Path:
    rows = [MEMBER_HEADER, *members(2)]
    rows[2][1] = '="138"&"00000001"'
    return workbook(folder / "uncalculated.xlsx", [("党员", rows, "visible")])


# Totals rows: skipped with a note, in XLSX and CSV.


for _word in ("合计", "小计", "总计：", "Total", "合 计"):

    def _totals_xlsx(folder: Path, word: str = _word) -> Path:
        rows = [MEMBER_HEADER, *members(3), [word, None, None, None, None]]
        safe = word.replace("：", "").replace(" ", "_")
        return workbook(folder / f"totals_{safe}.xlsx", [("党员", rows, "visible")])

    def _totals_csv(folder: Path, word: str = _word) -> Path:
        rows = [MEMBER_HEADER, *members(2), [word, "2人", "", "", ""]]
        safe = word.replace("：", "").replace(" ", "_")
        return text_table(folder / f"totals_{safe}.csv", rows)

    add(f"xlsx_totals_{_word}", "members", _totals_xlsx,
        Imported(3, notes=("row 5: a totals row",)))  # fmt: skip
    add(f"csv_totals_{_word}", "members", _totals_csv,
        Imported(2, notes=("line 4: a totals row",)))


# Numbers: whole numbers stay whole, phones stay digits, dates become ISO dates.


@case("xlsx_phones_as_numbers_and_floats", "members", Imported(3))
def _phones(folder: Path) -> Path:
    rows = [MEMBER_HEADER, *members(3)]
    rows[2][1] = float(rows[2][1])  # type: ignore[arg-type]
    rows[3][1] = str(rows[3][1])
    return workbook(folder / "phones.xlsx", [("党员", rows, "visible")])


@case("csv_phone_in_scientific_notation", "members",
      Imported(1, rejects=((3, "phone"),)), skip_bad=True)  # fmt: skip
def _scientific(folder: Path) -> Path:
    rows = [MEMBER_HEADER, *members(2)]
    rows[2][1] = "1.38E+10"
    return text_table(folder / "scientific.csv", rows)


# Bytes no text holds, and text in the wrong place.


for _encoding in ("utf-8", "gbk"):

    def _nul(folder: Path, encoding: str = _encoding) -> Path:
        path = folder / f"nul_{encoding}.csv"
        body = "姓名,电话,经度,纬度\n张三,13800000001,111.37,35.62\n李\x00四,13800000002,111.37,35.62\n"
        path.write_bytes(body.encode(encoding))
        return path

    add(f"csv_nul_byte_{_encoding}", "members", _nul,
        Refused((f"nul_{_encoding}.csv", "line 3", "column 姓名", "NUL")))  # fmt: skip


# Vector files that crash readers.


@case("gpkg_ring_not_closed", "streets", Imported(2, notes=("feature fid 2: a polygon ring",)))
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
        wkb[last : last + 8] = struct.pack("<d", LON + 0.0123)  # the ring no longer closes
        db.execute("UPDATE streets SET geom = ? WHERE fid = 2", (blob[: 8 + envelope] + wkb,))
    return path


def _gpkg_bytes(folder: Path, name: str, cut: bool) -> Path:
    whole = vector(folder / f"{name}.tmp.gpkg", streets(3), layer="streets")
    data = whole.read_bytes()
    whole.unlink()
    path = folder / f"{name}.gpkg"
    path.write_bytes(data[: len(data) // 2] if cut else data + b"\0" * 4096)
    return path


add("gpkg_cut_short", "streets", partial(_gpkg_bytes, name="cut_short", cut=True),
    Refused(("cut_short.gpkg", "cut short", "pages")))  # fmt: skip
add("gpkg_bytes_appended", "streets", partial(_gpkg_bytes, name="appended", cut=False),
    Refused(("appended.gpkg", "bytes appended")))  # fmt: skip


def _geojson(folder: Path, name: str, features: list[str]) -> Path:
    path = folder / f"{name}.geojson"
    text = '{"type": "FeatureCollection", "features": [' + ", ".join(features) + "]}"
    path.write_text(text, encoding="utf-8")
    return path


_STATION = {"name": "测试驿站", "tier": "驿站", "floor_area_m2": 60, "community_code": COMMUNITY}

for _bad in ("NaN", "Infinity", "-Infinity"):
    add(
        f"geojson_coordinate_{_bad}",
        "stations",
        partial(_geojson, name=f"coordinate_{_bad}", features=[
            point_feature(_STATION, f"{LON}, {LAT}"),
            point_feature({**_STATION, "name": "测试驿站2"}, f"{_bad}, {LAT}"),
        ]),  # fmt: skip
        Refused((f"coordinate_{_bad}.geojson", "feature 2", "not a finite number")),
    )


@case("geojson_null_geometry", "streets", Imported(1, rejects=((2, "geometry"),)), skip_bad=True)
def _null_geometry(folder: Path) -> Path:
    features = json.loads(streets(2).to_json())["features"]
    features[1]["geometry"] = None
    return _geojson(folder, "null_geometry", [json.dumps(f, ensure_ascii=False) for f in features])


@case("geojson_cut_short", "streets", Refused(("cut_short.geojson", "not a readable GeoJSON")))
def _geojson_cut(folder: Path) -> Path:
    path = vector(folder / "cut_short.geojson", streets(3))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


# Coordinate systems PROJ cannot turn into WGS 84.

LOCAL_CS = (
    'LOCAL_CS["Site grid",LOCAL_DATUM["Local",0],UNIT["metre",1],'
    'AXIS["X",EAST],AXIS["Y",NORTH]]'
)


def _local(folder: Path, name: str) -> Path:
    # Gauss-Krüger metres (EPSG:4546) of a square in the city, under a .prj saying LOCAL_CS.
    frame = streets(1).to_crs(4546)
    return shapefile_zip(folder / f"{name}.zip", frame, prj=LOCAL_CS)


add("shapefile_local_cs", "streets", partial(_local, name="local_cs"),
    Refused(("local_cs.zip", "coordinate system")))  # fmt: skip
add("shapefile_local_cs_with_crs", "streets", partial(_local, name="local_cs_given"),
    Imported(1), crs="EPSG:4546")  # fmt: skip


# Archives: two Shapefiles, zip bombs, a DTD in a workbook, a CSV named .xlsx.


@case("zip_two_shapefiles", "streets", Refused(("two_shp.zip", "2 Shapefiles in one zip")))
def _two_shp(folder: Path) -> Path:
    one = zip_members(shapefile_zip(folder / "a.zip", streets(1)))
    two = zip_members(shapefile_zip(folder / "b.zip", streets(2)))
    (folder / "a.zip").unlink()
    (folder / "b.zip").unlink()
    return rezip(folder / "two_shp.zip", {**one, **two})


@case("zip_bomb_member", "streets", Refused(("bomb.zip", "zip bomb", "bomb.dbf")))
def _bomb(folder: Path) -> Path:
    parts = zip_members(shapefile_zip(folder / "bomb.zip", streets(1)))
    parts["bomb.dbf"] = parts["bomb.dbf"] + b" " * (8 << 20)  # 8 MB of spaces packs ~1,000 times
    return rezip(folder / "bomb.zip", parts)


@case("xlsx_bomb_sheet", "members", Refused(("bomb.xlsx", "zip bomb")))
def _xlsx_bomb(folder: Path) -> Path:
    path = workbook(folder / "bomb.xlsx", [("党员", [MEMBER_HEADER, *members(2)], "visible")])
    parts = zip_members(path)
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"<sheetData>", b"<sheetData>" + b" " * (8 << 20))
    return rezip(path, parts)


@case("xlsx_with_dtd", "members", Refused(("dtd.xlsx", "<!DOCTYPE")))
def _dtd(folder: Path) -> Path:
    path = workbook(folder / "dtd.xlsx", [("党员", [MEMBER_HEADER, *members(2)], "visible")])
    parts = zip_members(path)
    entity = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet]
    end = xml.find(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    parts[sheet] = xml[:end] + entity + xml[end:]
    return rezip(path, parts)


@case("xlsx_that_is_a_csv", "members", Refused(("really_csv.xlsx", "CSV")))
def _really_csv(folder: Path) -> Path:
    path = folder / "really_csv.xlsx"
    text_table(path, [MEMBER_HEADER, *members(2)])
    return path


@case("xlsx_cut_short", "members", Refused(("cut.xlsx", "not a readable")))
def _xlsx_cut(folder: Path) -> Path:
    path = workbook(folder / "cut.xlsx", [("党员", [MEMBER_HEADER, *members(200)], "visible")])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@case("shapefile_cut_short", "streets", Refused(("cut_shp.zip", "cannot read features")))
def _shp_cut(folder: Path) -> Path:
    parts = zip_members(shapefile_zip(folder / "cut_shp.zip", streets(3)))
    parts["cut_shp.shp"] = parts["cut_shp.shp"][:-40]
    return rezip(folder / "cut_shp.zip", parts)



# Communities and households: encodings and titles on the layers that hang off the city.


@case("shapefile_gbk_without_cpg", "communities", Imported(1))
def _gbk_communities(folder: Path) -> Path:
    frame = gpd.GeoDataFrame(
        {"社区代码": ["141081001099"], "社区名称": ["新建社区"], "街道代码": ["141081001"]},
        geometry=[square(LON, LAT, 0.003)],
        crs="EPSG:4326",
    )
    folder_shp = folder / "gbk_communities"
    folder_shp.mkdir(exist_ok=True)
    import pyogrio

    pyogrio.write_dataframe(frame, folder_shp / "社区.shp", encoding="GBK")
    (folder_shp / "社区.cpg").unlink()
    parts = {p.name: p.read_bytes() for p in sorted(folder_shp.iterdir())}
    return rezip(folder / "gbk_communities.zip", parts)


for _encoding in ("utf-8", "gbk"):

    def _households(folder: Path, encoding: str = _encoding) -> Path:
        lines: list[list[object]] = [
            ["紫金小区住户登记表", None],
            ["地址", "人数"],
            ["紫金小区1号楼1单元101室", 3],
            ["紫金小区1号楼1单元102室", 2],
            ["合计", 5],
        ]
        return text_table(folder / f"households_{encoding}.csv", lines, encoding)

    add(f"csv_households_title_and_totals_{_encoding}", "households", _households,
        Imported(2, notes=("the header is line 2", "line 5: a totals row (合计)")))  # fmt: skip
