"""Export every layer for GIS: GeoPackage, GeoJSON, Shapefile, FlatGeobuf and CSV
with GDAL (pyogrio), GeoParquet with pyarrow.

The layers and their queries are geo_api.catalogue.layers, shared with the OGC
API; they carry no personal data. A GeoPackage is one file; every other format is
a folder with a file per layer (the API zips it). Shapefiles get a .prj and a
.cpg saying UTF-8, so that Chinese names open right in ArcGIS and QGIS.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pyogrio
from sqlalchemy import Connection, text

from geo_api.catalogue.layers import LAYERS
from geo_api.errors import InvalidInputError
from geo_api.gaps.finder import find_gaps

# format -> (GDAL driver, or None for GeoParquet; file suffix)
FORMATS: dict[str, tuple[str | None, str]] = {
    "gpkg": ("GPKG", ".gpkg"),
    "geojson": ("GeoJSON", ".geojson"),
    "shp": ("ESRI Shapefile", ".shp"),
    "fgb": ("FlatGeobuf", ".fgb"),
    "csv": ("CSV", ".csv"),
    "parquet": (None, ".parquet"),
}
# A Shapefile's .dbf keeps 10 characters of a field's name; these are readable,
# where GDAL would cut "community_name" to "communit_1".
SHAPEFILE_WORDS = {"community": "comm", "compound": "cpd", "building": "bldg",
                   "capacity": "cap", "floor_area_m2": "area_m2"}  # fmt: skip
LAYER_OPTIONS: dict[str, dict[str, str]] = {
    "ESRI Shapefile": {"ENCODING": "UTF-8"},  # writes the .cpg
    "CSV": {"GEOMETRY": "AS_WKT"},  # a WKT column, EPSG:4326 lon/lat
}

LAYER_SQL: dict[str, str] = {layer.name: layer.ordered_sql() for layer in LAYERS}
# Gaps are areas (units, buildings, compounds) or points (heads, stations): one
# geometry type per layer, as GIS tools expect.
GAP_LAYERS = {"gap_areas": ("Polygon", "MultiPolygon"), "gap_points": ("Point",)}
LAYER_NAMES = [*LAYER_SQL, *GAP_LAYERS]
# GeoPackage 1.2 opens in every GDAL and QGIS still in use (1.4 warns in GDAL < 3.8).
GPKG_OPTIONS = {"VERSION": "1.2"}


def read_layer(
    conn: Connection, name: str, gaps: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """One layer of the store as a GeoDataFrame in EPSG:4326 (gap layers are cut from
    ``gaps`` when the caller found them already)."""
    if name in GAP_LAYERS:
        gaps = find_gaps(conn) if gaps is None else gaps
        return gaps[gaps.geom_type.isin(GAP_LAYERS[name])].reset_index(drop=True)
    frame = gpd.read_postgis(text(LAYER_SQL[name]), conn, geom_col="geom", crs=4326)
    # Nullable references come back as floats; keep them integers in the file.
    for column in frame.columns:
        if column.endswith("_id") or column == "id":
            frame[column] = frame[column].astype("Int64")
    return frame.rename_geometry("geometry")


def check_target(fmt: str, out: Path) -> None:
    """Refuse an unknown format, or a GeoPackage path without .gpkg."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "gpkg" and out.suffix.lower() != ".gpkg":
        raise InvalidInputError(f"a GeoPackage export needs a .gpkg path, not {out}")


def shapefile_name(column: str) -> str:
    """A field name that fits a .dbf (10 characters), read the same way."""
    for word, short in SHAPEFILE_WORDS.items():
        column = column.replace(word, short)
    return column[:10]


def export_layers(
    conn: Connection,
    fmt: str,
    out: Path,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write every layer to ``out``: one GeoPackage file, or a folder of files, one
    per layer, in the other formats."""
    check_target(fmt, out)
    driver, suffix = FORMATS[fmt]
    if fmt == "gpkg":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.unlink(missing_ok=True)
    else:
        out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    gaps = find_gaps(conn)  # once, for both gap layers
    for name in LAYER_NAMES:
        frame = read_layer(conn, name, gaps)
        if fmt == "gpkg":
            pyogrio.write_dataframe(
                frame, out, layer=name, driver="GPKG", dataset_options=GPKG_OPTIONS
            )
        else:
            target = out / f"{name}{suffix}"
            for old in out.glob(f"{name}.*"):
                old.unlink()
            if driver is None:
                frame.to_parquet(target, index=False)
            else:
                if fmt == "shp":
                    frame = frame.rename(columns=shapefile_name)
                options = LAYER_OPTIONS.get(driver, {})
                pyogrio.write_dataframe(frame, target, driver=driver, layer_options=options)
        written[name] = len(frame)
        if progress:
            progress(name, len(frame))
    return written
