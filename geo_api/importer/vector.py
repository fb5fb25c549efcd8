"""GeoJSON, GeoPackage and Shapefile layers, read with GDAL through pyogrio.

Chunks are read with ``skip_features``/``max_features``, so a large layer is
never held whole. Attribute values come back as text like every other format
(see values.py); geometries as shapely objects in the file's own CRS, which
``Source.crs`` gives for the caller to transform. ``_row`` is the feature's
position, 1-based.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError, FieldError
from pyproj import CRS

from geo_api.importer.errors import ImportFileError
from geo_api.importer.shapefile import ShapeSet, dbf_encoding, locate
from geo_api.importer.source import Format, Source, check_columns, frame
from geo_api.importer.values import column_text

# Never let GDAL follow a virtual dataset to other files or URLs.
pyogrio.set_gdal_config_options({"GDAL_SKIP": "VRT OGR_VRT"})

_GDAL_ERRORS = (DataSourceError, DataLayerError, FieldError)
NO_PRJ = "no .prj: the coordinate system is unknown"
NO_CRS = "the file names no coordinate system: it is unknown"
_KIND: dict[Format, str] = {"geojson": "GeoJSON", "gpkg": "GeoPackage", "shapefile": "Shapefile"}


def open_vector(file: Path, fmt: Format, layer: str | None, encoding: str | None) -> Source:
    """Open a layer: its fields, CRS, geometry, and a check that it has features."""
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
    crs = CRS.from_user_input(info["crs"]) if info["crs"] else None

    def read(rows: int) -> Iterator[pd.DataFrame]:
        hint = _cpg_says(shapes, encoding)
        return _chunks(file, gdal_path, name, (codec, hint), fields, columns, has_geometry, rows)

    return Source(
        path=file,
        format=fmt,
        columns=columns,
        crs=crs,
        encoding=codec or "utf-8",
        has_geometry=has_geometry,
        warnings=_warnings(shapes, has_geometry, crs),
        _reader=read,
    )


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


def _warnings(shapes: ShapeSet | None, has_geometry: bool, crs: CRS | None) -> list[str]:
    """A geometry without a coordinate system is worth telling before anything lands."""
    if not has_geometry or crs is not None:
        return []
    return [NO_PRJ if shapes is not None and not shapes.has_prj else NO_CRS]


def _chunks(
    file: Path,
    gdal_path: str,
    layer: str,
    text: tuple[str | None, str],
    fields: list[str],
    columns: list[str],
    has_geometry: bool,
    rows: int,
) -> Iterator[pd.DataFrame]:
    """Features ``rows`` at a time; a decoding failure names the first bad feature.

    ``text`` is the codec and where it came from (a .cpg), for the message.
    """
    codec, origin = text
    start = 0
    while True:
        try:
            read = _read(gdal_path, layer, codec, has_geometry, start, rows)
        except UnicodeDecodeError:
            bad = _first_undecodable(gdal_path, layer, codec, start, start + rows)
            raise ImportFileError(
                file,
                f"text that is not valid {codec}{origin}: give the file's encoding",
                where=f"feature {bad + 1}",
                row=bad + 1,
            ) from None
        except _GDAL_ERRORS as error:
            raise ImportFileError(
                file, f"cannot read features from {start + 1} on: {_gdal_message(error, file)}"
            ) from None
        if len(read) == 0:
            return
        cells = {c: column_text(read[f]).tolist() for f, c in zip(fields, columns, strict=True)}
        geometry = read.geometry.to_numpy() if has_geometry else None
        yield frame(range(start + 1, start + len(read) + 1), cells, geometry)
        if len(read) < rows:
            return
        start += rows


def _read(
    gdal_path: str, layer: str, codec: str | None, geometry: bool, start: int, count: int
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
