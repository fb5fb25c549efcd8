"""Dates as registers write them: 2023-05-06, 2023.5.6, 2023/5/6, 2023年5月6日, 20230506."""

from __future__ import annotations

import re
from datetime import date

_PATTERNS = (
    re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(text: str) -> date | None:
    """The date a cell says, or None when it says none that exists."""
    value = text.strip()
    for pattern in _PATTERNS:
        found = pattern.match(value)
        if found:
            year, month, day = (int(g) for g in found.groups())
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None
