"""Hostile containers: zip bombs, XML with a DTD, and SQLite files that lie about their size.

Checked before a reader opens anything, from the containers' own headers:

- a zip (zipped Shapefile, XLSX) is refused when its members would unpack to
  more than ``MAX_UNPACKED`` in all, or when a member over ``RATIO_FLOOR``
  unpacks to more than ``MAX_RATIO`` times its packed size (real data packs
  10 to 20 times at most; a bomb packs 1,000 times);
- an XLSX whose XML parts carry a document type (``<!DOCTYPE``) is refused:
  Excel never writes one, and a DTD is how entity-expansion and external-entity
  attacks start;
- a GeoPackage (SQLite) whose header's page count times page size is not its
  size is refused: it was cut short, or something was appended to it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from geo_api.importer.errors import ImportFileError

MAX_UNPACKED = 1 << 30  # 1 GiB unpacked, every member together
MAX_RATIO = 100
RATIO_FLOOR = 1 << 20  # members below 1 MB may pack as well as they like
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_PROLOG_BLOCK = 4096
# How far into a part its root element may start: a DTD can only come before it.
_PROLOG_LIMIT = 1 << 20


# What Python's zipfile (and GDAL's /vsizip/) unpack; Windows' Deflate64 is not among them.
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def check_zip(file: Path, archive: zipfile.ZipFile) -> None:
    """Refuse a zip whose members unpack too big, or too many times their packed size,
    or cannot be unpacked at all (a password, an unusual compression)."""
    total = 0
    for member in archive.infolist():
        if member.flag_bits & 0x1:
            raise ImportFileError(
                file, f"member {member.filename} is protected by a password: zip it without one"
            )
        if member.compress_type not in _METHODS:
            raise ImportFileError(
                file,
                f"member {member.filename} is packed with compression method "
                f"{member.compress_type} (Deflate64 is 9), which cannot be unpacked here: "
                "zip it again with ordinary (Deflate) compression",
            )
        total += member.file_size
        if total > MAX_UNPACKED:
            raise ImportFileError(
                file,
                f"the zip unpacks to more than {_size(MAX_UNPACKED)} "
                f"(at member {member.filename}): refused as a possible zip bomb; "
                "split the data into smaller files",
            )
        packed = max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR and member.file_size / packed > MAX_RATIO:
            raise ImportFileError(
                file,
                f"member {member.filename} unpacks {member.file_size / packed:,.0f} times its "
                f"packed size ({_size(packed)} to {_size(member.file_size)}), more than "
                f"{MAX_RATIO} times: refused as a possible zip bomb",
            )


def open_zip(file: Path, what: str) -> zipfile.ZipFile:
    """The zip, checked by ``check_zip``; a broken one is an error saying it is not ``what``."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportFileError(file, f"not a readable {what} ({error})") from None
    try:
        check_zip(file, archive)
    except ImportFileError:
        archive.close()
        raise
    return archive


def check_xlsx(file: Path) -> None:
    """Refuse an XLSX that is not a zip, unpacks like a bomb, or has XML with a DTD."""
    with open_zip(file, ".xlsx workbook: it may be cut short; save or send it again") as archive:
        for member in archive.infolist():
            if member.filename.lower().endswith(_XML_SUFFIXES) and _has_doctype(archive, member):
                raise ImportFileError(
                    file,
                    f"part {member.filename} declares a document type (<!DOCTYPE): Excel never "
                    "writes one, so the workbook is refused; save it again from Excel",
                )


def _has_doctype(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether the part's prolog (everything before its root element) holds <!DOCTYPE."""
    seen = b""
    try:
        with archive.open(member) as stream:
            while len(seen) < _PROLOG_LIMIT:
                block = stream.read(_PROLOG_BLOCK)
                if not block:
                    break
                # UTF-16 XML has a NUL beside every ASCII byte: drop them to see the markup.
                seen += block.replace(b"\x00", b"")
                if b"<!doctype" in seen.lower():
                    return True
                if _root_started(seen):
                    return False
    except (zipfile.BadZipFile, OSError, EOFError):
        return False  # a broken part is the workbook reader's to report
    return False


def _root_started(prolog: bytes) -> bool:
    """Whether the root element's start tag (``<`` then a name) is in ``prolog``."""
    at = prolog.find(b"<")
    while at != -1 and at + 1 < len(prolog):
        following = prolog[at + 1 : at + 2]
        if following.isalpha() or following == b"_" or following[0] >= 0x80:
            return True
        at = prolog.find(b"<", at + 1)
    return False


SQLITE_HEADER = 100


def check_sqlite(file: Path) -> None:
    """Refuse a SQLite file whose header says another size than the file has."""
    size = file.stat().st_size
    with file.open("rb") as raw:
        header = raw.read(SQLITE_HEADER)
    if len(header) < SQLITE_HEADER:
        raise ImportFileError(file, f"cut short: {size} bytes, less than a SQLite header")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise ImportFileError(file, f"not a readable GeoPackage: page size {page_size} is wrong")
    pages = int.from_bytes(header[28:32], "big")
    # The page count is valid only when the change counter matches "version-valid-for".
    valid = pages > 0 and header[24:28] == header[92:96]
    expected = pages * page_size if valid else None
    if expected is not None and expected != size:
        cause = "cut short (sent again in full?)" if size < expected else "has bytes appended"
        raise ImportFileError(
            file,
            f"the GeoPackage is {cause}: its header says {pages:,} pages of {page_size:,} bytes "
            f"({expected:,} bytes), but the file is {size:,} bytes",
        )
    if expected is None and size % page_size:
        raise ImportFileError(
            file,
            f"the GeoPackage is cut short: {size:,} bytes is not a whole number of "
            f"{page_size:,}-byte pages",
        )


def _size(count: int) -> str:
    """Bytes as a person reads them: 1.0 GiB, 3.2 MiB, 512 bytes."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"
