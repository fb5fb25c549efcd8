"""Open an import file of any supported format as a ``Source`` of text chunks.

This is the entry point of the reading half: it checks the file is there and
not empty, picks the reader by extension, and leaves every format's details
to its module (delimited.py, spreadsheet.py, vector.py). What it returns is
the same for all: column names, CRS, encoding, warnings, and ``chunks()``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from geo_api.importer.archive import check_sqlite, check_xlsx, open_zip
from geo_api.importer.delimited import open_csv
from geo_api.importer.errors import ImportFileError
from geo_api.importer.osm import open_osm
from geo_api.importer.source import Format, Source
from geo_api.importer.spreadsheet import open_xlsx
from geo_api.importer.vector import open_vector

__all__ = ["FORMATS", "ImportFileError", "Source", "check_name", "open_source"]

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
    header_row: int | None = None,
    declared_crs: bool | None = None,
) -> Source:
    """Open ``path`` for import; raise ImportFileError naming the file if it cannot be read.

    ``layer`` picks a GeoPackage layer, ``sheet`` an XLSX sheet (default the
    only visible one with data), ``encoding`` overrides detection for CSV and
    Shapefile text, ``header_row`` (1-based, as Excel numbers rows) says where
    a table's header is instead of finding it. ``declared_crs``: whether the
    caller gives the coordinate system (--crs); if False, a file whose own
    system PROJ cannot convert to WGS 84 is refused; if None, that system is
    dropped with a warning (see vector.open_vector).
    """
    path = Path(path)
    _check_file(path)
    fmt = format_of(path)
    check_content(path, fmt)
    if fmt == "csv":
        return open_csv(path, encoding, header_row)
    if fmt == "xlsx":
        return open_xlsx(path, sheet, header_row)
    if fmt == "osm":
        return open_osm(path)
    return open_vector(path, fmt, layer, encoding, declared_crs)


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
        if ok:
            check_sqlite(path)
    elif fmt == "shapefile" and path.suffix.lower() == ".zip":
        ok = head.startswith(b"PK") and _zipped_shp_ok(path)
    elif fmt == "shapefile":
        ok = head.startswith(SHP_MAGIC)
    elif fmt == "xlsx":
        if not head.startswith(b"PK"):
            raise ImportFileError(path, _not_a_zip(head))
        check_xlsx(path)
        return
    else:
        return
    if not ok:
        raise ImportFileError(path, f"the content is not {fmt}: the file's name says it is")


def _not_a_zip(head: bytes) -> str:
    """Why an .xlsx is not one: an old .xls, a CSV or a web page renamed, or something else."""
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        kind = "an old Excel .xls (or an encrypted workbook)"
    elif head.lstrip()[:1] == b"<":
        kind = "a web page or XML"
    elif b"," in head or b"\t" in head:
        kind = "text (a CSV renamed .xlsx?)"
    else:
        kind = "not a workbook"
    return f"the content is not xlsx: it is {kind}; save it from Excel as .xlsx"


def _zipped_shp_ok(path: Path) -> bool:
    """The zip is no bomb, and each .shp in it starts as a Shapefile does."""
    with open_zip(path, "zip: it may be cut short; send it again") as archive:
        shps = [n for n in archive.namelist() if n.lower().endswith(".shp")]
        try:
            for name in shps:
                with archive.open(name) as member:
                    if member.read(4) != SHP_MAGIC:
                        return False
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ImportFileError(path, f"not a readable zip ({error}): send it again") from None
    return True


def _check_file(path: Path) -> None:
    """There, a file, and not empty."""
    check_name(path.name)
    try:
        if not path.exists():
            raise ImportFileError(path, f"no such file ({path})")
        if not path.is_file():
            raise ImportFileError(path, "is a folder, not a file")
        if path.stat().st_size == 0:
            raise ImportFileError(path, "the file is empty (0 bytes)")
    except OSError as error:
        raise ImportFileError(path, f"cannot be opened: {error.strerror}") from None


NAME_BYTES = 255


def check_name(name: str) -> None:
    """Refuse a file name longer than a file system holds (255 bytes: 85 Chinese characters),
    or one holding control characters (a NUL cannot be in a path)."""
    if any(ord(c) < 32 for c in name):
        raise ImportFileError(
            "upload", f"the file name {name[:60]!r} holds control characters: rename the file"
        )
    if len(name.encode()) > NAME_BYTES:
        raise ImportFileError(
            _short(name),
            f"the file name is {len(name)} characters ({len(name.encode())} bytes), "
            f"longer than a file system allows ({NAME_BYTES} bytes): rename the file",
        )


def _short(name: str) -> str:
    """A long name cut to its start and suffix, for messages."""
    suffix = Path(name).suffix
    return name if len(name) <= 60 else f"{name[:40]}…{suffix}"
