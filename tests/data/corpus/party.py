"""The party lists as streets and communities keep them: alliance units (联盟单位) and the
three lists (资源清单, 需求清单, 项目清单). GBK files with a title row, workbooks with a
hidden sheet and a merged title over the header, and each list's usual mistakes:
an unknown category or unit, a bad urgency or status, a repeated row, a date typed
2021.3.5 or left as an Excel serial (45292) in a text file, a phone in scientific
notation, a point outside the city, and a file with no rows.

Every name here is new to the test city, so a case that imports lands fresh rows
(its import is rolled back) and a case that is refused holds on any city.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from tests.data.corpus import Cases, Imported, Refused
from tests.data.corpus.files import COMMUNITY, LAT, LON, merge, text_table, workbook

CASES = Cases()
BEIJING = (116.40, 39.90)  # about 650 km from the test city

# Each list's columns with a good row's values; a case changes some of them. A title
# ends with the row's number, so rows differ; {n} in a value is that number too.
UNIT = {"单位名称": "语料联盟单位", "单位类型": "国有企业", "地址": "新田路1号",
        "联系人": "周建华", "联系电话": "1351234567{n}", "签约日期": "2021.3.5",
        "社区代码": COMMUNITY, "经度": LON, "纬度": LAT}  # fmt: skip
RESOURCE = {"资源名称": "语料资源", "类型": "场地", "类别": "养老助老", "数量": 80,
            "计量单位": "平方米", "可服务需求数": 2, "提供单位": "语料里没有的单位",
            "提供党员": None, "电话": None, "社区": COMMUNITY, "地址": "平阳街8号",
            "经度": None, "纬度": None, "年度": 2021}  # fmt: skip
DEMAND = {"需求名称": "语料需求", "类别": "养老助老", "社区": COMMUNITY, "提出人": "居民代表",
          "提出日期": "2021.3.5", "紧急程度": "较急", "完成节点": "年中", "经度": LON,
          "纬度": LAT, "年度": 2021}  # fmt: skip
PROJECT = {"项目名称": "语料项目", "需求": None, "社区": COMMUNITY, "牵头单位": None,
           "负责人": "赵主任", "状态": "进行中", "年度": "2021年",
           "年初节点": "2021.3.20"}  # fmt: skip


def _row(base: dict[str, object], n: int, **given: object) -> list[object]:
    """Row ``n`` of a list: the base's values, its title numbered, points spread east."""
    row = dict(base)
    title = next(iter(base))
    row[title] = f"{base[title]}{n}"
    for key, value in row.items():
        if isinstance(value, str) and "{n}" in value:
            row[key] = value.format(n=n)
    if isinstance(row.get("经度"), float):
        row["经度"] = LON + n / 1000
    row.update(given)
    return list(row.values())


def _csv(
    folder: Path,
    name: str,
    header: Sequence[object],
    rows: Sequence[Sequence[object]],
    title: str | None = None,
    encoding: str = "utf-8",
) -> Path:
    """A CSV, GBK when asked, with a title line above the header when given."""
    lines = [[title], header, *rows] if title else [header, *rows]
    return text_table(folder / name, lines, encoding)


def _book(
    folder: Path, name: str, header: Sequence[object], rows: Sequence[Sequence[object]], title: str
) -> Path:
    """A workbook: last year's list on a hidden sheet first, then this year's under a
    title merged across the header."""
    old = ("去年清单", [header, *rows], "hidden")
    path = workbook(folder / name, [old, ("清单", [[title], header, *rows], "visible")])
    return merge(path, [f"A1:{chr(ord('A') + len(header) - 1)}1"], title="清单")


# Alliance units: awkward files land; each mistake is named (or, with skip_bad, skipped).
CASES.add(
    "alliance_units_gbk_title_row",
    "alliance_units",
    partial(
        _csv,
        name="联盟单位.csv",
        header=list(UNIT),
        rows=[_row(UNIT, 1), _row(UNIT, 2)],
        title="路东街道城市党建红色联盟成员单位",
        encoding="gbk",
    ),
    Imported(2, notes=("the header is line 2", "2 agreements signed")),
)
CASES.add(
    "alliance_units_xlsx_hidden_merged",
    "alliance_units",
    partial(
        _book,
        name="联盟单位.xlsx",
        header=list(UNIT),
        rows=[_row(UNIT, 1), _row(UNIT, 2)],
        title="联盟单位名册",
    ),
    Imported(2, notes=("hidden sheet(s) 去年清单 not read", "the header is row 2")),
)
CASES.add(
    "alliance_units_unknown_kind",
    "alliance_units",
    partial(
        _csv, name="units_kind.csv", header=list(UNIT), rows=[_row(UNIT, 1, 单位类型="外星机构")]
    ),
    Refused(("units_kind.csv", "line 2", "单位类型 '外星机构'", "say 党政机关")),
)
CASES.add(
    "alliance_units_duplicate_rows",
    "alliance_units",
    partial(_csv, name="units_twice.csv", header=list(UNIT), rows=[_row(UNIT, 1), _row(UNIT, 1)]),
    Imported(1, rejects=((3, "name"),)),
    skip_bad=True,
)
CASES.add(
    "alliance_units_phone_scientific",
    "alliance_units",
    partial(
        _csv,
        name="units_phone.csv",
        header=list(UNIT),
        rows=[_row(UNIT, 1), _row(UNIT, 2, 联系电话="1.35123E+10")],
    ),
    Imported(1, rejects=((3, "phone"),)),
    skip_bad=True,
)
CASES.add(
    "alliance_units_excel_serial_date",
    "alliance_units",
    partial(
        _csv, name="units_serial.csv", header=list(UNIT), rows=[_row(UNIT, 1, 签约日期="45292")]
    ),
    Refused(("units_serial.csv", "签约日期 '45292'", "not a date")),
)
CASES.add(
    "alliance_units_outside_city",
    "alliance_units",
    partial(
        _csv,
        name="units_far.csv",
        header=list(UNIT),
        rows=[_row(UNIT, 1), _row(UNIT, 2), _row(UNIT, 3, 经度=BEIJING[0], 纬度=BEIJING[1])],
    ),
    Imported(2, rejects=((4, "lon/lat"),)),
    skip_bad=True,
)
CASES.add(
    "alliance_units_empty_file",
    "alliance_units",
    partial(_csv, name="units_empty.csv", header=list(UNIT), rows=[]),
    Refused(("units_empty.csv", "no rows")),
)

# Resources: the test city's units are the demo's, so every provider here is unknown.
CASES.add(
    "resources_gbk_title_row_unknown_unit",
    "resources",
    partial(
        _csv,
        name="资源清单.csv",
        header=list(RESOURCE),
        rows=[_row(RESOURCE, 1)],
        title="2021年资源清单",
        encoding="gbk",
    ),
    Refused(("资源清单.csv", "line 3", "提供单位 '语料里没有的单位'", "no alliance unit")),
)
CASES.add(
    "resources_xlsx_hidden_merged_unknown_category",
    "resources",
    partial(
        _book,
        name="资源清单.xlsx",
        header=list(RESOURCE),
        rows=[_row(RESOURCE, 1, 类别="外星关爱")],
        title="2021年资源清单",
    ),
    Refused(("资源清单.xlsx", "row 3", "类别 '外星关爱'", "known: elderly 养老助老")),
)
CASES.add(
    "resources_member_phone_scientific",
    "resources",
    partial(
        _csv,
        name="res_phone.csv",
        header=list(RESOURCE),
        rows=[_row(RESOURCE, 1, 提供单位=None, 提供党员="王语料", 电话="1.39E+10")],
    ),
    Refused(("res_phone.csv", "电话 '1.39E+10'")),
)
CASES.add(
    "resources_duplicate_rows_skipped",
    "resources",
    partial(
        _csv,
        name="res_twice.csv",
        header=list(RESOURCE),
        rows=[_row(RESOURCE, 1), _row(RESOURCE, 1)],
    ),
    Imported(0, rejects=((2, "provider_unit"), (3, "provider_unit"))),
    skip_bad=True,
)
CASES.add(
    "resources_empty_file",
    "resources",
    partial(_csv, name="res_empty.csv", header=list(RESOURCE), rows=[]),
    Refused(("res_empty.csv", "no rows")),
)

# Demands need only the community and the categories: they land.
CASES.add(
    "demands_gbk_title_row",
    "demands",
    partial(
        _csv,
        name="需求清单.csv",
        header=list(DEMAND),
        rows=[_row(DEMAND, 1), _row(DEMAND, 2, 经度=None, 纬度=None)],
        title="2021年需求清单",
        encoding="gbk",
    ),
    Imported(
        2,
        notes=(
            "the header is line 2",
            "1 demands without 经度/纬度 placed at their community's centre",
        ),
    ),
)
CASES.add(
    "demands_xlsx_hidden_merged",
    "demands",
    partial(
        _book,
        name="需求清单.xlsx",
        header=list(DEMAND),
        rows=[_row(DEMAND, 1), _row(DEMAND, 2)],
        title="2021年需求清单",
    ),
    Imported(2, notes=("hidden sheet(s) 去年清单 not read",)),
)
CASES.add(
    "demands_unknown_category",
    "demands",
    partial(
        _csv, name="dem_category.csv", header=list(DEMAND), rows=[_row(DEMAND, 1, 类别="外星关爱")]
    ),
    Refused(("dem_category.csv", "类别 '外星关爱'", "unknown category", "children 儿童关爱")),
)
CASES.add(
    "demands_bad_urgency",
    "demands",
    partial(
        _csv,
        name="dem_urgency.csv",
        header=list(DEMAND),
        rows=[_row(DEMAND, 1), _row(DEMAND, 2, 紧急程度="非常急")],
    ),
    Refused(("dem_urgency.csv", "line 3", "紧急程度 '非常急'", "一般, 较急 or 紧急")),
)
CASES.add(
    "demands_duplicate_rows",
    "demands",
    partial(
        _csv, name="dem_twice.csv", header=list(DEMAND), rows=[_row(DEMAND, 1), _row(DEMAND, 1)]
    ),
    Imported(1, rejects=((3, "title"),)),
    skip_bad=True,
)
CASES.add(
    "demands_dates_dotted_and_serial",
    "demands",
    partial(
        _csv,
        name="dem_dates.csv",
        header=list(DEMAND),
        rows=[_row(DEMAND, 1, 提出日期="2021.3.5"), _row(DEMAND, 2, 提出日期="45292")],
    ),
    Imported(1, rejects=((3, "raised_on"),)),
    skip_bad=True,
)
CASES.add(
    "demands_outside_city",
    "demands",
    partial(
        _csv,
        name="dem_far.csv",
        header=list(DEMAND),
        rows=[_row(DEMAND, 1), _row(DEMAND, 2), _row(DEMAND, 3, 经度=BEIJING[0], 纬度=BEIJING[1])],
    ),
    Imported(2, rejects=((4, "lon/lat"),)),
    skip_bad=True,
)
CASES.add(
    "demands_empty_file",
    "demands",
    partial(_csv, name="dem_empty.csv", header=list(DEMAND), rows=[]),
    Refused(("dem_empty.csv", "no rows")),
)

# Projects without a demand or a unit land; naming unknown ones is refused.
CASES.add(
    "projects_gbk_title_row",
    "projects",
    partial(
        _csv,
        name="项目清单.csv",
        header=list(PROJECT),
        rows=[_row(PROJECT, 1), _row(PROJECT, 2, 状态="计划", 年初节点=None)],
        title="2021年项目清单",
        encoding="gbk",
    ),
    Imported(2, notes=("the header is line 2",)),
)
CASES.add(
    "projects_xlsx_hidden_merged",
    "projects",
    partial(
        _book,
        name="项目清单.xlsx",
        header=list(PROJECT),
        rows=[_row(PROJECT, 1), _row(PROJECT, 2)],
        title="2021年项目清单",
    ),
    Imported(2, notes=("hidden sheet(s) 去年清单 not read",)),
)
CASES.add(
    "projects_unknown_unit",
    "projects",
    partial(
        _csv,
        name="proj_unit.csv",
        header=list(PROJECT),
        rows=[_row(PROJECT, 1, 牵头单位="语料里没有的单位")],
    ),
    Refused(("proj_unit.csv", "牵头单位 '语料里没有的单位'", "no alliance unit")),
)
CASES.add(
    "projects_unknown_demand",
    "projects",
    partial(
        _csv,
        name="proj_demand.csv",
        header=list(PROJECT),
        rows=[_row(PROJECT, 1, 需求="语料里没有的需求")],
    ),
    Refused(("proj_demand.csv", "需求 '语料里没有的需求'", "no demand of this name")),
)
CASES.add(
    "projects_bad_status",
    "projects",
    partial(
        _csv, name="proj_status.csv", header=list(PROJECT), rows=[_row(PROJECT, 1, 状态="差不多")]
    ),
    Refused(("proj_status.csv", "状态 '差不多'", "计划, 进行中, 完成 or 中止")),
)
CASES.add(
    "projects_duplicate_rows",
    "projects",
    partial(
        _csv, name="proj_twice.csv", header=list(PROJECT), rows=[_row(PROJECT, 1), _row(PROJECT, 1)]
    ),
    Imported(1, rejects=((3, "title"),)),
    skip_bad=True,
)
CASES.add(
    "projects_excel_serial_milestone",
    "projects",
    partial(
        _csv,
        name="proj_serial.csv",
        header=list(PROJECT),
        rows=[_row(PROJECT, 1, 年初节点="45292")],
    ),
    Refused(("proj_serial.csv", "年初节点 '45292'", "not a date")),
)
CASES.add(
    "projects_empty_file",
    "projects",
    partial(_csv, name="proj_empty.csv", header=list(PROJECT), rows=[]),
    Refused(("proj_empty.csv", "no rows")),
)
