"""GeoJSON, GeoPackage and Shapefile layers, read with GDAL through pyogrio.

Chunks are read with ``skip_features``/``max_features``, so a large layer is
never held whole. Attribute values come back as text like every other format
(see values.py); geometries as shapely objects in the file's own CRS, which
``Source.crs`` gives for the caller to transform. ``_row`` is the feature's
number a user finds it by: a GeoPackage's fid, a Shapefile's record number
(its fid + 1, as QGIS and ArcGIS count), a GeoJSON feature's position (1-based).

A geometry that cannot be a shape is named by that number: a polygon whose
ring is not closed is closed (with a note, as GDAL's own tools do); a
coordinate that is not a finite number (NaN, Infinity) is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from geo_api.importer.errors import ImportFileError
from geo_api.importer.shapefile import ShapeSet, dbf_encoding, locate
from geo_api.importer.source import Format, Source, check_columns, frame
from geo_api.importer.values import column_text

# Never let GDAL follow a virtual dataset to other files or URLs.
pyogrio.set_gdal_config_options({"GDAL_SKIP": "VRT OGR_VRT"})

_GDAL_ERRORS = (DataSourceError, DataLayerError, FieldError, shapely.errors.GEOSException)
NO_PRJ = "no .prj: the coordinate system is unknown"
BAD_PRJ = "its .prj names no coordinate system GDAL can read: the coordinate system is unknown"
NO_CRS = "the file names no coordinate system: it is unknown"
_KIND: dict[Format, str] = {"geojson": "GeoJSON", "gpkg": "GeoPackage", "shapefile": "Shapefile"}


def open_vector(
    file: Path,
    fmt: Format,
    layer: str | None,
    encoding: str | None,
    declared_crs: bool | None = None,
) -> Source:
    """Open a layer: its fields, CRS, geometry, and a check that it has features.

    ``declared_crs`` says whether the caller gives the coordinate system itself:
    then a file's system PROJ cannot use does not matter; if not, it is refused.
    None (the caller does not say) keeps the file's unusable system out of
    ``crs`` with a warning, and the caller decides.
    """
    shapes = locate(file) if fmt == "shapefile" else None
    gdal_path = shapes.gdal_path if shapes else str(file)
    codec = dbf_encoding(file, shapes, encoding) if shapes else None
    try:
        name = _layer(file, gdal_path, layer)
        info = pyogrio.read_info(gdal_path, layer=name, encoding=codec)
    except UnicodeDecodeError:
        raise ImportFileError(
            file,
            f"the column names are not valid {codec}{_cpg_says(shapes, encoding)}: "
            "give the file's encoding",
        ) from None
    except _GDAL_ERRORS as error:
        raise ImportFileError(
            file, f"not a readable {_KIND[fmt]}: {_gdal_message(error, file)}"
        ) from None
    fields = [str(f) for f in info["fields"]]
    columns = check_columns(file, fields, lambda i: f"field {i + 1}")
    if info["features"] == 0 or (info["features"] < 0 and _empty(gdal_path, name, codec)):
        raise ImportFileError(file, f"no rows: layer {name} has no features")
    has_geometry = info["geometry_type"] is not None
    crs, unusable = _file_crs(file, info["crs"], shapes, declared_crs)
    notes: list[str] = []
    reading = _Reading(file, gdal_path, name, codec, _cpg_says(shapes, encoding), fmt, notes)

    def read(rows: int) -> Iterator[pd.DataFrame]:
        return _chunks(reading, fields, columns, has_geometry, rows)

    return Source(
        path=file,
        format=fmt,
        columns=columns,
        crs=crs,
        encoding=codec or "utf-8",
        has_geometry=has_geometry,
        warnings=[unusable] if unusable else _warnings(shapes, has_geometry, crs, declared_crs),
        notes=notes,
        _reader=read,
        _label=ROW_LABELS[fmt],
    )


ROW_LABELS = {
    "gpkg": lambda row: f"feature fid {row}",
    "shapefile": lambda row: f"record {row}",
    "geojson": lambda row: f"feature {row}",
}


def _file_crs(
    file: Path, text: str | None, shapes: ShapeSet | None, declared: bool | None
) -> tuple[CRS | None, str | None]:
    """The file's system if PROJ can take it to WGS 84, else None and why.

    A LOCAL_CS (a site's own grid) or an engineering system has no way to WGS 84;
    reading it as degrees or guessing would put every shape somewhere wrong.
    """
    if not text:
        return None, None
    where = "its .prj" if shapes is not None else "the file"
    try:
        crs = CRS.from_user_input(text)
        Transformer.from_crs(crs, 4326, always_xy=True)
        return crs, None
    except (CRSError, ProjError) as error:
        name = _crs_name(text) or str(error)
        problem = (
            f"{where} names a coordinate system that cannot be converted to WGS 84 ({name}): "
            "give the file's system with --crs (crs= in the API), e.g. --crs EPSG:4546"
        )
    if declared is False:
        raise ImportFileError(file, problem)
    return None, None if declared else problem


def _crs_name(text: str) -> str:
    """A CRS's name for a message: the first quoted word of its WKT, or its text."""
    quoted = text.split('"')
    return quoted[1] if len(quoted) > 2 else text[:80]


def _cpg_says(shapes: ShapeSet | None, declared: str | None) -> str:
    """When the codec came from a .cpg, say so: the .cpg may be what is wrong."""
    if shapes is None or shapes.cpg is None or declared:
        return ""
    return f" (its .cpg says {shapes.cpg.strip()!r})"


def _gdal_message(error: Exception, file: Path) -> str:
    """GDAL's message without the full path and the advice about drivers."""
    text = str(error).split("; It might help")[0]
    return text.replace(f"'{file}' ", "").replace(str(file), file.name).strip()


def _layer(file: Path, gdal_path: str, wanted: str | None) -> str:
    """The layer asked for, or the only one; otherwise an error listing the layers."""
    names = [str(row[0]) for row in pyogrio.list_layers(gdal_path)]
    if wanted is not None and wanted in names:
        return wanted
    if wanted is None and len(names) == 1:
        return names[0]
    listed = ", ".join(names) or "none"
    if wanted is None:
        raise ImportFileError(file, f"{len(names)} layers: say which to import ({listed})")
    raise ImportFileError(file, f"no layer {wanted!r}; the layers are: {listed}")


def _empty(gdal_path: str, layer: str, codec: str | None) -> bool:
    """Whether a layer that does not know its feature count has none."""
    probe = pyogrio.read_dataframe(
        gdal_path, layer=layer, encoding=codec, read_geometry=False, max_features=1
    )
    return len(probe) == 0


def _warnings(
    shapes: ShapeSet | None, has_geometry: bool, crs: CRS | None, declared: bool | None
) -> list[str]:
    """A geometry without a coordinate system is worth telling before anything lands,
    unless the caller gives the system."""
    if not has_geometry or crs is not None or declared:
        return []
    if shapes is not None:
        return [BAD_PRJ if shapes.has_prj else NO_PRJ]
    return [NO_CRS]


@dataclass(frozen=True)
class _Reading:
    """What reading a layer's features needs: where, how to decode, how to number."""

    file: Path
    gdal_path: str
    layer: str
    codec: str | None
    origin: str  # where the codec came from (a .cpg), for messages
    fmt: Format
    notes: list[str]

    def label(self, row: int) -> str:
        return ROW_LABELS[self.fmt](row)


def _chunks(
    reading: _Reading, fields: list[str], columns: list[str], has_geometry: bool, rows: int
) -> Iterator[pd.DataFrame]:
    """Features ``rows`` at a time; a decoding failure names the first bad feature."""
    start = 0
    while True:
        read = _read_checked(reading, has_geometry, start, rows)
        if len(read) == 0:
            return
        cells = {c: column_text(read[f]).tolist() for f, c in zip(fields, columns, strict=True)}
        numbers = _numbers(reading.fmt, read, start)
        geometry = read["geometry"].to_numpy() if has_geometry else None
        if geometry is not None:
            _refuse_non_finite(reading, numbers, geometry)
        yield frame(numbers, cells, geometry)
        if len(read) < rows:
            return
        start += rows


def _numbers(fmt: Format, read: Any, start: int) -> list[int]:
    """The rows as a user numbers them: fid (GeoPackage), fid + 1 (Shapefile), position."""
    if fmt == "gpkg":
        return [int(fid) for fid in read.index]
    if fmt == "shapefile":
        return [int(fid) + 1 for fid in read.index]
    return list(range(start + 1, start + len(read) + 1))


def _read_checked(reading: _Reading, has_geometry: bool, start: int, rows: int) -> Any:
    """One chunk of features; errors named by feature, unclosed rings closed with a note."""
    try:
        return _read(reading.gdal_path, reading.layer, reading.codec, has_geometry, start, rows)
    except UnicodeDecodeError:
        bad = _first_undecodable(
            reading.gdal_path, reading.layer, reading.codec, start, start + rows
        )
        raise ImportFileError(
            reading.file,
            f"text that is not valid {reading.codec}{reading.origin}: give the file's encoding",
            where=reading.label(_numbers(reading.fmt, _fids(reading, bad), bad)[0]),
            row=bad + 1,
        ) from None
    except shapely.errors.GEOSException:
        return _repaired(reading, start, rows)
    except _GDAL_ERRORS as error:
        raise ImportFileError(
            reading.file,
            f"cannot read features from {start + 1} on: {_gdal_message(error, reading.file)}",
        ) from None


def _fids(reading: _Reading, position: int) -> Any:
    """The one feature at ``position`` (0-based), attributes left out."""
    return pyogrio.read_dataframe(
        reading.gdal_path,
        layer=reading.layer,
        read_geometry=False,
        columns=[],
        skip_features=position,
        max_features=1,
        fid_as_index=True,
    )


def _repaired(reading: _Reading, start: int, rows: int) -> Any:
    """A chunk with a geometry GEOS refused: rings that only lack their closing point are
    closed (noted); anything else is refused naming the feature."""
    read = _read(reading.gdal_path, reading.layer, reading.codec, False, start, rows)
    wkb = pyogrio.raw.read(
        reading.gdal_path, layer=reading.layer, columns=[], skip_features=start, max_features=rows
    )[2]
    as_is = shapely.from_wkb(wkb, on_invalid="ignore")
    fixed = shapely.from_wkb(wkb, on_invalid="fix")
    given = np.asarray([w is not None for w in wkb], dtype=bool)
    numbers = _numbers(reading.fmt, read, start)
    closed = given & shapely.is_missing(as_is) & ~shapely.is_missing(fixed)
    for k in np.flatnonzero(closed).tolist():
        reading.notes.append(
            f"{reading.label(numbers[k])}: a polygon ring was not closed (its last point is not "
            "its first): closed it"
        )
    unreadable = np.flatnonzero(given & shapely.is_missing(fixed))
    if unreadable.size:
        k = int(unreadable[0])
        raise ImportFileError(
            reading.file,
            "the geometry cannot be read (a ring of fewer than 4 points, or broken bytes): "
            "fix or delete the shape",
            where=reading.label(numbers[k]),
            row=numbers[k],
        )
    read["geometry"] = fixed
    return read


def _refuse_non_finite(reading: _Reading, numbers: list[int], geometry: np.ndarray) -> None:
    """A coordinate that is NaN or infinite cannot be placed: refuse naming the feature."""
    present = ~shapely.is_missing(geometry) & ~shapely.is_empty(geometry)
    if not present.any():
        return
    finite = np.ones(len(geometry), dtype=bool)
    coords, owner = shapely.get_coordinates(geometry[present], return_index=True)
    bad_owner = owner[~np.isfinite(coords).all(axis=1)]
    if bad_owner.size == 0:
        return
    finite[np.flatnonzero(present)[bad_owner]] = False
    k = int(np.flatnonzero(~finite)[0])
    raise ImportFileError(
        reading.file,
        "a coordinate is not a finite number (NaN or Infinity): fix or delete the shape",
        where=reading.label(numbers[k]),
        row=numbers[k],
        column="geometry",
        value=shapely.to_wkt(geometry[k], rounding_precision=6)[:80],
    )


def _read(
    gdal_path: str,
    layer: str,
    codec: str | None,
    geometry: bool,
    start: int,
    count: int,
    on_invalid: Literal["raise", "warn", "ignore", "fix"] = "raise",
) -> Any:
    """Features [start, start + count) with dates as ISO text (pyogrio is untyped: Any)."""
    return pyogrio.read_dataframe(
        gdal_path,
        layer=layer,
        encoding=codec,
        read_geometry=geometry,
        skip_features=start,
        max_features=count,
        datetime_as_string=True,
        fid_as_index=True,
        on_invalid=on_invalid,
    )


def _first_undecodable(gdal_path: str, layer: str, codec: str | None, lo: int, hi: int) -> int:
    """The first feature in [lo, hi) whose text does not decode, by bisection (0-based)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            _read(gdal_path, layer, codec, False, lo, mid - lo)
        except UnicodeDecodeError:
            hi = mid
        else:
            lo = mid
    return lo
