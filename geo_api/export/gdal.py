"""Streams written with GDAL (pyogrio.write_arrow): GeoPackage, GeoJSON, Shapefile,
FlatGeobuf and CSV.

GDAL reads the batches from Arrow's C stream one at a time, so a layer is never
whole in memory on either side. Shapefiles get a .prj and a .cpg saying UTF-8,
so that Chinese names open right in ArcGIS and QGIS, and field names a .dbf can
hold (10 characters) that still read as words.
"""

from __future__ import annotations

from pathlib import Path

import pyogrio

from geo_api.export.batches import GEOMETRY, LayerStream

# A Shapefile's .dbf keeps 10 characters of a field's name; these are readable,
# where GDAL would cut "community_name" to "communit_1".
SHAPEFILE_WORDS = {"community": "comm", "compound": "cpd", "building": "bldg",
                   "capacity": "cap", "floor_area_m2": "area_m2"}  # fmt: skip
LAYER_OPTIONS: dict[str, dict[str, str]] = {
    "ESRI Shapefile": {"ENCODING": "UTF-8"},  # writes the .cpg
    # A WKT column in EPSG:4326 lon/lat, and a .csvt so that GDAL and QGIS read
    # integers back as integers.
    "CSV": {"GEOMETRY": "AS_WKT", "CREATE_CSVT": "YES"},
}
# GeoPackage 1.2 opens in every GDAL and QGIS still in use (1.4 warns in GDAL < 3.8).
GPKG_OPTIONS = {"VERSION": "1.2"}


def shapefile_name(column: str) -> str:
    """A field name that fits a .dbf (10 characters), read the same way."""
    for word, short in SHAPEFILE_WORDS.items():
        column = column.replace(word, short)
    return column[:10]


def write_gdal(stream: LayerStream, path: Path, driver: str) -> int:
    """Write the stream as a layer of ``path`` (a GeoPackage gains a layer; other
    formats get a file of their own); the number of rows written."""
    if driver == "ESRI Shapefile":
        stream = stream.renamed(shapefile_name)
    pyogrio.write_arrow(
        stream.reader(),
        path,
        layer=stream.name,
        driver=driver,
        geometry_name=GEOMETRY,
        geometry_type=stream.geometry_type,
        crs="EPSG:4326",
        dataset_options=GPKG_OPTIONS if driver == "GPKG" else None,
        layer_options=LAYER_OPTIONS.get(driver),
    )
    return stream.rows
