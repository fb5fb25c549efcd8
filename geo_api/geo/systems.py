"""One point from the coordinate system an officer names to WGS 84.

Officers paste points from AMap or Tencent (GCJ-02), Baidu (BD-09), GPS (WGS 84),
survey data (CGCS2000 and its Gauss-Krüger zones) or web maps (EPSG:3857).
The names and conversions are the importer's (geo_api.importer.coords.SourceCRS);
parsed systems are cached, since a lookup must stay fast.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from geo_api.importer.coords import SourceCRS

CRS_HELP = (
    "the point's coordinate system: wgs84 (default), cgcs2000, gcj02 (AMap, Tencent), "
    "bd09 (Baidu), or an EPSG code such as 4546 or 3857"
)
IDENTITY = {"wgs84", "epsg:4326", "4326"}


@lru_cache(maxsize=32)
def _system(name: str) -> SourceCRS:
    return SourceCRS.parse(name)


def to_wgs84(x: float, y: float, crs: str) -> tuple[float, float]:
    """(x, y) in ``crs`` as WGS 84 (lon, lat); InvalidInputError for an unknown system.
    Values that are not finite pass through for the caller's checks to name."""
    if crs.strip().lower() in IDENTITY or not (np.isfinite(x) and np.isfinite(y)):
        return x, y
    lon, lat = _system(crs.strip()).to_lonlat(np.array([x]), np.array([y]))
    return float(lon[0]), float(lat[0])
