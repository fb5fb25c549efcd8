"""Cells as text, and the dates and lost digits the row checks look for (values.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from geo_api.importer.values import parse_date, scientific_digits, to_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.0, "3"),
        (13812345678.0, "13812345678"),
        (13812345678, "13812345678"),
        (0.1 + 0.2, "0.3"),  # as Excel shows it, not 0.30000000000000004
        (2.5, "2.5"),
        (float("nan"), None),
        (datetime(2023, 5, 6), "2023-05-06"),  # noqa: DTZ001 (naive, as Excel stores it)
        (datetime(2023, 5, 6, 8, 30), "2023-05-06T08:30:00"),  # noqa: DTZ001
        (date(2023, 5, 6), "2023-05-06"),
        (True, "true"),
        ("", None),
    ],
)
def test_cells_read_as_a_person_typed_them(value: object, text: str | None) -> None:
    assert to_text(value) == text


@pytest.mark.parametrize(
    "text",
    [
        "2023-05-06",
        "2023-5-6",
        "2023.5.6",
        "2023/5/6",
        "2023/05/06",
        "2023年5月6日",
        "2023年05月06日",
        "２０２３年５月６日",  # full-width digits
        "20230506",
        "2023-05-06 00:00:00",
        "2023-05-06T00:00:00",
        " 2023.05.06 ",
    ],
)
def test_parse_date_reads_the_forms_officers_type(text: str) -> None:
    assert parse_date(text) == date(2023, 5, 6)


@pytest.mark.parametrize(
    "text", ["2023-02-30", "2023-13-01", "13812345678", "45052", "5月6日", "", "明天", "18000506"]
)
def test_parse_date_refuses_what_is_no_date(text: str) -> None:
    assert parse_date(text) is None


def test_parse_date_reads_excel_serials_only_when_told() -> None:
    assert parse_date(None) is None
    assert parse_date("45052") is None
    assert parse_date("45052", excel_serial=True) == date(2023, 5, 6)
    assert parse_date("45052.0", excel_serial=True) == date(2023, 5, 6)
    assert parse_date("1", excel_serial=True) == date(1900, 1, 1)
    assert parse_date("59", excel_serial=True) == date(1900, 2, 28)
    assert parse_date("60", excel_serial=True) is None  # Excel's 1900-02-29 never was
    assert parse_date("61", excel_serial=True) == date(1900, 3, 1)
    assert parse_date("0", excel_serial=True) is None


@pytest.mark.parametrize(
    ("text", "lost"),
    [
        ("1.38E+10", True),
        ("1.38e10", True),
        ("1.38123E+10", True),
        ("1.3812345678E+10", False),  # all 11 digits still there
        ("13812345678", False),
        ("0357-4221234", False),
        ("1E+3", True),
        ("１.３８Ｅ＋１０", True),
        ("abc", False),
        (None, False),
    ],
)
def test_scientific_digits_tells_numbers_that_lost_digits(text: str | None, lost: bool) -> None:
    assert scientific_digits(text) is lost
