"""The reading half of the importer: formats, encodings, mistakes, column mapping.

Every file is written by the test into tmp_path; no database is needed.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from geo_api.errors import InvalidInputError
from geo_api.importer.columns import ColumnMapError, load_mapping, map_columns
from geo_api.importer.fields import ALIASES, aliases, normalise
from geo_api.importer.read import ImportFileError, Source, open_source
from geo_api.importer.registry import REGISTRY

HEADER = ["姓名", "地址", "经度", "纬度", "楼栋", "单元", "门牌号"]
ROWS = [
    ["张三", "侯马市新田路1号", "111.37", "35.62", "1", "2", "301"],
    ["李四", "浍滨街道滨河小区", "111.38", "35.63", "3", "1", "0102"],
]


def read_all(source: Source) -> pd.DataFrame:
    """Every chunk of a source, in one frame."""
    return pd.concat(list(source.chunks()), ignore_index=True)


def write_csv(path: Path, lines: list[list[str]], encoding: str = "utf-8") -> Path:
    """A comma-separated file of ``lines`` (header first) in ``encoding``."""
    path.write_bytes(("\n".join(",".join(line) for line in lines) + "\n").encode(encoding))
    return path


def people() -> gpd.GeoDataFrame:
    """Two households with Chinese field names and values, in WGS 84."""
    return gpd.GeoDataFrame(
        {"姓名": ["张三", "李四"], "地址": ["侯马市新田路1号", "浍滨街道"], "人数": [3, 4]},
        geometry=[Point(111.37, 35.62), Point(111.38, 35.63)],
        crs="EPSG:4326",
    )


def write_gbk_shapefile(folder: Path, name: str = "户籍") -> Path:
    """A Shapefile whose .dbf is GBK, with its .cpg saying so."""
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.shp"
    pyogrio.write_dataframe(people(), path, encoding="GBK")
    return path


def zip_files(path: Path, files: list[Path]) -> Path:
    """A zip of ``files`` by their names."""
    with zipfile.ZipFile(path, "w") as archive:
        for file in files:
            archive.write(file, file.name)
    return path


def error_of(path: Path, **options: str) -> str:
    """The message open_source raises (at open or while reading) for ``path``."""
    with pytest.raises(ImportFileError) as caught:
        read_all(open_source(path, **options))
    assert path.name in str(caught.value)
    return str(caught.value)


# CSV: encodings


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_encodings_with_chinese_headers(tmp_path: Path, encoding: str, detected: str) -> None:
    path = write_csv(tmp_path / "户籍.csv", [HEADER, *ROWS], encoding)
    source = open_source(path)
    assert (source.format, source.encoding, source.crs, source.has_geometry) == (
        "csv",
        detected,
        None,
        False,
    )
    assert source.columns == HEADER  # the BOM is not part of the first header
    rows = read_all(source)
    assert list(rows.columns) == ["_row", *HEADER]
    assert rows["_row"].tolist() == [2, 3]
    assert rows[HEADER].values.tolist() == ROWS  # "0102" stays text
    assert all(rows[name].dtype == object for name in HEADER)


def test_csv_declared_encoding_wins(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [["name"], ["café"]], "latin-1")
    assert "neither UTF-8" in error_of(path)
    source = open_source(path, encoding="latin-1")
    assert source.encoding == "iso8859-1"
    assert read_all(source)["name"].tolist() == ["café"]
    assert "unknown encoding 'klingon'" in error_of(path, encoding="klingon")


def test_csv_neither_utf8_nor_gb18030_names_offset_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"name,address\nzhang,\x80\x80\xff\n")
    message = error_of(path)
    assert "neither UTF-8" in message
    assert "at byte 19 (line 2)" in message


def test_csv_bad_bytes_far_down_name_their_line(tmp_path: Path) -> None:
    # Detection reads the first MiB; the GBK line after it is found while reading.
    path = tmp_path / "mixed.csv"
    line = "张三,侯马市新田路一号院三单元\n".encode()
    count = (2 << 20) // len(line)
    path.write_bytes("姓名,地址\n".encode() + line * count + "李四,浍滨街道\n".encode("gbk"))
    source = open_source(path)
    assert source.encoding == "utf-8"
    message = error_of(path)
    assert f"line {count + 2}" in message
    assert "not valid utf-8" in message


# CSV: rows, lines and values


def test_csv_line_numbers_count_multiline_cells_and_keep_inner_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('姓名,地址\n张三,"新田路\n1号"\n\n李四,NA\n王五,\n\n\n', encoding="utf-8")
    rows = read_all(open_source(path))
    assert rows["_row"].tolist() == [2, 4, 5, 6]  # trailing blank lines dropped
    assert rows["地址"].tolist() == ["新田路\n1号", None, "NA", None]
    assert rows["姓名"].tolist() == ["张三", None, "李四", "王五"]


def test_empty_rows_across_chunk_edges(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n\n\n\n2\n\n\n\n", encoding="utf-8")
    chunks = list(open_source(path).chunks(2))
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]
    rows = pd.concat(chunks, ignore_index=True)
    assert rows["_row"].tolist() == [2, 3, 4, 5, 6]
    assert rows["a"].tolist() == ["1", None, None, None, "2"]


def test_csv_tab_separated_txt(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("姓名\t地址\n张三\t新田路, 1号\n", encoding="utf-8")
    assert read_all(open_source(path)).to_dict("records") == [
        {"_row": 2, "姓名": "张三", "地址": "新田路, 1号"}
    ]


def test_csv_excel_unicode_text_and_trailing_delimiters(tmp_path: Path) -> None:
    # Excel's "Unicode text": UTF-16 with a BOM, tab-separated; a formatted empty column
    # leaves a trailing delimiter on every line.
    path = tmp_path / "a.txt"
    path.write_bytes("姓名\t地址\t\n张三\t新田路\t\n".encode("utf-16"))
    source = open_source(path)
    assert (source.encoding, source.columns) == ("utf-16", ["姓名", "地址"])
    assert read_all(source)["地址"].tolist() == ["新田路"]
    path = tmp_path / "b.csv"
    path.write_text("姓名,地址,\n张三,新田路,\n李四,滨河,3号\n", encoding="utf-8")
    assert "line 3, value '3号': a value in column 3, which the header does not name" in (
        error_of(path)
    )


def test_csv_row_with_too_many_values_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('a,b\n1,"x\ny"\n3,4,5\n', encoding="utf-8")
    assert "line 4: 3 values but the header has 2 columns" in error_of(path)


def test_csv_chunks_stream_in_fixed_sizes(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    body = "".join(f"张{i},新田路{i}号\n" for i in range(250_001))
    path.write_text("姓名,地址\n" + body, encoding="utf-8")
    sizes, first, last = [], [], []
    for chunk in open_source(path).chunks(100_000):
        sizes.append(len(chunk))
        first.append(int(chunk["_row"].iloc[0]))
        last.append(int(chunk["_row"].iloc[-1]))
    assert sizes == [100_000, 100_000, 50_001]
    assert first == [2, 100_002, 200_002]
    assert last == [100_001, 200_001, 250_002]


# Vector formats


def test_geojson(tmp_path: Path) -> None:
    path = tmp_path / "户籍.geojson"
    pyogrio.write_dataframe(people(), path)
    source = open_source(path)
    assert (source.format, source.has_geometry, source.columns) == (
        "geojson",
        True,
        ["姓名", "地址", "人数"],
    )
    assert source.crs is not None and source.crs.to_epsg() == 4326
    rows = read_all(source)
    assert rows["_row"].tolist() == [1, 2]
    assert rows["人数"].tolist() == ["3", "4"]  # numbers arrive as text, like every format
    assert rows["geometry"].iloc[0].equals(Point(111.37, 35.62))


def test_geopackage_layers(tmp_path: Path) -> None:
    path = tmp_path / "city.gpkg"
    pyogrio.write_dataframe(people(), path, layer="households")
    pyogrio.write_dataframe(people().iloc[:1], path, layer="heads")
    assert "2 layers: say which to import (households, heads)" in error_of(path)
    assert "no layer 'units'; the layers are: households, heads" in error_of(path, layer="units")
    source = open_source(path, layer="heads")
    assert source.format == "gpkg"
    assert read_all(source)["姓名"].tolist() == ["张三"]


def test_gbk_shapefile_with_cpg(tmp_path: Path) -> None:
    source = open_source(write_gbk_shapefile(tmp_path / "shp"))
    assert (source.format, source.encoding, source.warnings) == ("shapefile", "gb18030", [])
    assert source.columns == ["姓名", "地址", "人数"]
    assert read_all(source)["地址"].tolist() == ["侯马市新田路1号", "浍滨街道"]


def test_gbk_shapefile_without_cpg_is_detected(tmp_path: Path) -> None:
    path = write_gbk_shapefile(tmp_path / "shp")
    path.with_suffix(".cpg").unlink()
    source = open_source(path)
    assert source.encoding == "gb18030"
    assert source.columns == ["姓名", "地址", "人数"]
    assert read_all(source)["姓名"].tolist() == ["张三", "李四"]


def test_shapefile_without_prj_warns(tmp_path: Path) -> None:
    path = write_gbk_shapefile(tmp_path / "shp")
    path.with_suffix(".prj").unlink()
    source = open_source(path)
    assert source.crs is None
    assert source.warnings == ["no .prj: the coordinate system is unknown"]


def test_zipped_shapefile(tmp_path: Path) -> None:
    shp = write_gbk_shapefile(tmp_path / "shp")
    path = zip_files(tmp_path / "户籍.zip", sorted(shp.parent.iterdir()))
    source = open_source(path)
    assert (source.format, source.encoding) == ("shapefile", "gb18030")
    assert source.crs is not None and source.crs.to_epsg() == 4326
    assert read_all(source)["姓名"].tolist() == ["张三", "李四"]


def test_zip_with_two_shapefiles_or_none(tmp_path: Path) -> None:
    one = write_gbk_shapefile(tmp_path / "one", "a")
    two = write_gbk_shapefile(tmp_path / "two", "b")
    both = zip_files(tmp_path / "both.zip", [*one.parent.iterdir(), *two.parent.iterdir()])
    assert "2 Shapefiles in one zip (a.shp, b.shp)" in error_of(both)
    csv = write_csv(tmp_path / "a.csv", [HEADER, *ROWS])
    assert "no Shapefile (.shp) in the zip; it holds: a.csv" in error_of(
        zip_files(tmp_path / "none.zip", [csv])
    )


def test_truncated_zip(tmp_path: Path) -> None:
    shp = write_gbk_shapefile(tmp_path / "shp")
    path = zip_files(tmp_path / "cut.zip", sorted(shp.parent.iterdir()))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "not a readable zip" in error_of(path)


# XLSX


def workbook(path: Path, rows: Sequence[Sequence[object]], title: str = "户籍") -> Path:
    """A one-sheet workbook of ``rows`` (header first)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def test_xlsx_values_as_text_and_trailing_empty_rows_ignored(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["姓名", "电话", "报到日期", "人数"],
        ["张三", 13812345678, date(2024, 3, 1), 3],
        [None, None, None, None],  # inside the data: kept for the validator to reject
        ["李四", "0357-4221234", None, 2.5],
        [None, None, None, None],
        [None, None, None, None],
    ]
    path = workbook(tmp_path / "members.xlsx", rows)
    source = open_source(path)
    assert (source.format, source.columns, source.encoding) == (
        "xlsx",
        ["姓名", "电话", "报到日期", "人数"],
        None,
    )
    got = read_all(source)
    assert got["_row"].tolist() == [2, 3, 4]
    assert got.drop(columns="_row").values.tolist() == [
        ["张三", "13812345678", "2024-03-01", "3"],
        [None, None, None, None],
        ["李四", "0357-4221234", None, "2.5"],
    ]


def test_xlsx_sheet_choice(tmp_path: Path) -> None:
    path = workbook(tmp_path / "book.xlsx", [["名称"], ["首页"]], title="说明")
    book = openpyxl.load_workbook(path)
    data = book.create_sheet("户籍")
    data.append(["姓名"])
    data.append(["张三"])
    book.save(path)
    assert "2 sheets hold data (说明, 户籍): say which to import" in error_of(path)
    assert read_all(open_source(path, sheet="说明"))["名称"].tolist() == ["首页"]
    assert read_all(open_source(path, sheet="户籍"))["姓名"].tolist() == ["张三"]
    assert "no sheet '人口'; the sheets are: 说明, 户籍" in error_of(path, sheet="人口")


def test_xlsx_formula_never_calculated_reads_empty_with_a_note(tmp_path: Path) -> None:
    # openpyxl saves formulas without a value, as a workbook never opened in Excel.
    rows: list[list[object]] = [["姓名", "人数"], ["张三", 3], ["李四", "=SUM(B2:B2)"]]
    path = workbook(tmp_path / "f.xlsx", rows)
    source = open_source(path)
    assert read_all(source)["人数"].tolist() == ["3", None]
    assert source.notes == [
        "sheet 户籍, cell B3: formula =SUM(B2:B2) has no saved value (the workbook was never "
        "calculated in Excel?): read as empty"
    ]


def test_xlsx_merged_cells_name_the_range(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "m.xlsx", [["小区", "楼栋"]] + [["滨河小区", str(i)] for i in range(9)]
    )
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    sheet.merge_cells("A5:A9")
    book.save(path)
    assert "merged cells A5:A9" in error_of(path)


# Mistakes any format can have


@pytest.mark.parametrize("name", ["a.csv", "a.xlsx", "a.geojson", "a.zip", "a.gpkg"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert "empty (0 bytes)" in error_of(path)


def test_header_only_has_no_rows(tmp_path: Path) -> None:
    assert "no rows" in error_of(write_csv(tmp_path / "a.csv", [HEADER, [""]]))
    assert "no rows" in error_of(workbook(tmp_path / "a.xlsx", [HEADER, [None] * 7]))
    empty = gpd.GeoDataFrame({"姓名": []}, geometry=[], crs="EPSG:4326")
    pyogrio.write_dataframe(empty, tmp_path / "a.gpkg", geometry_type="Point")
    assert "no rows" in error_of(tmp_path / "a.gpkg")


def test_duplicate_columns_after_stripping(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [["姓名", "地址", " 姓名 "], ["a", "b", "c"]])
    assert "two columns are named '姓名' (line 1, column 1 and line 1, column 3)" in error_of(path)


def test_missing_and_unsupported_files(tmp_path: Path) -> None:
    assert "no such file" in error_of(tmp_path / "gone.csv")
    old = tmp_path / "a.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    message = error_of(old)
    assert "save it as .xlsx" in message
    assert ".geojson, .json, .gpkg, .zip, .shp, .csv, .txt, .xlsx" in message


def test_import_file_error_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        open_source(tmp_path / "gone.csv")


# Column mapping


def test_chinese_and_english_aliases() -> None:
    mapped = map_columns([*HEADER, "人口", "备注"], "households")
    assert mapped.fields == {
        "address": "地址",
        "building": "楼栋",
        "unit": "单元",
        "room": "门牌号",
        "persons": "人口",
        "lon": "经度",
        "lat": "纬度",
        "remarks": "备注",
    }
    assert mapped.unused == ["姓名"]
    english = map_columns(["Name", " Phone No", "LONGITUDE", "lat", "Registered On"], "members")
    assert english.fields == {"name": "Name", "lon": "LONGITUDE", "lat": "lat"} | {
        "registered_on": "Registered On"
    }
    assert english.unused == [" Phone No"]
    assert map_columns(["面积（㎡）", "站点名称"], "stations").fields == {
        "name": "站点名称",
        "floor_area_m2": "面积（㎡）",
    }


def test_two_columns_for_one_field_is_an_error() -> None:
    with pytest.raises(ColumnMapError, match=r"columns '姓名' and 'name' both mean members field"):
        map_columns(["姓名", "name", "电话"], "members")


def test_explicit_mapping_wins_and_is_checked() -> None:
    mapped = map_columns(
        ["姓名", "name", "联系人电话"], "members", {"name": "name", "phone": "联系人电话"}
    )
    assert mapped.fields == {"name": "name", "phone": "联系人电话"}
    assert mapped.unused == ["姓名"]
    with pytest.raises(ColumnMapError, match=r"no such column; its columns are: 姓名, 电话"):
        map_columns(["姓名", "电话"], "members", {"phone": "手机"})
    with pytest.raises(ColumnMapError, match=r"'room', which is not a field of members"):
        map_columns(["姓名"], "members", {"room": "姓名"})


def test_mapping_files(tmp_path: Path) -> None:
    toml = tmp_path / "mapping.toml"
    toml.write_text(
        '[households]\nroom = "户室"\n\n[members]\nname = "党员姓名"\n', encoding="utf-8"
    )
    mapping = load_mapping(toml)
    assert mapping == {"households.room": "户室", "members.name": "党员姓名"}
    assert map_columns(["户室", "地址"], "households", mapping).fields == {
        "address": "地址",
        "room": "户室",
    }
    flat = tmp_path / "mapping.json"
    flat.write_text(json.dumps({"phone": "联系人电话"}, ensure_ascii=False), encoding="utf-8")
    assert load_mapping(flat) == {"phone": "联系人电话"}
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"联系人电话": "phone"}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(
        ImportFileError, match=r"wrong.json, key 联系人电话: .*phone = '联系人电话'"
    ):
        load_mapping(wrong)
    broken = tmp_path / "broken.toml"
    broken.write_text('[households\nroom = "户室"\n', encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"broken.toml: not valid TOML"):
        load_mapping(broken)


def test_required_fields() -> None:
    households, streets = REGISTRY["households"], REGISTRY["streets"]
    assert households.missing(["address"], has_geometry=False) is None
    assert households.missing(["compound", "building", "unit", "room"], has_geometry=False) is None
    assert households.missing(["compound", "room"], has_geometry=False) == (
        "households need address or building+compound+room+unit"
    )
    assert streets.missing(["code"], has_geometry=True) == "streets need the column(s) name"
    assert REGISTRY["members"].missing(["name", "phone"], has_geometry=True) is None
    assert REGISTRY["members"].missing(["name", "phone"], has_geometry=False) == (
        "members need lat+lon or address"
    )


def test_alias_table_is_unambiguous() -> None:
    for layer in REGISTRY.values():
        table = aliases(layer)
        for field in layer.fields:
            assert table[normalise(field.name)] == field.name
            assert all(table[normalise(n)] == field.name for n in field.aliases)
        general: dict[str, str] = {}
        for name_of in layer.field_names:
            for name in (*ALIASES.get(name_of, ()), name_of):
                assert general.setdefault(normalise(name), name_of) == name_of, (layer, name)


def test_a_file_whose_content_is_not_its_format_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("compound\nTOPSECRET\n", encoding="utf-8")
    vrt = tmp_path / "streets.geojson"
    vrt.write_text(
        f'<OGRVRTDataSource><OGRVRTLayer name="secret"><SrcDataSource>{secret}'
        "</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>",
        encoding="utf-8",
    )
    with pytest.raises(ImportFileError, match="the content is not geojson"):
        open_source(vrt)
    fake = tmp_path / "city.gpkg"
    fake.write_text("{}", encoding="utf-8")
    with pytest.raises(ImportFileError, match="the content is not gpkg"):
        open_source(fake)


@pytest.mark.parametrize("codec", ["base64", "rot13", "zlib_codec", "utf-16"])
def test_odd_declared_encodings_are_named_not_crashed_on(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "a.csv"
    path.write_text("地址,人数\n水岸明珠3-2-501,2\n", encoding="utf-8")
    with pytest.raises(ImportFileError):
        list(open_source(path, encoding=codec).chunks())


def test_every_format_says_where_a_row_is(tmp_path: Path) -> None:
    csv = open_source(write_csv(tmp_path / "a.csv", [HEADER, *ROWS]))
    xlsx = open_source(workbook(tmp_path / "a.xlsx", [HEADER, *ROWS]))
    pyogrio.write_dataframe(people(), tmp_path / "a.geojson")
    geojson = open_source(tmp_path / "a.geojson")
    assert [s.label(2) for s in (csv, xlsx, geojson)] == [
        "data row 1 (line 2)",
        "sheet 户籍, row 2",
        "feature 2",
    ]
    assert csv.notes == xlsx.notes == geojson.notes == []
