"""Metric coordinate systems for Chinese cities.

Metric work projects lon/lat to the CGCS2000 3-degree Gauss-Krüger zone of
the city (EPSG:4534 to 4554, central meridians 75°E to 135°E); Houma is in the
zone of 111°E, EPSG:4546.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import Transformer

from geo_api.errors import InvalidInputError

FIRST_ZONE_EPSG = 4534  # central meridian 75°E
FIRST_MERIDIAN = 75
LAST_MERIDIAN = 135


def metric_epsg(lon: float) -> int:
    """The CGCS2000 3-degree Gauss-Krüger zone (EPSG code) for a longitude in China."""
    meridian = round(lon / 3) * 3
    if not FIRST_MERIDIAN <= meridian <= LAST_MERIDIAN:
        raise InvalidInputError(f"longitude {lon} is outside China's 3-degree zones (73.5-136.5)")
    return FIRST_ZONE_EPSG + (meridian - FIRST_MERIDIAN) // 3


@lru_cache(maxsize=16)
def _to_metric(epsg: int) -> Transformer:
    return Transformer.from_crs(4326, epsg, always_xy=True)


def to_metres(lon: np.ndarray, lat: np.ndarray, epsg: int) -> np.ndarray:
    """Project lon/lat arrays to an (n, 2) array of metres in ``epsg``."""
    x, y = _to_metric(epsg).transform(lon, lat)
    return np.column_stack([x, y])


def metric_srid(lon: float, lat: float) -> int:
    """A projected system in metres for a place: its CGCS2000 Gauss-Krüger zone in
    China, else its WGS 84 UTM zone."""
    try:
        return metric_epsg(lon)
    except InvalidInputError:
        zone = min(int((lon + 180) // 6) + 1, 60)
        return (32600 if lat >= 0 else 32700) + zone
