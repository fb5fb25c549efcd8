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
from geo_api.importer.osm import open_osm
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
    ".pbf": "osm",
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
    check_content(path, fmt)
    if fmt == "csv":
        return open_csv(path, encoding)
    if fmt == "xlsx":
        return open_xlsx(path, sheet)
    if fmt == "osm":
        return open_osm(path)
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


# What each vector format's bytes start with. GDAL picks its reader from the
# content, not the name: without this, a "GeoJSON" that is really a VRT file
# could make the server read any file it can see, or fetch a URL.
SHP_MAGIC = b"\x00\x00\x27\x0a"  # the Shapefile file code 9994, big-endian
GPKG_MAGIC = b"SQLite format 3\x00"


def check_content(path: Path, fmt: Format) -> None:
    """Refuse a file whose bytes are not of the format its name says."""
    with path.open("rb") as raw:
        head = raw.read(64)
    if fmt == "geojson":
        text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
        ok = text[:1] in (b"{", b"[")
    elif fmt == "gpkg":
        ok = head.startswith(GPKG_MAGIC)
    elif fmt == "shapefile" and path.suffix.lower() == ".zip":
        ok = head.startswith(b"PK") and _zipped_shp_ok(path)
    elif fmt == "shapefile":
        ok = head.startswith(SHP_MAGIC)
    else:
        return
    if not ok:
        raise ImportFileError(path, f"the content is not {fmt}: the file's name says it is")


def _zipped_shp_ok(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            shps = [n for n in archive.namelist() if n.lower().endswith(".shp")]
            return all(archive.read(n)[:4] == SHP_MAGIC for n in shps)
    except (zipfile.BadZipFile, OSError):
        return True  # the Shapefile reader names the broken zip itself


def _check_file(path: Path) -> None:
    """There, a file, and not empty."""
    if not path.exists():
        raise ImportFileError(path, f"no such file ({path})")
    if not path.is_file():
        raise ImportFileError(path, "is a folder, not a file")
    if path.stat().st_size == 0:
        raise ImportFileError(path, "the file is empty (0 bytes)")
