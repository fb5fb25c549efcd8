"""A quick pass over a worksheet's XML for what openpyxl's streaming mode hides.

Read-only openpyxl (the only mode that streams a big sheet) does not report
merged cells, which live after the cell data in the sheet's XML. This pass
streams the sheet part of the .xlsx (a zip) in blocks and picks out the merged
ranges (refused inside the table before a single row is read), and whether
any cell holds a formula (only then is the sheet read a second time, as
written, to note each formula cell).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from geo_api.importer.errors import ImportFileError

_BLOCK = 1 << 20
# Longer than any <mergeCell .../> or <f ...> tag, so one cut by a block boundary is seen whole.
_OVERLAP = 512
_MERGED = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


@dataclass(frozen=True)
class SheetScan:
    """What the sheet's XML says beyond its cell values."""

    merged: list[str]  # ranges such as "A5:A9"
    has_formula: bool


def scan_sheet(file: Path, title: str) -> SheetScan:
    """Merged ranges and formula presence of the sheet named ``title``."""
    try:
        with zipfile.ZipFile(file) as archive:
            part = _sheet_part(archive, title)
            with archive.open(part) as stream:
                return _scan(stream.read)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError) as error:
        raise ImportFileError(file, f"not a readable .xlsx workbook ({error})") from None


def _scan(read: Callable[[int], bytes]) -> SheetScan:
    """Stream the XML; a tag cut at a block edge lies whole inside the carried overlap."""
    merged: list[str] = []
    formula = False
    tail = b""
    while block := read(_BLOCK):
        data = tail + block
        merged += [m.group(1).decode() for m in _MERGED.finditer(data) if m.end() > len(tail)]
        formula = formula or _FORMULA.search(data) is not None
        tail = data[-_OVERLAP:]
    return SheetScan(merged, formula)


def _sheet_part(archive: zipfile.ZipFile, title: str) -> str:
    """The zip member holding the sheet: workbook.xml names it, its .rels says where."""
    # The stdlib parser, as openpyxl uses: expat (2.4+) refuses entity-expansion bombs.
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    rel_id = next(
        (
            _attribute(sheet, "id")
            for sheet in book.iter()
            if _local(sheet.tag) == "sheet" and sheet.get("name") == title
        ),
        None,
    )
    target = next(
        (
            rel.get("Target", "")
            for rel in rels.iter()
            if _local(rel.tag) == "Relationship" and rel.get("Id") == rel_id
        ),
        None,
    )
    if not target:
        raise KeyError(f"no part for sheet {title!r}")
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


def _local(tag: str) -> str:
    """A tag without its namespace: transitional and strict OOXML differ only there."""
    return tag.rpartition("}")[2]


def _attribute(element: ElementTree.Element, name: str) -> str:
    """A namespaced attribute (r:id) by its local name."""
    return next((v for k, v in element.attrib.items() if _local(k) == name), "")
