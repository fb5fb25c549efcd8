"""XLSX workbooks, streamed with openpyxl's read-only mode.

Which sheet: the one named, else the only visible sheet that holds values (a
hidden or very hidden sheet is read only when named); several visible sheets
with values are refused, listing them. Where the table starts: ``header_row``
if given, else the first row that looks like a header (layout.py), so title
rows above it are skipped with a note. ``_row`` is the sheet's row number, as
Excel shows it.

Formulas are read as the values Excel last saved (``data_only``), each noted by
sheet and cell; one never calculated reads as empty, with a note. Merged cells
inside the table are refused: only the top-left cell keeps the value, the
others read as empty. Empty rows at the end are formatting and dropped; an
empty row between rows is kept for the validator to reject.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
from openpyxl import load_workbook
from openpyxl.cell.read_only import EmptyCell, ReadOnlyCell
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from geo_api.importer.errors import ImportFileError
from geo_api.importer.layout import FormulaNotes, find_header, title_note
from geo_api.importer.source import Source, check_columns, frame, rebatch, without_trailing_empty
from geo_api.importer.values import to_text
from geo_api.importer.xlsx_scan import scan_sheet

Cells = Sequence[ReadOnlyCell | EmptyCell]
# What openpyxl raises on a damaged workbook: its own errors, and the XML parser's.
_BROKEN = (
    zipfile.BadZipFile,
    InvalidFileException,
    ElementTree.ParseError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    EOFError,
    OSError,
)
# Rows looked at to find the header.
HEAD_ROWS = 30


def open_xlsx(file: Path, sheet: str | None, header_row: int | None = None) -> Source:
    """Open a sheet: which one, its header row, merged cells, and a first data row."""
    notes: list[str] = []
    with _workbook(file) as book:
        title = _sheet_title(file, book, sheet, notes)
        head = [(n, [c.value for c in cells]) for n, cells in _rows(file, book, title, HEAD_ROWS)]
        number = _header_number(file, head, header_row)
        cells = next((c for n, c in _rows(file, book, title, number) if n == number), [])
        if not any(cell.value is not None for cell in cells):
            where = f"row {number} is empty" if header_row else "the sheet has no filled row"
            raise ImportFileError(file, f"no header: {where}", where=f"sheet {title}")
        columns = _header(file, title, number, cells)
        scan = scan_sheet(file, title)
        _refuse_merged(file, title, scan.merged, len(columns), number)
        if number > 1:
            notes.append(title_note(title, number, head, given=header_row is not None))
        if not _has_rows(file, title, _rows(file, book, title), number, len(columns)):
            raise ImportFileError(file, f"no rows: sheet {title} has a header but no data")

    def read(size: int) -> Iterator[pd.DataFrame]:
        table = (file, title, columns, number)
        chunks = _chunks(table, size, scan.has_formula, notes)
        return rebatch(without_trailing_empty(chunks, columns), size)

    return Source(
        path=file,
        format="xlsx",
        columns=columns,
        crs=None,
        encoding=None,
        has_geometry=False,
        notes=notes,
        _reader=read,
        _label=lambda row: f"sheet {title}, row {row}",
    )


@contextmanager
def _workbook(file: Path, *, formulas: bool = False) -> Iterator[Workbook]:
    """The workbook in streaming mode (saved values, or ``formulas`` as written); closed after."""
    try:
        book = load_workbook(file, read_only=True, data_only=not formulas)
    except _BROKEN as error:
        raise ImportFileError(file, f"not a readable .xlsx workbook ({error})") from None
    try:
        yield book
    finally:
        book.close()


def _sheet_title(file: Path, book: Workbook, sheet: str | None, notes: list[str]) -> str:
    """The named sheet, else the only visible one with values; hidden ones only by name."""
    states = {ws.title: ws.sheet_state for ws in book.worksheets}
    if sheet is not None:
        if sheet not in book.sheetnames:
            listed = ", ".join(book.sheetnames)
            raise ImportFileError(file, f"no sheet {sheet!r}; the sheets are: {listed}")
        if sheet not in states:
            raise ImportFileError(file, f"sheet {sheet} is a chart, not a table")
        return sheet
    if not states:
        raise ImportFileError(file, "no worksheet: the workbook holds only charts")
    hidden = [title for title, state in states.items() if state != "visible"]
    visible = [title for title, state in states.items() if state == "visible"]
    filled = [title for title in visible if _has_values(file, book, title)]
    if len(filled) > 1:
        raise ImportFileError(
            file,
            f"{len(filled)} sheets hold data ({', '.join(filled)}): say which to import "
            "(--sheet NAME, or sheet= in the API)",
        )
    if not visible:
        raise ImportFileError(
            file, f"every sheet is hidden ({', '.join(hidden)}): name the one to import (--sheet)"
        )
    if hidden:
        notes.append(
            f"hidden sheet(s) {', '.join(hidden)} not read: name one (--sheet) to import it"
        )
    return filled[0] if filled else visible[0]


def _has_values(file: Path, book: Workbook, title: str) -> bool:
    """Whether any cell of the sheet holds a value (stops at the first)."""
    return any(any(c.value is not None for c in cells) for _, cells in _rows(file, book, title))


def _rows(
    file: Path, book: Workbook, title: str, last: int | None = None
) -> Iterator[tuple[int, Cells]]:
    """(row number, cells) from row 1 (to ``last``); openpyxl fills in missing rows."""
    sheet = book[title]
    if not isinstance(sheet, ReadOnlyWorksheet):
        raise TypeError(f"sheet {title} is not a worksheet")
    # The stored dimensions can be wrong (some writers leave "A1"): read what is there.
    sheet.reset_dimensions()
    rows: Iterator[tuple[int, Cells]] = enumerate(sheet.iter_rows(), start=1)  # type: ignore[arg-type]
    while True:
        try:
            number, cells = next(rows)
        except StopIteration:
            return
        except _BROKEN as error:
            raise ImportFileError(
                file, f"not a readable .xlsx workbook: sheet {title} ({error})"
            ) from None
        yield number, cells
        if last is not None and number >= last:
            return


def _header_number(file: Path, head: list[tuple[int, list[object]]], given: int | None) -> int:
    """The header's row: as given (checked), else the first that looks like one."""
    if given is None:
        return find_header(head) or 1
    if given < 1:
        raise ImportFileError(file, f"header row {given}: rows are numbered from 1")
    return given


def _header(file: Path, title: str, number: int, cells: Cells) -> list[str]:
    """Names from the header row, up to its last filled cell."""
    values = [to_text(cell.value) for cell in cells]
    while values and values[-1] is None:
        values.pop()
    return check_columns(
        file, values, lambda i: f"sheet {title}, cell {get_column_letter(i + 1)}{number}"
    )


def _refuse_merged(file: Path, title: str, merged: list[str], width: int, header: int) -> None:
    """Merged cells over the table (the header and below) are an error naming the range;
    a merged title above the header is only a title."""
    for ref in merged:
        min_col, _, _, max_row = range_boundaries(ref)
        if min_col is not None and min_col <= width and (max_row is None or max_row >= header):
            raise ImportFileError(
                file,
                f"merged cells {ref}: only the first cell keeps a value, the others read "
                "as empty; unmerge them and fill each cell",
                where=f"sheet {title}",
            )


def _has_rows(
    file: Path, title: str, rows: Iterator[tuple[int, Cells]], header: int, width: int
) -> bool:
    """Whether a non-empty row follows the header (and a value right of it is an error)."""
    for number, cells in rows:
        if number > header:
            values = _row_values(file, title, number, [c.value for c in cells], width)
            if any(v is not None for v in values):
                return True
    return False


def _chunks(
    table: tuple[Path, str, list[str], int], size: int, formulas: bool, notes: list[str]
) -> Iterator[pd.DataFrame]:
    """Data rows in chunks of ``size``, as text; with ``formulas``, each formula cell is
    found in a second pass over the same XML, in step, and noted."""
    file, title, columns, header = table
    found = FormulaNotes(title, columns)
    with ExitStack() as stack:
        rows = _rows(file, stack.enter_context(_workbook(file)), title)
        as_written = None
        if formulas:
            as_written = _rows(file, stack.enter_context(_workbook(file, formulas=True)), title)
        numbers: list[int] = []
        cells: dict[str, list[str | None]] = {name: [] for name in columns}
        for number, row in rows:
            source = next(as_written)[1] if as_written is not None else None
            if number <= header:
                continue
            values = [cell.value for cell in row]
            if source is not None:
                found.check(number, source, values)
            numbers.append(number)
            texts = _row_values(file, title, number, values, len(columns))
            for name, value in zip(columns, texts, strict=True):
                cells[name].append(value)
            if len(numbers) == size:
                yield frame(numbers, cells)
                numbers, cells = [], {name: [] for name in columns}
        if numbers:
            yield frame(numbers, cells)
    notes.extend(found.notes())


def _row_values(
    file: Path, title: str, number: int, raw: list[object], width: int
) -> list[str | None]:
    """A row's values as text for the table's columns; a value right of the header is an error."""
    values = [to_text(value) for value in raw]
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
