"""Where a table starts in a sheet, and what its formulas were: what officers' workbooks
hold around the data.

Officers' sheets often open with a title (a merged cell: "路东街道党员报到花名册")
and a line of "填报单位 / 日期" above the header. The header is the first row
that looks like one: at least two filled cells, most of them words (not
numbers or dates), as wide as at least half the widest row near the top, and
followed by a row with values that is no wider than it. A single title cell,
merged or not, never qualifies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time

from openpyxl.cell.read_only import EmptyCell, ReadOnlyCell
from openpyxl.utils import get_column_letter

Row = tuple[int, list[object]]
# Text that is a number, a date or a time written out, not a word.
_NUMERIC = re.compile(r"^(?=.*\d)[\d\s.,:/+\-eE%年月日]*$")
# Cells listed by name in a note before "and N more".
SHOWN = 5


def _filled(values: list[object]) -> list[object]:
    return [v for v in values if v is not None and not (isinstance(v, str) and not v.strip())]


def _is_word(value: object) -> bool:
    """A header-like cell: text that is not a number or a date written out."""
    if isinstance(value, bool | int | float | date | datetime | time):
        return False
    return isinstance(value, str) and not _NUMERIC.match(value.strip())


def find_header(rows: Sequence[Row]) -> int | None:
    """The row number of the first row that looks like a header, or None."""
    widths = [len(_filled(values)) for _, values in rows]
    widest = max(widths, default=0)
    for i, (number, values) in enumerate(rows):
        filled = _filled(values)
        if len(filled) < 2 or 2 * len(filled) < widest:
            continue
        if 2 * sum(_is_word(v) for v in filled) <= len(filled):
            continue
        following = widths[i + 1] if i + 1 < len(rows) else 0
        if 0 < following <= len(filled):
            return number
    return None


def title_note(title: str, header: int, head: Sequence[Row], *, given: bool) -> str:
    """The note saying which rows above the header were skipped, quoting the first text."""
    above = [v for number, values in head if number < header for v in _filled(values)]
    quoted = f" (starting {str(above[0]).strip()[:40]!r})" if above else ""
    how = "as given" if given else "the first row that looks like one"
    span = "row 1" if header == 2 else f"rows 1-{header - 1}"
    return f"sheet {title}: the header is row {header} ({how}); {span} above it skipped{quoted}"


class FormulaNotes:
    """Formula cells met while reading, for notes: per column those read as the value
    Excel saved, and each one that has no saved value (read as empty)."""

    def __init__(self, title: str, columns: list[str]) -> None:
        self.title = title
        self.columns = columns
        self.cached: dict[int, list[str]] = {}
        self.uncached: list[tuple[str, str]] = []

    def check(
        self, number: int, written: Sequence[ReadOnlyCell | EmptyCell], saved: list[object]
    ) -> None:
        """Note the formula cells of row ``number`` (``written`` as in the file)."""
        for i, cell in enumerate(written[: len(self.columns)]):
            if cell.data_type != "f":
                continue
            ref = f"{get_column_letter(i + 1)}{number}"
            if i < len(saved) and saved[i] is not None:
                self.cached.setdefault(i, []).append(ref)
            else:
                self.uncached.append((ref, str(cell.value)))

    def notes(self) -> list[str]:
        """One note per column with formulas, and one per formula never calculated."""
        out = []
        for i, refs in sorted(self.cached.items()):
            out.append(
                f"sheet {self.title}, column {self.columns[i]}: formula cells {_listed(refs)} "
                "read as the values Excel last saved"
            )
        for ref, formula in self.uncached[:SHOWN]:
            out.append(
                f"sheet {self.title}, cell {ref}: formula {formula} has no saved value (the "
                "workbook was never calculated in Excel?): read as empty"
            )
        if len(self.uncached) > SHOWN:
            out.append(
                f"sheet {self.title}: {len(self.uncached) - SHOWN} more formula cells with no "
                "saved value read as empty"
            )
        return out


def _listed(refs: list[str]) -> str:
    """'C3, C4' or 'C3, C4, C5, C6, C7 and 12 more'."""
    shown = ", ".join(refs[:SHOWN])
    return shown if len(refs) <= SHOWN else f"{shown} and {len(refs) - SHOWN} more"
