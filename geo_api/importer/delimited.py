"""CSV and text tables: header, delimiter and line numbers, streamed with pandas.

Values stay text (read as Python str); only an empty cell becomes None, so "NA" or
"0123" reach the validator as typed. ``_row`` is the line the record starts on,
counting the header as line 1 and the lines inside quoted multi-line cells, so
a message points where a text editor does. Blank lines are rows (the validator
rejects them), except at the end of the file. Title lines above the header (a
CSV saved from a sheet with a title) are skipped with a note: the header is
``header_row`` if given, else the first record that looks like one (layout.py).
"""

from __future__ import annotations

import bisect
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo_api.importer.encoding import codec_name, detect_text_encoding, first_decode_error
from geo_api.importer.errors import ImportFileError
from geo_api.importer.layout import find_header
from geo_api.importer.source import (
    ROW,
    Source,
    check_columns,
    rebatch,
    without_trailing_empty,
)
from geo_api.importer.values import column_text

_DELIMITERS = (",", "\t", ";", "|")
_SNIFF_LINES = 5
# pandas names for unnamed trailing columns; no header can clash (they are stripped).
_UNNAMED = " unnamed "
HEAD_ROWS = 30  # records looked at to find the header
_FIELDS_SEEN = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@dataclass(frozen=True)
class _Header:
    """The header record: its names, the delimiter, and how many lines it spans."""

    names: list[str]
    delimiter: str
    lines: int  # the last line of the header
    skipped: int  # lines above the header (a title)
    record: int  # the header's record number (1-based), as header_row counts


def open_csv(file: Path, encoding: str | None, header_row: int | None = None) -> Source:
    """Open a CSV: its encoding (declared, else detected), header, and a first row.

    Unnamed columns at the end of the header (a trailing delimiter, as Excel
    writes for a formatted empty column) are dropped if they hold no value.
    """
    codec = codec_name(file, encoding) if encoding else detect_text_encoding(file)
    header = _read_header(file, codec, header_row)
    notes = [_title_note(header, header_row)] if header.skipped else []
    named = len(header.names)
    while not header.names[named - 1].strip():
        named -= 1
    first = header.skipped + 1
    columns = check_columns(file, header.names[:named], lambda i: f"line {first}, column {i + 1}")
    unnamed = [f"{_UNNAMED}{i + 1}" for i in range(named, len(header.names))]

    lines = _Lines(header.lines + 1)

    def read(rows: int) -> Iterator[pd.DataFrame]:
        chunks = _chunks(file, codec, header, (columns, unnamed), rows, lines)
        return rebatch(without_trailing_empty(chunks, columns), rows)

    return Source(
        path=file,
        format="csv",
        columns=columns,
        crs=None,
        encoding=codec,
        has_geometry=False,
        notes=notes,
        _reader=read,
        _label=lines.label,
    )


@dataclass
class _Lines:
    """Which data row starts on which line, as a spreadsheet program counts rows and a
    text editor lines: they differ after a cell with line breaks. Only those records
    are remembered (where a later row's count shifts), so memory stays small."""

    first: int  # the line the first data row starts on
    shifts: list[int] = field(default_factory=list)  # lines after which rows shift
    extra: list[int] = field(default_factory=list)  # lines skipped so far, at each

    def record(self, starts: np.ndarray, spans: np.ndarray) -> None:
        """Remember the records of a chunk that span several lines."""
        for start, span in zip(starts[spans > 1].tolist(), spans[spans > 1].tolist(), strict=True):
            if self.shifts and start <= self.shifts[-1]:
                continue  # read again (chunks may be read more than once)  # fmt: skip
            self.shifts.append(int(start))
            self.extra.append((self.extra[-1] if self.extra else 0) + int(span) - 1)

    def label(self, line: int) -> str:
        """ "data row 5 (line 6)": the record's place among the data rows, and its line."""
        before = bisect.bisect_left(self.shifts, line)
        skipped = self.extra[before - 1] if before else 0
        return f"data row {line - self.first + 1 - skipped} (line {line})"


def _read_header(file: Path, codec: str, header_row: int | None) -> _Header:
    """The header, and a check that some row follows it (a header alone has no rows)."""
    if header_row is not None and header_row < 1:
        raise ImportFileError(file, f"header row {header_row}: rows are numbered from 1")
    try:
        with file.open(encoding=codec, newline="") as text:
            delimiter = _sniff("".join(text.readline() for _ in range(_SNIFF_LINES)))
            text.seek(0)
            reader = csv.reader(text, delimiter=delimiter)
            head: list[tuple[int, list[object]]] = []
            starts: list[int] = []
            while len(head) < HEAD_ROWS:
                start = reader.line_num + 1
                record = next(reader, None)
                if record is None:
                    break
                starts.append(start)
                head.append((len(head) + 1, [v or None for v in record]))
            number = header_row or find_header(head) or 1
            if not head:
                raise ImportFileError(file, "no header: the first line must name the columns")
            if number > len(head):
                raise ImportFileError(file, f"no header: the file has no record {number}")
            names = [str(v or "") for v in head[number - 1][1]]
            if not any(name.strip() for name in names):
                where = f"line {starts[number - 1]}"
                raise ImportFileError(file, f"no header: {where} must name the columns")
            lines = starts[number] - 1 if number < len(starts) else reader.line_num
            rest = (values for _, values in head[number:])
            if not any(any(v) for v in rest) and not any(any(r) for r in reader):
                raise ImportFileError(file, "no rows: the file has a header but no data")
    except UnicodeDecodeError:
        raise _decode_error(file, codec) from None
    except UnicodeError as error:  # e.g. utf-16 declared for a file with no BOM
        raise ImportFileError(file, f"cannot be read as {codec}: {error}") from None
    except csv.Error as error:
        raise ImportFileError(file, f"not a readable CSV: {error}") from None
    return _Header(names, delimiter, lines, starts[number - 1] - 1, number)


def _title_note(header: _Header, given: int | None) -> str:
    """Which lines above the header were skipped."""
    how = "as given" if given else "the first line that looks like one"
    span = "line 1" if header.skipped == 1 else f"lines 1-{header.skipped}"
    return f"the header is line {header.skipped + 1} ({how}); {span} above it skipped"


def _sniff(first_line: str) -> str:
    """The delimiter that occurs most in the header line; a comma when none does."""
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _chunks(
    file: Path,
    codec: str,
    header: _Header,
    names: tuple[list[str], list[str]],
    rows: int,
    lines: _Lines,
) -> Iterator[pd.DataFrame]:
    """Chunks as pandas parses them, with ``_row`` and text columns.

    ``names`` are the named columns and the unnamed ones after them, which must be empty.
    """
    columns, unnamed = names
    line = header.lines + 1
    try:
        with pd.read_csv(
            file,
            sep=header.delimiter,
            header=0,
            skiprows=header.skipped,
            names=columns + unnamed,
            index_col=False,
            dtype=object,  # Python's str, as the checks use them (not Arrow's, converted back)
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            encoding=codec,
            encoding_errors="strict",
            chunksize=rows,
        ) as reader:
            for chunk in reader:
                texts = {name: column_text(chunk[name]) for name in columns}
                spans = _line_spans(texts, len(chunk))
                starts = line + np.cumsum(spans) - spans
                lines.record(starts, spans)
                _refuse_unnamed(file, chunk[unnamed], starts)
                out = pd.DataFrame({ROW: starts, **texts})
                line += int(spans.sum())
                yield out.reset_index(drop=True)
    except UnicodeDecodeError:
        raise _decode_error(file, codec) from None
    except pd.errors.ParserError as error:
        raise _parser_error(file, codec, header, str(error)) from None


def _refuse_unnamed(file: Path, cells: pd.DataFrame, starts: np.ndarray) -> None:
    """A value under a column the header does not name: an error naming the line."""
    filled = cells.notna().to_numpy()
    if filled.any():
        row, col = (int(i[0]) for i in np.nonzero(filled))
        raise ImportFileError(
            file,
            f"a value in column {cells.columns[col].removeprefix(_UNNAMED)}, which the header "
            "does not name: name the column or clear it",
            where=f"line {starts[row]}",
            row=int(starts[row]),
            value=cells.iat[row, col],
        )


def _line_spans(texts: dict[str, pd.Series], count: int) -> np.ndarray:
    """How many lines each record spans: 1 + the line breaks inside its quoted cells."""
    spans = np.ones(count, dtype=np.int64)
    for values in texts.values():
        # One scan of the whole column first: a line break inside a cell is rare.
        if "\n" not in "".join(filter(None, values.tolist())):
            continue
        breaks = values.str.count("\n")
        if breaks.any():
            spans += breaks.fillna(0).to_numpy(dtype=np.int64)
    return spans


def _decode_error(file: Path, codec: str) -> ImportFileError:
    """The first bytes that do not decode, by byte offset and line."""
    failure = first_decode_error(file, codec)
    where = f"line {failure.line}, byte {failure.offset}" if failure else None
    bad = f" {failure.bad!r}" if failure else ""
    return ImportFileError(
        file,
        f"bytes{bad} are not valid {codec}: save the file as UTF-8, or give its encoding",
        where=where,
        row=failure.line if failure else None,
    )


def _parser_error(file: Path, codec: str, header: _Header, message: str) -> ImportFileError:
    """A record with more values than the header has columns, by the line it starts on."""
    found = _FIELDS_SEEN.search(message)
    if not found:
        return ImportFileError(file, f"not a readable CSV: {message.strip()}")
    expected, record, seen = (int(g) for g in found.groups())
    line = _record_line(file, codec, header.delimiter, record)
    return ImportFileError(
        file,
        f"{seen} values but the header has {expected} columns "
        "(a delimiter or quote inside a value?)",
        where=f"line {line}",
        row=line,
    )


def _record_line(file: Path, codec: str, delimiter: str, record: int) -> int:
    """The line the ``record``-th record (1-based, header included) starts on."""
    with file.open(encoding=codec, newline="") as text:
        reader = csv.reader(text, delimiter=delimiter)
        start = 1
        for number, _ in enumerate(reader, start=1):
            if number == record:
                return start
            start = reader.line_num + 1
    return record
