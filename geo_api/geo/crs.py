"""Metric coordinate systems: where gridgov measures in metres.

In China metric work projects lon/lat to the city's CGCS2000 3-degree
Gauss-Krüger zone (EPSG:4534 to 4554, central meridians 75°E to 135°E); Houma is
in the zone of 111°E, EPSG:4546. Elsewhere it uses the city's UTM zone (WGS 84,
EPSG:326xx north of the equator, 327xx south). The setting GEO_API_METRIC_CRS
overrides both (any projected CRS in metres).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo_api.errors import InvalidInputError
from geo_api.settings import GeoSettings

FIRST_ZONE_EPSG = 4534  # central meridian 75°E
FIRST_MERIDIAN = 75
LAST_MERIDIAN = 135
# Mainland China, roughly: where the CGCS2000 zones are the systems surveys use.
CHINA_BOX = (73.5, 18.0, 135.1, 53.6)


def metric_epsg(lon: float) -> int:
    """The CGCS2000 3-degree Gauss-Krüger zone (EPSG code) for a longitude in China."""
    meridian = round(lon / 3) * 3
    if not FIRST_MERIDIAN <= meridian <= LAST_MERIDIAN:
        raise InvalidInputError(f"longitude {lon} is outside China's 3-degree zones (73.5-136.5)")
    return FIRST_ZONE_EPSG + (meridian - FIRST_MERIDIAN) // 3


def utm_epsg(lon: float, lat: float) -> int:
    """The WGS 84 UTM zone (EPSG code) of a point."""
    if not (-180 <= lon <= 180 and -80 <= lat <= 84):
        raise InvalidInputError(f"({lon}, {lat}) is outside the UTM zones (lat -80 to 84)")
    zone = min(int((lon + 180) // 6) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def in_china(lon: float, lat: float) -> bool:
    """Whether a point lies in the rough box of mainland China (CHINA_BOX)."""
    west, south, east, north = CHINA_BOX
    return west <= lon <= east and south <= lat <= north


def city_epsg(lon: float, lat: float) -> int:
    """The metric CRS for a city centred at (lon, lat): GEO_API_METRIC_CRS if set,
    else the Gauss-Krüger zone in China and the UTM zone elsewhere."""
    setting = GeoSettings().metric_crs
    if setting:
        return setting_epsg(setting)
    return metric_epsg(lon) if in_china(lon, lat) else utm_epsg(lon, lat)


def setting_epsg(value: str) -> int:
    """The EPSG code GEO_API_METRIC_CRS names; it must be a projected CRS in metres."""
    try:
        crs = CRS.from_user_input(int(value) if value.strip().isdigit() else value)
    except CRSError as error:
        raise InvalidInputError(f"GEO_API_METRIC_CRS={value!r}: not a known CRS") from error
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    epsg = crs.to_epsg()
    if not crs.is_projected or unit not in ("metre", "meter") or epsg is None:
        raise InvalidInputError(
            f"GEO_API_METRIC_CRS={value!r}: must be a projected CRS in metres with an EPSG code"
        )
    return epsg


@lru_cache(maxsize=16)
def _to_metric(epsg: int) -> Transformer:
    return Transformer.from_crs(4326, epsg, always_xy=True)


@lru_cache(maxsize=16)
def _from_metric(epsg: int) -> Transformer:
    return Transformer.from_crs(epsg, 4326, always_xy=True)


def to_metres(lon: np.ndarray, lat: np.ndarray, epsg: int) -> np.ndarray:
    """Project lon/lat arrays to an (n, 2) array of metres in ``epsg``."""
    x, y = _to_metric(epsg).transform(lon, lat)
    return np.column_stack([x, y])


def to_lonlat(xy: np.ndarray, epsg: int) -> np.ndarray:
    """Metres in ``epsg`` (an (n, 2) array) back to an (n, 2) array of lon/lat."""
    lon, lat = _from_metric(epsg).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])
