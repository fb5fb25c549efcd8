"""Gaps as files for planners: GeoPackage, CSV with WKT geometry, or GeoJSON."""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import pyogrio

from geo_api.errors import InvalidInputError

FORMATS = {".gpkg": "gpkg", ".csv": "csv", ".geojson": "geojson", ".json": "geojson"}
GPKG_MEDIA = "application/geopackage+sqlite3"  # the GeoPackage's registered media type
MEDIA = {
    "gpkg": GPKG_MEDIA,
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
}


def write_gaps(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write the gaps to ``path``, in the format its extension names."""
    write_layer(frame, path, "gaps")


def check_suffix(path: Path, what: str = "gaps") -> str:
    """The file kind a path's extension names (gpkg, csv, geojson), or a clear error."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InvalidInputError(
            f"{path.name}: write {what} to .gpkg, .csv or .geojson, not {path.suffix or 'nothing'}"
        )
    return kind


def write_layer(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """Write a layer (the gaps, proposed sites) to ``path``, in the format its
    extension names: a GeoPackage layer, CSV with WKT, or GeoJSON."""
    kind = check_suffix(path, layer)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        plain = frame.drop(columns="geometry").assign(wkt=frame.geometry.to_wkt())
        # UTF-8 with BOM: Excel, where planners open CSV, then shows the Chinese.
        plain.to_csv(path, index=False, encoding="utf-8-sig")
    elif kind == "gpkg":
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")
    else:
        path.write_text(frame.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")


def gaps_bytes(frame: gpd.GeoDataFrame, kind: str) -> bytes:
    """The gaps as the bytes of a file of ``kind`` (gpkg, csv, geojson)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"gaps.{kind}"
        write_gaps(frame, path)
        return path.read_bytes()
