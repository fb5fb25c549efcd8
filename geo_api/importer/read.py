"""Open an import file of any supported format as a ``Source`` of text chunks.

This is the entry point of the reading half: it checks the file is there and
not empty, picks the reader by extension, and leaves every format's details
to its module (delimited.py, spreadsheet.py, vector.py). What it returns is
the same for all: column names, CRS, encoding, warnings, and ``chunks()``.
"""

from __future__ import annotations

from pathlib import Path

from geo_api.importer.delimited import open_csv
from geo_api.importer.errors import ImportFileError
from geo_api.importer.source import Format, Source
from geo_api.importer.spreadsheet import open_xlsx
from geo_api.importer.vector import open_vector

__all__ = ["FORMATS", "ImportFileError", "Source", "open_source"]

# Extension → format.
FORMATS: dict[str, Format] = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "shapefile",
    ".shp": "shapefile",
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
}
_HINTS = {
    ".xls": "save it as .xlsx (Excel 2007 or later)",
    ".et": "save it as .xlsx",
    ".dbf": "send the whole Shapefile (.shp, .shx, .dbf, .prj, .cpg), zipped",
    ".rar": "zip it instead",
    ".7z": "zip it instead",
}


def open_source(
    path: Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> Source:
    """Open ``path`` for import; raise ImportFileError naming the file if it cannot be read.

    ``layer`` picks a GeoPackage layer, ``sheet`` an XLSX sheet (default the
    first), ``encoding`` overrides detection for CSV and Shapefile text.
    """
    path = Path(path)
    _check_file(path)
    fmt = format_of(path)
    if fmt == "csv":
        return open_csv(path, encoding)
    if fmt == "xlsx":
        return open_xlsx(path, sheet)
    return open_vector(path, fmt, layer, encoding)


def format_of(path: Path) -> Format:
    """The format its extension says; an unsupported one lists those that are."""
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    supported = ", ".join(FORMATS)
    hint = f"{_HINTS[suffix]}; " if suffix in _HINTS else ""
    kind = f"{suffix} files are" if suffix else "a file without an extension is"
    raise ImportFileError(path, f"{kind} not supported: {hint}supported are {supported}")


def _check_file(path: Path) -> None:
    """There, a file, and not empty."""
    if not path.exists():
        raise ImportFileError(path, f"no such file ({path})")
    if not path.is_file():
        raise ImportFileError(path, "is a folder, not a file")
    if path.stat().st_size == 0:
        raise ImportFileError(path, "the file is empty (0 bytes)")
