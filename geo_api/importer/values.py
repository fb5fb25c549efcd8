"""Cells as text: the one form every reader hands on.

Readers do not convert types: the validator parses each field and reports the
bad values. Cells that a format already typed (numbers in XLSX or a .dbf,
dates in a GeoPackage) are written back as the text a person would have typed:
whole numbers without ".0", dates as ISO 8601, true/false. Empty is None.

``parse_date`` and ``scientific_digits`` are for the row checks: the dates
officers type, and phone or ID numbers that Excel turned into 1.38E+10.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

# Floats at or beyond this are shown as floats: their integer digits are not exact.
_EXACT_INTEGERS = 2.0**53


def to_text(value: object) -> str | None:
    """A cell's value as text, or None when empty; typed values as a person types them."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return _float_text(float(value))
    if isinstance(value, datetime):
        return _datetime_text(value)
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _float_text(number: float) -> str | None:
    """NaN as empty; whole numbers (a phone number stored as a number) without ".0"."""
    if math.isnan(number):
        return None
    if number.is_integer() and abs(number) < _EXACT_INTEGERS:
        return str(int(number))
    # 15 significant digits, as Excel shows a number: 0.1 + 0.2 reads "0.3".
    return f"{number:.15g}"


def _datetime_text(moment: datetime) -> str:
    """A date stored as a midnight timestamp (as Excel stores dates) reads as the date."""
    if moment.time() == time() and moment.tzinfo is None:
        return moment.date().isoformat()
    return moment.isoformat()


def column_text(series: pd.Series) -> pd.Series:
    """A column as object dtype of str or None, whatever its dtype was."""
    if isinstance(series.dtype, pd.StringDtype) or pd.api.types.infer_dtype(series) in (
        "string",
        "empty",
    ):  # text already (a CSV's cells): none to convert one by one
        values = np.array(series.astype(object).where(series.notna(), None), dtype=object)
        values[values == ""] = None
        return pd.Series(values, index=series.index, dtype=object)
    return pd.Series([to_text(v) for v in series.tolist()], index=series.index, dtype=object)


# 2023-05-06, 2023.5.6, 2023/5/6, 2023-5-6 (a time after it is allowed: 2023-05-06 00:00:00).
_YMD = re.compile(
    r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_CHINESE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{1,6}(?:\.0+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01, counting Excel's phantom 1900-02-29
_YEARS = (1900, 2100)
_SCIENTIFIC = re.compile(r"^[+-]?(\d+)(?:\.(\d*))?[eE]\+?(\d+)$")


def parse_date(text: str | None, *, excel_serial: bool = False) -> date | None:
    """A date as officers write it, or None: 2023-05-06, 2023.5.6, 2023/5/6, 2023年5月6日,
    20230506; an Excel serial number (45052) only when ``excel_serial`` (the cell was a date)."""
    if text is None:
        return None
    value = unicodedata.normalize("NFKC", str(text)).strip()
    found = _YMD.match(value) or _CHINESE.match(value) or _COMPACT.match(value)
    if found:
        year, month, day = (int(g) for g in found.groups())
        if not _YEARS[0] <= year <= _YEARS[1]:
            return None
        try:
            return date(year, month, day)
        except ValueError:
            return None
    if excel_serial and _SERIAL.match(value):
        serial = int(float(value))
        if serial < 1 or serial == 60:  # 60 is 1900-02-29, which never was
            return None
        moment = _EXCEL_EPOCH + timedelta(days=serial + (1 if serial < 60 else 0))
        return moment if moment.year <= _YEARS[1] else None
    return None


def scientific_digits(text: str | None) -> bool:
    """Whether ``text`` is a whole number in scientific notation that lost digits:
    "1.38E+10" stands for an 11-digit number but shows only 3 of them."""
    if text is None:
        return False
    found = _SCIENTIFIC.match(unicodedata.normalize("NFKC", str(text)).strip())
    if not found:
        return False
    whole, fraction, exponent = found.group(1), found.group(2) or "", int(found.group(3))
    shown = len(whole.lstrip("0") or "0") + len(fraction.rstrip("0"))
    return shown < len(whole.lstrip("0") or "0") + exponent
