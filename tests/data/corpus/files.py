"""Builders of the corpus's files: workbooks, text tables, vector files and archives.

Small on purpose: each builder writes one kind of awkwardness and nothing else,
so a case says what it tests by which builders it calls.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
from shapely.geometry import Point, Polygon

# In the test city (tests/conftest.py: the generated Houma, seed 7).
STREET = "141081001"
COMMUNITY = "141081001001"
LON, LAT = 111.37, 35.62
# New areas go east of the test city's streets (still inside its extent's margin), where
# they overlap nothing: overlaps between areas of a level refuse an import.
AREA_LON = 111.465

MEMBER_HEADER = ["姓名", "电话", "经度", "纬度", "报到日期"]


def members(count: int, start: int = 0) -> list[list[object]]:
    """``count`` party members living in the city, as typed values (phones as numbers)."""
    return [
        [f"党员{start + i}", 13800000000 + start + i, LON + i / 1000, LAT, date(2023, 5, 6)]
        for i in range(count)
    ]


def workbook(
    path: Path,
    sheets: Sequence[tuple[str, Sequence[Sequence[object]], str]],
) -> Path:
    """A workbook of (title, rows, state) sheets in order; state is visible, hidden or
    veryHidden."""
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        sheet.sheet_state = state
    book.save(path)
    return path


def merge(path: Path, ranges: Sequence[str], title: str | None = None) -> Path:
    """Merge cell ranges of a sheet (the first unless named)."""
    book = openpyxl.load_workbook(path)
    sheet = book[title] if title else book.worksheets[0]
    for ref in ranges:
        sheet.merge_cells(ref)
    book.save(path)
    return path


def cache_formulas(path: Path, cached: dict[str, object]) -> Path:
    """Give formula cells the values Excel would have saved (openpyxl writes none).

    ``cached`` maps a cell ("C3") of the first sheet to its value; text is saved
    as t="str", as Excel does for a formula giving text.
    """
    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    xml = members[part].decode()
    for ref, value in cached.items():
        kind = ' t="str"' if isinstance(value, str) else ""
        # openpyxl writes an empty <v/>, or <v></v> when lxml is installed.
        pattern = rf'<c r="{ref}"([^>]*)><f>(.*?)</f>(?:<v\s*/>|<v></v>)'
        xml, found = re.subn(pattern, rf'<c r="{ref}"\1{kind}><f>\2</f><v>{value}</v>', xml)
        if found != 1:
            raise ValueError(f"no formula cell {ref} in {path.name}")
    members[part] = xml.encode()
    return rezip(path, members)


def rezip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    """Write ``members`` as the zip at ``path``."""
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def zip_members(path: Path) -> dict[str, bytes]:
    """A zip's members by name."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def text_table(path: Path, lines: Sequence[Sequence[object]], encoding: str = "utf-8") -> Path:
    """A comma-separated file; None is an empty cell."""
    text = "\n".join(",".join("" if v is None else str(v) for v in line) for line in lines)
    path.write_bytes((text + "\n").encode(encoding))
    return path


def square(lon: float, lat: float, size: float = 0.002) -> Polygon:
    """A small square with its south-west corner at lon, lat."""
    return Polygon(
        [(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size), (lon, lat)]
    )


def streets(count: int) -> gpd.GeoDataFrame:
    """``count`` new streets (codes 141081901 …) in the city, WGS 84."""
    return gpd.GeoDataFrame(
        {
            "code": [f"1410819{i:02d}" for i in range(1, count + 1)],
            "name": [f"新街道{i}" for i in range(1, count + 1)],
        },
        geometry=[square(AREA_LON + i * 0.01, LAT) for i in range(count)],
        crs="EPSG:4326",
    )


def vector(path: Path, frame: gpd.GeoDataFrame, layer: str | None = None) -> Path:
    """Write ``frame`` with GDAL (the driver from the extension)."""
    pyogrio.write_dataframe(frame, path, layer=layer)
    return path


def shapefile_zip(path: Path, frame: gpd.GeoDataFrame, prj: str | None = None) -> Path:
    """A zipped Shapefile of ``frame``; ``prj`` replaces its .prj text when given."""
    folder = path.with_suffix("")
    folder.mkdir(exist_ok=True)
    shp = folder / f"{path.stem}.shp"
    pyogrio.write_dataframe(frame, shp, encoding="UTF-8")
    if prj is not None:
        shp.with_suffix(".prj").write_text(prj, encoding="ascii")
    members = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    for part in folder.iterdir():
        part.unlink()
    folder.rmdir()
    return rezip(path, members)


def point_feature(properties: dict[str, object], coordinates: str) -> str:
    """A GeoJSON point feature with coordinates as written (so NaN can be written)."""
    import json

    props = json.dumps(properties, ensure_ascii=False)
    geometry = f'{{"type": "Point", "coordinates": [{coordinates}]}}'
    return f'{{"type": "Feature", "properties": {props}, "geometry": {geometry}}}'


def point() -> Point:
    """A point in the city."""
    return Point(LON, LAT)


def mark_members(path: Path, *, flag: int = 0, method: int | None = None) -> Path:
    """Set bits of every member's flags (1: a password) or its compression method (9:
    Deflate64) in the zip's headers, as other zip tools write them."""
    data = bytearray(path.read_bytes())
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            flags = int.from_bytes(data[start + at : start + at + 2], "little") | flag
            data[start + at : start + at + 2] = flags.to_bytes(2, "little")
            if method is not None:
                data[start + at + 2 : start + at + 4] = method.to_bytes(2, "little")
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    return path
