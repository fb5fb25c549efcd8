"""Geometry literals of a filter: read in ``filter-crs``, held as lon/lat (EPSG:4326).

CQL2 writes coordinates in the axis order of the filter's CRS: CRS84 longitude
first, EPSG:4326 and EPSG:4490 latitude first, EPSG:3857 metres. The store holds
lon/lat, so each literal is turned into that once, here, with shapely and pyproj,
and bound to the query as WKB: PostGIS never sees a coordinate formatted into SQL.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry

from geo_api.errors import InvalidInputError
from geo_api.ogc.crs import Crs, to_lonlat

# Metres in a degree of latitude (at the poles, the most) and of longitude at the equator.
METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON = 111_320.0


def is_geometry(value: Any) -> bool:
    """Whether a CQL2 JSON value is a geometry literal (GeoJSON or a bbox)."""
    return isinstance(value, dict) and (
        "coordinates" in value or "bbox" in value or (value.get("type") == "GeometryCollection")
    )


def _read(value: dict[str, Any]) -> BaseGeometry:
    if "bbox" in value:
        numbers = value["bbox"]
        if (
            not isinstance(numbers, list)
            or len(numbers) not in (4, 6)
            or not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers)
        ):
            raise InvalidInputError(f"filter: a BBOX takes 4 or 6 numbers, not {numbers!r}")
        x1, y1, x2, y2 = (numbers[0], numbers[1], numbers[2], numbers[3])
        if len(numbers) == 6:
            x1, y1, x2, y2 = numbers[0], numbers[1], numbers[3], numbers[4]
        return box(x1, y1, x2, y2)
    try:
        return shape(value)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException):
        raise InvalidInputError(f"filter: {value.get('type')!r} is not a geometry") from None


def lonlat(value: dict[str, Any], crs: Crs) -> BaseGeometry:
    """A geometry literal in ``crs`` as a valid lon/lat geometry; an error naming it
    when it is not one, is not valid, or lies outside the world."""
    geom = shapely.force_2d(_read(value))
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise InvalidInputError(f"filter: {geom.geom_type} has a coordinate that is not a number")
    if crs.lat_first:
        geom = shapely.transform(geom, lambda xy: xy[:, ::-1])
    if crs.srid != 4326:
        transformer = to_lonlat(crs.srid)

        def project(xy: np.ndarray) -> np.ndarray:
            lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        geom = shapely.transform(geom, project)
    lon, lat = shapely.get_coordinates(geom).T if not geom.is_empty else (np.zeros(1),) * 2
    if not (np.all(np.abs(lon) <= 180) and np.all(np.abs(lat) <= 90)):
        raise InvalidInputError(
            f"filter: the {geom.geom_type} lies outside the world in {crs.uri} "
            "(is its axis order that of filter-crs?)"
        )
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise InvalidInputError(f"filter: the {geom.geom_type} is not valid ({reason})")
    return geom


def degrees_around(geom: BaseGeometry, metres: float) -> float | None:
    """A distance in degrees that reaches at least ``metres`` from ``geom`` in every
    direction (for the spatial index to narrow an exact test in metres); None near
    the poles, where no such bound helps."""
    south, north = geom.bounds[1], geom.bounds[3]
    reach_lat = metres / METRES_PER_DEGREE_LAT
    farthest = min(90.0, max(abs(south), abs(north)) + reach_lat)
    cos = math.cos(math.radians(farthest))
    if cos < 0.01:
        return None
    return max(reach_lat, metres / (METRES_PER_DEGREE_LON * cos)) * 1.01 + 1e-9
