"""XLSX workbooks, streamed with openpyxl's read-only mode.

The header is the sheet's first row; ``_row`` is the sheet's row number. Two
things are refused because they silently change data: formulas (the value
shown is a cached result that may be stale or missing) and merged cells (only
the top-left cell holds the value; the others read as empty). Empty rows at
the end are formatting and dropped; an empty row between rows is kept for the
validator to reject.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.cell.read_only import EmptyCell, ReadOnlyCell
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from geo_api.importer.errors import ImportFileError
from geo_api.importer.source import Source, check_columns, frame, rebatch, without_trailing_empty
from geo_api.importer.values import to_text
from geo_api.importer.xlsx_scan import scan_sheet

Cells = Sequence[ReadOnlyCell | EmptyCell]


def open_xlsx(file: Path, sheet: str | None) -> Source:
    """Open a sheet (the first unless named): header, merged cells, formulas, a first row."""
    with _workbook(file) as book:
        title = _sheet_title(file, book, sheet)
        rows = _rows(book, title)
        first = next(rows, None)
        if first is None or not any(cell.value is not None for cell in first[1]):
            raise ImportFileError(file, "no header: the sheet's first row must name the columns")
        columns = _header(file, title, first[1])
        scan = scan_sheet(file, title)
        _refuse_merged(file, title, scan.merged, len(columns))
        # A formula anywhere means reading the whole sheet now, so it is refused up front.
        if not _has_rows(file, title, rows, len(columns), read_all=scan.has_formula):
            raise ImportFileError(file, f"no rows: sheet {title} has a header but no data")

    def read(size: int) -> Iterator[pd.DataFrame]:
        return rebatch(without_trailing_empty(_chunks(file, title, columns, size), columns), size)

    return Source(
        path=file,
        format="xlsx",
        columns=columns,
        crs=None,
        encoding=None,
        has_geometry=False,
        _reader=read,
    )


@contextmanager
def _workbook(file: Path) -> Iterator[Workbook]:
    """The workbook in streaming mode, formulas as written; closed after use."""
    try:
        book = load_workbook(file, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as error:
        raise ImportFileError(file, f"not a readable .xlsx workbook ({error})") from None
    try:
        yield book
    finally:
        book.close()


def _sheet_title(file: Path, book: Workbook, sheet: str | None) -> str:
    """The named sheet, or the first; an unknown name lists the sheets there are."""
    titles = book.sheetnames
    if sheet is None:
        return titles[0]
    if sheet not in titles:
        raise ImportFileError(file, f"no sheet {sheet!r}; the sheets are: {', '.join(titles)}")
    return sheet


def _rows(book: Workbook, title: str) -> Iterator[tuple[int, Cells]]:
    """(row number, cells) from row 1; openpyxl fills in missing rows, so counting is exact."""
    sheet = book[title]
    if not isinstance(sheet, ReadOnlyWorksheet):
        raise TypeError(f"sheet {title} is not a worksheet")
    # The stored dimensions can be wrong (some writers leave "A1"): read what is there.
    sheet.reset_dimensions()
    yield from enumerate(sheet.iter_rows(), start=1)


def _header(file: Path, title: str, cells: Cells) -> list[str]:
    """Names from the first row, up to its last filled cell."""
    values = [_value(file, title, 1, i, cell) for i, cell in enumerate(cells)]
    while values and values[-1] is None:
        values.pop()
    return check_columns(file, values, lambda i: f"sheet {title}, cell {get_column_letter(i + 1)}1")


def _refuse_merged(file: Path, title: str, merged: list[str], width: int) -> None:
    """Merged cells over the table's columns are an error naming the range."""
    for ref in merged:
        min_col, min_row, _, _ = range_boundaries(ref)
        if min_col is not None and min_col <= width:
            title_row = " (a title above the table? the first row must be the header)"
            raise ImportFileError(
                file,
                f"merged cells {ref}: only the first cell keeps a value, the others read "
                f"as empty; unmerge them and fill each cell{title_row if min_row == 1 else ''}",
                where=f"sheet {title}",
            )


def _has_rows(
    file: Path, title: str, rows: Iterator[tuple[int, Cells]], width: int, *, read_all: bool
) -> bool:
    """Whether a non-empty row follows the header; ``read_all`` checks every cell on the way."""
    found = False
    for number, cells in rows:
        values = _row_values(file, title, number, cells, width)  # raises on a formula
        found = found or any(v is not None for v in values)
        if found and not read_all:
            break
    return found


def _chunks(file: Path, title: str, columns: list[str], size: int) -> Iterator[pd.DataFrame]:
    """Data rows in chunks of ``size``, as text."""
    with _workbook(file) as book:
        rows = _rows(book, title)
        next(rows, None)  # the header
        numbers: list[int] = []
        cells: dict[str, list[str | None]] = {name: [] for name in columns}
        for number, row in rows:
            numbers.append(number)
            for name, value in zip(
                columns, _row_values(file, title, number, row, len(columns)), strict=True
            ):
                cells[name].append(value)
            if len(numbers) == size:
                yield frame(numbers, cells)
                numbers, cells = [], {name: [] for name in columns}
        if numbers:
            yield frame(numbers, cells)


def _row_values(file: Path, title: str, number: int, cells: Cells, width: int) -> list[str | None]:
    """A row's values for the table's columns; a value right of the header is an error."""
    values = [_value(file, title, number, i, cell) for i, cell in enumerate(cells)]
    for i in range(width, len(values)):
        if values[i] is not None:
            letter = get_column_letter(i + 1)
            raise ImportFileError(
                file,
                f"a value in column {letter}, which has no header: name the column or clear it",
                where=f"sheet {title}, cell {letter}{number}",
                row=number,
                value=values[i],
            )
    return values[:width] + [None] * (width - len(values))


def _value(
    file: Path, title: str, number: int, index: int, cell: ReadOnlyCell | EmptyCell
) -> str | None:
    """A cell as text; a formula is an error naming the cell."""
    if cell.data_type == "f":
        raise ImportFileError(
            file,
            f"formula {cell.value}: paste values instead (Paste Special → Values)",
            where=f"sheet {title}, cell {get_column_letter(index + 1)}{number}",
            row=number,
        )
    return to_text(cell.value)
