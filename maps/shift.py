"""WGS 84 to GCJ-02 for pages drawn on AMap or Tencent tiles.

gridgov stores WGS 84; those tiles are drawn in GCJ-02, 100 to 700 m away. A page
on them moves every coordinate it shows with geo_api.geo.china's converter, applied
to whole geometry arrays at once (shapely.transform with a vectorised function).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from geo_api.geo.china import wgs84_to_gcj02

PRECISION_DEG = 1e-5  # as maps.layers rounds the unshifted data: about a metre


def _gcj02(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def frame_to_gcj02(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``frame`` (EPSG:4326) with every vertex moved to GCJ-02."""
    out = frame.copy()
    moved = shapely.transform(frame.geometry.to_numpy(), _gcj02)
    out.geometry = shapely.set_precision(moved, PRECISION_DEG)
    return out


def latlon_to_gcj02(lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[list[float], list[float]]:
    """(lats, lons) moved to GCJ-02, rounded to about 0.1 m as the pages' points are."""
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    return np.round(g_lat, 6).tolist(), np.round(g_lon, 6).tolist()
