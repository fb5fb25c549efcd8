"""Where a table is in a sheet or a text file: sheets, title rows, header rows, formulas,
totals rows (spreadsheet.py, layout.py, delimited.py). No database needed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo_api.importer.layout import find_header
from geo_api.importer.read import ImportFileError, Source, open_source
from tests.data.corpus.files import (
    MEMBER_HEADER,
    cache_formulas,
    members,
    merge,
    text_table,
    workbook,
)


def read_all(source: Source) -> pd.DataFrame:
    return pd.concat(list(source.chunks()), ignore_index=True)


def sheet(path: Path, rows: list[list[object]]) -> Path:
    return workbook(path, [("党员", rows, "visible")])


@pytest.mark.parametrize(
    ("rows", "header"),
    [
        ([["姓名", "电话"], ["张三", "138"]], 1),
        ([["侯马市花名册"], ["姓名", "电话"], ["张三", "138"]], 2),
        ([["花名册"], [None], ["姓名", "电话", "地址"], ["张三", 138, None]], 3),
        # a "填报单位 … 日期" line is narrower than the table
        (
            [["填报单位：路东", "日期：2023"], ["姓名", "电话", "地址", "人数"], ["张", 1, "x", 2]],
            2,
        ),
        # a row of numbers is data, not a header
        ([[1, 2, 3], [4, 5, 6]], None),
        ([["姓名", "电话"]], None),  # a header needs a row after it
        ([["2021", "2022"], ["1", "2"]], None),  # numbers written as text are not names
    ],
)
def test_find_header(rows: list[list[object]], header: int | None) -> None:
    assert find_header(list(enumerate(rows, start=1))) == header


@pytest.mark.parametrize("titles", [1, 2, 3])
def test_title_rows_above_the_header_are_skipped_and_noted(tmp_path: Path, titles: int) -> None:
    above: list[list[object]] = [
        ["侯马市路东街道报到党员花名册"],
        ["填报单位：路东", None, None, "2023年5月6日"],
        [None],
    ]
    path = merge(
        sheet(tmp_path / "t.xlsx", [*above[:titles], MEMBER_HEADER, *members(2)]), ["A1:E1"]
    )
    source = open_source(path)
    assert source.columns == MEMBER_HEADER
    rows = read_all(source)
    assert rows["_row"].tolist() == [titles + 2, titles + 3]  # Excel's row numbers
    assert rows["电话"].tolist() == ["13800000000", "13800000001"]
    span = "row 1" if titles == 1 else f"rows 1-{titles}"
    assert source.notes == [
        f"sheet 党员: the header is row {titles + 1} (the first row that looks like one); "
        f"{span} above it skipped (starting '侯马市路东街道报到党员花名册')"
    ]


def test_header_row_given_and_its_mistakes(tmp_path: Path) -> None:
    # A legend above the table looks like a header itself: only header_row can say.
    legend: list[list[object]] = [["编号", "类别", "说明", "备注"], ["甲", "乙", "丙", "丁"]]
    path = sheet(tmp_path / "h.xlsx", [*legend, MEMBER_HEADER, *members(2)])
    assert open_source(path).columns == ["编号", "类别", "说明", "备注"]
    source = open_source(path, header_row=3)
    assert source.columns == MEMBER_HEADER
    assert read_all(source)["_row"].tolist() == [4, 5]
    assert "the header is row 3 (as given); rows 1-2 above it skipped" in source.notes[0]
    with pytest.raises(ImportFileError, match="row 9 is empty"):
        open_source(path, header_row=9)
    with pytest.raises(ImportFileError, match="rows are numbered from 1"):
        open_source(path, header_row=0)


def test_merged_cells_inside_the_table_stay_refused(tmp_path: Path) -> None:
    path = merge(
        sheet(tmp_path / "m.xlsx", [["标题"], MEMBER_HEADER, *members(3)]), ["A1:E1", "B3:B4"]
    )
    with pytest.raises(ImportFileError, match=r"m.xlsx, sheet 党员: merged cells B3:B4"):
        open_source(path)


def test_hidden_sheets_are_read_only_by_name(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "h.xlsx",
        [
            ("旧", [MEMBER_HEADER, *members(4)], "veryHidden"),
            ("新", [MEMBER_HEADER, *members(2)], "visible"),
            ("空", [], "visible"),
        ],
    )
    source = open_source(path)
    assert len(read_all(source)) == 2
    assert source.notes == ["hidden sheet(s) 旧 not read: name one (--sheet) to import it"]
    assert len(read_all(open_source(path, sheet="旧"))) == 4


def test_formulas_read_as_their_saved_values_with_notes(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["姓名", "人数", "户数"],
        ["张三", "=1+2", "=B2*2"],
        ["李四", "=4", 1],
    ]
    path = cache_formulas(sheet(tmp_path / "f.xlsx", rows), {"B2": 3, "C2": 6, "B3": 4})
    source = open_source(path)
    got = read_all(source)
    assert got[["人数", "户数"]].values.tolist() == [["3", "6"], ["4", "1"]]
    assert source.notes == [
        "sheet 党员, column 人数: formula cells B2, B3 read as the values Excel last saved",
        "sheet 党员, column 户数: formula cells C2 read as the values Excel last saved",
    ]


def test_many_formulas_are_summed_up(tmp_path: Path) -> None:
    rows: list[list[object]] = [["姓名", "人数"]] + [[f"人{i}", f"={i}"] for i in range(12)]
    source = open_source(sheet(tmp_path / "f.xlsx", rows))
    assert read_all(source)["人数"].isna().all()  # never calculated: empty
    assert len(source.notes) == 6
    assert source.notes[0].startswith("sheet 党员, cell B2: formula =0 has no saved value")
    assert source.notes[-1] == "sheet 党员: 7 more formula cells with no saved value read as empty"


@pytest.mark.parametrize("word", ["合计", "小计", "总计：", "Total", "合  计", "TOTAL:"])
def test_totals_rows_are_skipped_in_sheets_and_csv(tmp_path: Path, word: str) -> None:
    rows: list[list[object]] = [MEMBER_HEADER, *members(2), [None, word, None, None, None]]
    source = open_source(sheet(tmp_path / "t.xlsx", rows))
    assert read_all(source)["_row"].tolist() == [2, 3]
    assert source.notes == [
        f"sheet 党员, row 4: a totals row ({word.strip()}) skipped: it is not a record"
    ]
    lines = [MEMBER_HEADER, ["张三", "138", "", "", ""], [word, "1", "", "", ""], ["李四", "139"]]
    source = open_source(text_table(tmp_path / "t.csv", lines))
    assert read_all(source)["_row"].tolist() == [2, 4]
    assert source.notes == [
        f"data row 2 (line 3): a totals row ({word.strip()}) skipped: it is not a record"
    ]


def test_a_total_inside_a_longer_text_is_data(tmp_path: Path) -> None:
    lines = [["姓名", "备注"], ["张三", "合计两人"], ["Total Li", "x"]]
    source = open_source(text_table(tmp_path / "t.csv", lines))
    assert len(read_all(source)) == 2 and source.notes == []


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_csv_title_lines_and_header_row(tmp_path: Path, encoding: str) -> None:
    lines: list[list[object]] = [
        ["侯马市花名册", None, None],
        ["姓名", "电话", "地址"],
        ["张三", "138", "新田路"],
    ]
    path = text_table(tmp_path / "t.csv", lines, encoding)
    source = open_source(path)
    assert source.columns == ["姓名", "电话", "地址"]
    assert read_all(source).to_dict("records") == [
        {"_row": 3, "姓名": "张三", "电话": "138", "地址": "新田路"}
    ]
    assert source.notes == [
        "the header is line 2 (the first line that looks like one); line 1 above it skipped"
    ]
    given = open_source(path, header_row=2)
    assert given.columns == source.columns and "as given" in given.notes[0]
    with pytest.raises(ImportFileError, match="no record 7"):
        open_source(path, header_row=7)


def test_csv_with_tabs_under_a_title_line(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("花名册\n姓名\t电话\n张三\t138\n", encoding="utf-8")
    source = open_source(path)
    assert source.columns == ["姓名", "电话"]
    assert read_all(source)["电话"].tolist() == ["138"]
