"""The coordinate reference systems the OGC API serves (Part 2, CRS by reference).

The store holds longitude, latitude in EPSG:4326, which is CRS84's axis order.
EPSG:4326 and EPSG:4490 (CGCS2000) are defined latitude first, so answers in
them put latitude first, as OGC API - Features Part 2 requires.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from pyproj import Transformer

from geo_api.errors import InvalidInputError


@dataclass(frozen=True)
class Crs:
    """A served CRS: its URI, its EPSG code (CRS84 is EPSG:4326 in lon, lat) and axis order."""

    uri: str
    srid: int
    lat_first: bool
    decimals: int  # of GeoJSON coordinates: about 1 cm either way

    @property
    def degrees(self) -> bool:
        """Whether coordinates are in degrees (else metres)."""
        return self.srid != 3857


CRS84 = Crs("http://www.opengis.net/def/crs/OGC/1.3/CRS84", 4326, False, 7)
SUPPORTED: tuple[Crs, ...] = (
    CRS84,
    Crs("http://www.opengis.net/def/crs/EPSG/0/4326", 4326, True, 7),
    Crs("http://www.opengis.net/def/crs/EPSG/0/4490", 4490, True, 7),
    Crs("http://www.opengis.net/def/crs/EPSG/0/3857", 3857, False, 2),
)
CRS_URIS = [crs.uri for crs in SUPPORTED]
STORAGE_CRS = CRS84
_BY_URI = {crs.uri: crs for crs in SUPPORTED}

Bbox = tuple[float, float, float, float]


def parse_crs(value: str | None, parameter: str = "crs") -> Crs:
    """The CRS a ``crs`` or ``bbox-crs`` parameter names (CRS84 when absent)."""
    if value is None or value == "":
        return CRS84
    found = _BY_URI.get(value.strip().strip("<>"))
    if found is None:
        raise InvalidInputError(
            f"{parameter} {value!r} is not supported; use one of {', '.join(CRS_URIS)}"
        )
    return found


def parse_bbox(value: str | None, crs: Crs) -> Bbox | None:
    """A ``bbox`` parameter (four numbers in ``crs``) as lon/lat bounds in EPSG:4326."""
    if value is None or value == "":
        return None
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise InvalidInputError(f"bbox must be four comma-separated numbers, not {value!r}")
    x1, y1, x2, y2 = numbers
    if crs.lat_first:
        x1, y1, x2, y2 = y1, x1, y2, x2
    if x1 > x2 or y1 > y2:
        raise InvalidInputError(f"bbox must give its lower corner first: {value!r}")
    if crs.srid == 4326:
        bounds = (x1, y1, x2, y2)
    else:
        # 3857 and 4490 map an axis-aligned box onto one, so two corners suffice.
        lon1, lat1 = to_lonlat(crs.srid).transform(x1, y1)
        lon2, lat2 = to_lonlat(crs.srid).transform(x2, y2)
        bounds = (lon1, lat1, lon2, lat2)
    lon1, lat1, lon2, lat2 = bounds
    if crs.degrees and not (lon1 >= -180 and lon2 <= 180 and lat1 >= -90 and lat2 <= 90):
        raise InvalidInputError(f"bbox {value!r} lies outside the world in {crs.uri}")
    return bounds


@cache
def to_lonlat(srid: int) -> Transformer:
    """From ``srid`` to lon/lat (CRS84), x first; one per CRS, kept."""
    return Transformer.from_crs(srid, "OGC:CRS84", always_xy=True)


def geometry_sql(column: str, crs: Crs) -> str:
    """SQL for a geometry column (EPSG:4326, lon/lat) as GeoJSON in ``crs``."""
    geom = column if crs.srid == 4326 else f"ST_Transform({column}, {crs.srid})"
    if crs.lat_first:
        geom = f"ST_FlipCoordinates({geom})"
    return f"ST_AsGeoJSON({geom}, {crs.decimals})::json"
