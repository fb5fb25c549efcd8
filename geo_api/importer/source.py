"""What every reader hands on: a ``Source`` that streams chunks of text cells.

The readers differ (CSV, XLSX, vector files) but each chunk looks the same:
``_row`` (the number a user sees for that row), the attribute columns as str
or None, and ``geometry`` (shapely) when the file has geometry. The helpers
here check header names and shape the chunks the same way for every reader.

What every format gets from ``Source.chunks``: a NUL character in a value is
refused (PostgreSQL text cannot hold one), and in tables (CSV, XLSX) a totals
row (合计, 小计, 总计, Total) is skipped with a note: it is not a record, and
its sums would land as one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pyproj import CRS

from geo_api.importer.errors import ImportFileError

Format = Literal["geojson", "gpkg", "shapefile", "csv", "xlsx", "osm"]
ROW = "_row"
GEOMETRY = "geometry"
ChunkReader = Callable[[int], Iterator[pd.DataFrame]]


@dataclass
class Source:
    """An opened import file: what it holds, and its rows streamed in chunks."""

    path: Path
    format: Format
    columns: list[str]  # attribute columns as in the file, stripped
    crs: CRS | None  # the file's own; None for CSV/XLSX and a Shapefile without .prj
    encoding: str | None  # the codec the text is read with
    has_geometry: bool
    warnings: list[str] = field(default_factory=list)
    # What the reading did that the user should know (a title row skipped, a formula's
    # cached value used, a totals row left out). Readers add to it while chunks are
    # read, so copy it after the last chunk.
    notes: list[str] = field(default_factory=list)
    _reader: ChunkReader = field(kw_only=True, repr=False, compare=False)
    _label: Callable[[int], str] = field(
        kw_only=True, default=lambda row: f"row {row}", repr=False, compare=False
    )

    def label(self, row: int) -> str:
        """Where a user finds ``_row`` ``row``: "line 7", "sheet 户籍, row 7", "feature fid 7"."""
        return self._label(row)

    def chunks(self, rows: int = 100_000) -> Iterator[pd.DataFrame]:
        """The rows in order, at most ``rows`` per chunk, read as they are needed.

        Each chunk has ``_row``, the attribute columns (object dtype: str or
        None) and, when ``has_geometry``, ``geometry``. Raises ImportFileError
        for a problem found only on reading (bad bytes further down a file).
        A chunk may be shorter than ``rows`` where totals rows were left out.
        """
        if rows < 1:
            raise ValueError(f"rows per chunk must be positive, not {rows}")
        return self._checked(self._reader(rows))

    def _checked(self, chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """Refuse NUL characters; in tables, leave out totals rows with a note."""
        for chunk in chunks:
            refuse_nul(self.path, chunk, self.columns, self.label)
            if self.format in ("csv", "xlsx"):
                chunk = without_totals(chunk, self.columns, self.label, self.notes)
            if len(chunk):
                yield chunk


def check_columns(file: Path, names: Sequence[object], label: Callable[[int], str]) -> list[str]:
    """Header names stripped; an empty, duplicate or reserved name is an error.

    ``label(i)`` names the i-th (0-based) column for the user: "column 3", "cell C1".
    """
    columns: list[str] = []
    for i, raw in enumerate(names):
        name = ("" if raw is None else str(raw)).strip().lstrip("\ufeff").strip()
        if not name:
            raise ImportFileError(file, "the header has no name for this column", where=label(i))
        if name in columns:
            first = label(columns.index(name))
            raise ImportFileError(
                file, f"two columns are named {name!r} ({first} and {label(i)}): rename one"
            )
        if name in (ROW, GEOMETRY):
            raise ImportFileError(file, f"the column name {name!r} is reserved: rename it")
        columns.append(name)
    return columns


def frame(
    rows: Sequence[int],
    cells: dict[str, list[str | None]],
    geometry: Sequence[object] | None = None,
) -> pd.DataFrame:
    """A chunk: ``_row``, the text columns (object dtype), then ``geometry`` if given."""
    data: dict[str, object] = {ROW: np.asarray(rows, dtype=np.int64)}
    for name, values in cells.items():
        data[name] = pd.Series(values, dtype=object)
    if geometry is not None:
        data[GEOMETRY] = pd.Series(list(geometry), dtype=object)
    return pd.DataFrame(data)


def without_trailing_empty(
    chunks: Iterator[pd.DataFrame], columns: list[str]
) -> Iterator[pd.DataFrame]:
    """Drop the empty rows at the end of a table; keep those between rows.

    An empty row inside the data goes on to the validator, which rejects it:
    silently dropping it would hide a gap. Trailing ones are only formatting
    (a sheet can have a million formatted empty rows), so only their row
    numbers are held until a filled row shows they were inside the table.
    """
    held: list[np.ndarray] = []
    for chunk in chunks:
        filled = np.flatnonzero(chunk[columns].notna().any(axis=1).to_numpy())
        numbers = chunk[ROW].to_numpy()
        if len(filled) == 0:
            held.append(numbers)
            continue
        last = int(filled[-1]) + 1
        body = chunk.iloc[:last]
        if held:
            gap = _empty_rows(np.concatenate(held), list(chunk.columns))
            body = pd.concat([gap, body], ignore_index=True)
        yield body
        held = [numbers[last:]] if last < len(chunk) else []


def _empty_rows(numbers: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Rows with these ``_row`` numbers and nothing in them."""
    empty: list[str | None] = [None] * len(numbers)
    return pd.DataFrame(
        {name: numbers if name == ROW else pd.Series(empty, dtype=object) for name in names}
    )


def rebatch(chunks: Iterator[pd.DataFrame], rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of exactly ``rows`` rows (the last may be shorter), index 0..n-1."""
    pending: list[pd.DataFrame] = []
    count = 0
    for chunk in chunks:
        pending.append(chunk)
        count += len(chunk)
        while count >= rows:
            whole = pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0]
            yield whole.iloc[:rows].reset_index(drop=True)
            rest = whole.iloc[rows:]
            pending, count = ([rest], len(rest)) if len(rest) else ([], 0)
    if count:
        yield pd.concat(pending, ignore_index=True).reset_index(drop=True)


def refuse_nul(
    file: Path, chunk: pd.DataFrame, columns: list[str], label: Callable[[int], str]
) -> None:
    """A NUL character in a value: an error naming the row, column and value."""
    for name in columns:
        values = chunk[name].tolist()
        # One search of the column joined (at C speed) before looking cell by cell.
        if "\x00" not in _joined(values):
            continue
        k = next((i for i, v in enumerate(values) if v and "\x00" in v), None)
        if k is not None:
            row = int(chunk[ROW].to_numpy()[k])
            raise ImportFileError(
                file,
                "a NUL character (\\x00) inside the value, which text cannot hold: "
                "delete it (the file may be damaged, or not text)",
                where=label(row),
                row=row,
                column=name,
                value=values[k],
            )


# What a totals row's label reads, once spaces and a trailing colon are gone.
TOTALS = frozenset({"合计", "小计", "总计", "共计", "累计", "total", "subtotal", "grandtotal"})
_NOISE = re.compile(r"[\s:：]+")
_LONGEST_TOTAL = 16
# Every totals word holds 计 or "otal" (in any case or width).
_MAYBE_TOTAL = re.compile("计|[oOｏＯ][tTｔＴ][aAａＡ][lLｌＬ]")


def totals_word(text: object) -> str | None:
    """The totals word a cell reads ("合 计：" → "合计"), or None."""
    if not isinstance(text, str) or len(text) > _LONGEST_TOTAL:
        return None
    word = _NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return word if word in TOTALS else None


def without_totals(
    chunk: pd.DataFrame, columns: list[str], label: Callable[[int], str], notes: list[str]
) -> pd.DataFrame:
    """The chunk without its totals rows (a cell reading 合计, 小计, 总计, Total …), noted."""
    found: dict[int, str] = {}
    for name in columns:
        values = chunk[name].tolist()
        if not _MAYBE_TOTAL.search(_joined(values)):
            continue  # the usual case, found by one search of the whole column
        for k, value in enumerate(values):
            # totals_word, the costly test, only for the cells that could be one.
            if value and k not in found and _MAYBE_TOTAL.search(value) and totals_word(value):
                found[k] = value.strip()
    if not found:
        return chunk
    numbers = chunk[ROW].to_numpy()
    for k in sorted(found):
        notes.append(
            f"{label(int(numbers[k]))}: a totals row ({found[k]}) skipped: it is not a record"
        )
    keep = np.ones(len(chunk), dtype=bool)
    keep[list(found)] = False
    return chunk[keep].reset_index(drop=True)


def _joined(values: list[str | None]) -> str:
    """A column's texts as one string, to search it once."""
    return "\n".join(filter(None, values))
