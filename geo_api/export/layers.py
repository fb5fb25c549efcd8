"""Export every layer for GIS: GeoPackage, GeoJSON, Shapefile, FlatGeobuf and CSV
with GDAL (geo_api.export.gdal), GeoParquet with pyarrow (geo_api.export.geoparquet).

The layers and their queries are geo_api.catalogue.layers, shared with the OGC
API; they carry no personal data unless asked for (geo_api.export.people). Each
is streamed from the store in chunks of ``chunk_rows`` rows
(geo_api.export.batches), so a city of millions of households is exported in
bounded memory. A GeoPackage is one file; every other
format is a folder with a file per layer (the API zips it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import geopandas as gpd
from sqlalchemy import Connection

from geo_api.catalogue.layers import LAYERS
from geo_api.catalogue.scope import Area, where
from geo_api.errors import InvalidInputError
from geo_api.export.batches import CHUNK_ROWS, LayerStream, frame_stream, store_stream
from geo_api.export.gdal import shapefile_name, write_gdal
from geo_api.export.geoparquet import write_geoparquet
from geo_api.export.people import Variant, personal_layer
from geo_api.gaps.areas import area_gaps
from geo_api.gaps.finder import GAP_LAYERS, gap_layer
from geo_api.generations.layers import layers_on

__all__ = ["FORMATS", "LAYER_NAMES", "check_target", "export_layers", "shapefile_name"]

# format -> (GDAL driver, or None for GeoParquet; file suffix)
FORMATS: dict[str, tuple[str | None, str]] = {
    "gpkg": ("GPKG", ".gpkg"),
    "geojson": ("GeoJSON", ".geojson"),
    "shp": ("ESRI Shapefile", ".shp"),
    "fgb": ("FlatGeobuf", ".fgb"),
    "csv": ("CSV", ".csv"),
    "parquet": (None, ".parquet"),
}
LAYER_NAMES = [*(layer.name for layer in LAYERS), *GAP_LAYERS]


def check_target(fmt: str, out: Path) -> None:
    """Refuse an unknown format, or a GeoPackage path without .gpkg."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "gpkg" and out.suffix.lower() != ".gpkg":
        raise InvalidInputError(f"a GeoPackage export needs a .gpkg path, not {out}")


def gap_stream(name: str, gaps: gpd.GeoDataFrame) -> LayerStream:
    """One of the gap layers, cut from the gap finder's frame."""
    return frame_stream(name, gap_layer(gaps, name), GAP_LAYERS[name][0])


def write_stream(stream: LayerStream, fmt: str, out: Path) -> int:
    """Write one layer: into the GeoPackage ``out``, or as a file in the folder ``out``."""
    driver, suffix = FORMATS[fmt]
    if fmt == "gpkg":
        return write_gdal(stream, out, "GPKG")
    for old in out.glob(f"{stream.name}.*"):
        old.unlink()
    target = out / f"{stream.name}{suffix}"
    if driver is None:
        return write_geoparquet(stream, target)
    return write_gdal(stream, target, driver)


def export_layers(
    conn: Connection,
    fmt: str,
    out: Path,
    progress: Callable[[str, int], None] | None = None,
    *,
    area: Area | None = None,
    people: Variant | None = None,
    chunk_rows: int = CHUNK_ROWS,
    shown: dict[str, list[int]] | None = None,
    at: date | None = None,
) -> dict[str, int]:
    """Write every layer to ``out``: one GeoPackage file, or a folder of files, one
    per layer, in the other formats; the number of features of each layer. With an
    ``area``, only what lies in it (an officer's community or grid); with ``people``,
    households and heads carry their personal data (geo_api.export.people), in full
    or masked, and in full the ids written go into ``shown`` for the audit log. With
    ``at``, the streets, communities, grids and compounds are those in force that day
    (geo_api.generations); the other layers and the gaps are today's."""
    check_target(fmt, out)
    if chunk_rows < 1:
        raise InvalidInputError(f"chunk_rows must be at least 1, not {chunk_rows}")
    if fmt == "gpkg":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.unlink(missing_ok=True)
    else:
        out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    dated = layers_on(conn, LAYERS, at)  # first: a day before any generation is refused
    gaps = area_gaps(conn, area)  # once, for both gap layers
    for published in dated:
        layer, masks = personal_layer(published, people, shown)
        condition, params = where(layer, area)
        stream = store_stream(conn, layer, condition, params, chunk_rows, masks)
        written[layer.name] = write_stream(stream, fmt, out)
        if progress:
            progress(layer.name, written[layer.name])
    for name in GAP_LAYERS:
        written[name] = write_stream(gap_stream(name, gaps), fmt, out)
        if progress:
            progress(name, written[name])
    return written
