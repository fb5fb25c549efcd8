"""Cells as text: the one form every reader hands on.

Readers do not convert types: the validator parses each field and reports the
bad values. Cells that a format already typed (numbers in XLSX or a .dbf,
dates in a GeoPackage) are written back as the text a person would have typed:
whole numbers without ".0", dates as ISO 8601, true/false. Empty is None.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time

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
    return repr(number)


def _datetime_text(moment: datetime) -> str:
    """A date stored as a midnight timestamp (as Excel stores dates) reads as the date."""
    if moment.time() == time() and moment.tzinfo is None:
        return moment.date().isoformat()
    return moment.isoformat()


def column_text(series: pd.Series) -> pd.Series:
    """A column as object dtype of str or None, whatever its dtype was."""
    return pd.Series([to_text(v) for v in series.tolist()], index=series.index, dtype=object)
