"""Cases of the reading half: files that are awkward, broken or hostile as files.

Layers that need little setup in the test city: members (tables), streets and
communities (shapes), stations (points). The rows themselves are good, so what
a case tests is how the file is read.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import geopandas as gpd

from tests.data.corpus import Cases, Imported, Refused
from tests.data.corpus.files import (
    AREA_LON,
    LAT,
    MEMBER_HEADER,
    cache_formulas,
    members,
    merge,
    rezip,
    square,
    text_table,
    workbook,
    zip_members,
)

CASES = Cases()


def _titled(folder: Path, titles: int, merged: bool) -> Path:
    title_rows: list[list[object]] = [["侯马市路东街道报到党员花名册"]]
    title_rows += [["填报单位：路东街道", None, None, "填报日期：2023年5月6日"]]
    title_rows += [[None]]  # an empty line under the title
    rows = [*title_rows[:titles], MEMBER_HEADER, *members(3)]
    path = workbook(
        folder / f"title_{titles}_{'merged' if merged else 'plain'}.xlsx",
        [("花名册", rows, "visible")],
    )
    return merge(path, ["A1:E1"]) if merged else path


for _titles in (1, 2, 3):
    for _merged in (False, True):
        CASES.add(
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
    return text_table(folder / name, [*lines[:titles], MEMBER_HEADER, *body], encoding)


for _titles in (1, 2):
    for _encoding in ("utf-8", "gbk"):
        CASES.add(
            f"csv_title_{_titles}_{_encoding}",
            "members",
            partial(_titled_csv, titles=_titles, encoding=_encoding),
            Imported(2, notes=(f"the header is line {_titles + 1}",)),
        )


@CASES.case(
    "xlsx_header_row_given",
    "members",
    Imported(3, notes=("the header is row 3 (as given)",)),
    header_row=3,
)
def _header_row(folder: Path) -> Path:
    rows = [["编号", "类别"], ["说明：", "本表由社区填写"], MEMBER_HEADER, *members(3)]
    return workbook(folder / "header_row_3.xlsx", [("党员", rows, "visible")])


@CASES.case("xlsx_merged_cells_inside_table", "members", Refused(("merged_inside.xlsx", "A3:A4")))
def _merged_inside(folder: Path) -> Path:
    path = workbook(
        folder / "merged_inside.xlsx", [("党员", [MEMBER_HEADER, *members(4)], "visible")]
    )
    return merge(path, ["A3:A4"])


# Sheets: hidden ones are never read unless named; several visible ones are refused.


for _state in ("hidden", "veryHidden"):
    for _where in ("before", "after"):

        def _hidden(folder: Path, state: str = _state, where: str = _where) -> Path:
            secret = ("旧名单", [MEMBER_HEADER, *members(5, start=50)], state)
            data = ("党员", [MEMBER_HEADER, *members(2)], "visible")
            order = [secret, data] if where == "before" else [data, secret]
            return workbook(folder / f"{state}_{where}.xlsx", order)

        CASES.add(
            f"xlsx_{_state}_sheet_{_where}",
            "members",
            _hidden,
            Imported(2, notes=("hidden sheet(s) 旧名单 not read",)),
        )

CASES.add(
    "xlsx_hidden_sheet_named",
    "members",
    lambda folder: workbook(
        folder / "hidden_named.xlsx",
        [
            ("党员", [MEMBER_HEADER, *members(2)], "visible"),
            ("旧名单", [MEMBER_HEADER, *members(5, start=50)], "hidden"),
        ],
    ),
    Imported(5),
    sheet="旧名单",
)


def _two_sheets(folder: Path) -> Path:
    return workbook(
        folder / "two_sheets.xlsx",
        [
            ("路东", [MEMBER_HEADER, *members(2)], "visible"),
            ("路西", [MEMBER_HEADER, *members(3, start=10)], "visible"),
            ("Sheet3", [], "visible"),
        ],
    )


CASES.add(
    "xlsx_two_visible_sheets",
    "members",
    _two_sheets,
    Refused(("two_sheets.xlsx", "2 sheets hold data", "路东", "路西")),
)
CASES.add("xlsx_two_visible_sheets_one_named", "members", _two_sheets, Imported(3), sheet="路西")


@CASES.case(
    "xlsx_every_sheet_hidden", "members", Refused(("all_hidden.xlsx", "every sheet is hidden"))
)
def _all_hidden(folder: Path) -> Path:
    # openpyxl will not save a workbook with no visible sheet; Excel's VBA will.
    path = workbook(folder / "all_hidden.xlsx", [("党员", [MEMBER_HEADER, *members(2)], "visible")])
    parts = zip_members(path)
    book = parts["xl/workbook.xml"]
    assert b'state="visible"' in book
    parts["xl/workbook.xml"] = book.replace(b'state="visible"', b'state="hidden"')
    return rezip(path, parts)


@CASES.case("xlsx_broken_sheet_xml", "members", Refused(("broken_xml.xlsx", "not a readable")))
def _broken_xml(folder: Path) -> Path:
    path = workbook(folder / "broken_xml.xlsx", [("党员", [MEMBER_HEADER, *members(2)], "visible")])
    parts = zip_members(path)
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"</row>", b"</rw>", 1)
    return rezip(path, parts)


# Formulas: the saved value is read, with a note; none saved reads as empty.


@CASES.case(
    "xlsx_formulas_in_several_columns",
    "members",
    Imported(2, notes=("column 电话: formula cells B2, B3", "column 经度: formula cells C2, C3")),
)
def _formulas(folder: Path) -> Path:
    rows = [MEMBER_HEADER]
    for name, phone, lon, lat, day in members(2):
        rows.append([name, f'="138"&"{str(phone)[3:]}"', f"=111+{lon - 111:.3f}", lat, day])
    path = workbook(folder / "formulas.xlsx", [("党员", rows, "visible")])
    cached = {}
    for i, (_, phone, lon, _, _) in enumerate(members(2), start=2):
        cached[f"B{i}"] = str(phone)
        cached[f"C{i}"] = f"{lon:.3f}"
    return cache_formulas(path, cached)


@CASES.case(
    "xlsx_formula_never_calculated",
    "members",
    Imported(1, rejects=((3, "phone"),), notes=("cell B3: formula",)),
    skip_bad=True,
)
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

    CASES.add(
        f"xlsx_totals_{_word}", "members", _totals_xlsx, Imported(3, notes=("row 5: a totals row",))
    )
    CASES.add(
        f"csv_totals_{_word}",
        "members",
        _totals_csv,
        Imported(2, notes=("(line 4): a totals row",)),
    )


# Numbers: whole numbers stay whole, phones stay digits, dates become ISO dates.


@CASES.case("xlsx_phones_as_numbers_and_floats", "members", Imported(3))
def _phones(folder: Path) -> Path:
    rows = [MEMBER_HEADER, *members(3)]
    rows[2][1] = float(rows[2][1])  # type: ignore[arg-type]
    rows[3][1] = str(rows[3][1])
    return workbook(folder / "phones.xlsx", [("党员", rows, "visible")])


@CASES.case(
    "csv_phone_in_scientific_notation",
    "members",
    Imported(1, rejects=((3, "phone"),)),
    skip_bad=True,
)
def _scientific(folder: Path) -> Path:
    rows = [MEMBER_HEADER, *members(2)]
    rows[2][1] = "1.38E+10"
    return text_table(folder / "scientific.csv", rows)


# Bytes no text holds, and text in the wrong place.


for _encoding in ("utf-8", "gbk"):

    def _nul(folder: Path, encoding: str = _encoding) -> Path:
        path = folder / f"nul_{encoding}.csv"
        body = "姓名,电话,经度,纬度\n张三,13800000001,111.37,35.62\n"
        body += "李\x00四,13800000002,111.37,35.62\n"
        path.write_bytes(body.encode(encoding))
        return path

    CASES.add(
        f"csv_nul_byte_{_encoding}",
        "members",
        _nul,
        Refused((f"nul_{_encoding}.csv", "line 3", "column 姓名", "NUL")),
    )


# Communities and households: encodings and titles on the layers that hang off the city.


@CASES.case("shapefile_gbk_without_cpg", "communities", Imported(1))
def _gbk_communities(folder: Path) -> Path:
    frame = gpd.GeoDataFrame(
        {"社区代码": ["141081001099"], "社区名称": ["新建社区"], "街道代码": ["141081001"]},
        geometry=[square(AREA_LON, LAT, 0.003)],
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

    CASES.add(
        f"csv_households_title_and_totals_{_encoding}",
        "households",
        _households,
        Imported(2, notes=("the header is line 2", "(line 5): a totals row (合计)")),
    )


# Numbers no int() reads: a digit run past Python's 4,300-digit limit, superscripts
# (isdigit() says yes), in the address and in the count of persons.
def _households_past_int(folder: Path) -> Path:
    lines: list[list[object]] = [
        ["地址", "人数"],
        ["紫金小区1号楼1单元101室", 3],
        ["紫金小区" + "9" * 5000 + "号楼1单元101室", 2],
        ["紫金小区1号楼1单元" + "1" * 5000 + "室", 2],
        ["紫金小区1号楼1单元102室", "9" * 5000],
        ["紫金小区1号楼1单元103室", "²"],
    ]
    return text_table(folder / "households_past_int.csv", lines, "utf-8")


CASES.add(
    "csv_households_numbers_past_int",
    "households",
    _households_past_int,
    Imported(1, rejects=((3, "building"), (4, "room"), (5, "persons"), (6, "persons"))),
    skip_bad=True,
)
