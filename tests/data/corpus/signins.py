"""Sign-in sheets (活动签到表) as communities keep them: a title row above the header,
times typed as clock times, activities never created, a column left out. Every
case is refused (nothing lands), so it holds on any city."""

from __future__ import annotations

from pathlib import Path

from tests.data.corpus import Cases, Refused
from tests.data.corpus.files import text_table, workbook

CASES = Cases()
HEADER = ["活动", "日期", "姓名", "电话", "签到时间", "反馈"]


@CASES.case(
    "signins_titled_sheet_unknown_activity",
    "signins",
    Refused(("签到表.xlsx", "sheet 签到, row 3", "活动 '未建活动'", "create it first")),
)
def _titled(folder: Path) -> Path:
    rows = [
        ["路东街道社区党员活动签到表"],
        HEADER,
        ["未建活动", "2026-03-05", "王无名", "13912340000", "09:05", "好"],
    ]
    return workbook(folder / "签到表.xlsx", [("签到", rows, "visible")])


@CASES.case(
    "signins_activity_never_held",
    "signins",
    Refused(
        ("no_activity.csv", "活动 '从未举办的活动'", "no activity of this title on 2001-01-01")
    ),
)
def _no_activity(folder: Path) -> Path:
    lines = [HEADER, ["从未举办的活动", "2001-01-01", "李四", "13900000001", "9:00", ""]]
    return text_table(folder / "no_activity.csv", lines)


@CASES.case("signins_without_phones", "signins", Refused(("no_phone.csv", "signins need", "phone")))
def _no_phone(folder: Path) -> Path:
    lines = [["活动", "日期", "姓名", "签到时间"], ["助老送餐", "2026-03-05", "李四", "9:00"]]
    return text_table(folder / "no_phone.csv", lines)
