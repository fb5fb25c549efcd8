"""Coordinates of imported rows, from whatever system they came in, to WGS 84.

A source's system is what the user declares (``--crs``), else what the file
says (a .prj, a GeoPackage's SRS), else, for lon/lat columns in a table, what
the numbers look like (geo_api.geo.detect). PROJ handles every EPSG system;
GCJ-02 (AMap, Tencent) and BD-09 (Baidu) are not in PROJ and are converted by
geo_api.geo.china.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from geo_api.errors import InvalidInputError
from geo_api.geo.china import bd09_to_wgs84, gcj02_to_wgs84

CHINESE = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
ALIASES = {"wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490", "webmercator": "EPSG:3857"}


@dataclass(frozen=True)
class SourceCRS:
    """A coordinate system rows arrive in: an EPSG/PROJ one, or GCJ-02 / BD-09."""

    name: str  # as shown to users: "EPSG:4490", "gcj02"
    crs: CRS | None  # None for GCJ-02 and BD-09 (lon/lat, shifted)

    @classmethod
    def parse(cls, text: str) -> SourceCRS:
        """``EPSG:4490``, ``4490``, ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09`` ..."""
        key = text.strip().lower().replace("-", "").replace("_", "")
        if key in CHINESE:
            return cls(key, None)
        spec = ALIASES.get(key, text.strip())
        if spec.isdigit():
            spec = f"EPSG:{spec}"
        try:
            crs = CRS.from_user_input(spec)
        except CRSError as error:
            raise InvalidInputError(
                f"unknown coordinate system {text!r}: use an EPSG code (4326, 4490, 3857, "
                "4534-4554), wgs84, cgcs2000, gcj02 (AMap, Tencent) or bd09 (Baidu)"
            ) from error
        return cls.of(crs, text)

    @classmethod
    def of(cls, crs: CRS, named: str | None = None) -> SourceCRS:
        """A PROJ system, if it converts to WGS 84 (not one of another body's, such as
        IAU_2015:30100 on the Moon); InvalidInputError names it else."""
        try:
            Transformer.from_crs(crs, 4326, always_xy=True)
        except ProjError as error:
            raise InvalidInputError(
                f"coordinate system {named or crs.to_string()!r} ({crs.name}) cannot be "
                "converted to WGS 84: gridgov takes systems of the Earth, such as EPSG:4490"
            ) from error
        return cls(crs.to_string(), crs)

    @property
    def degrees(self) -> bool:
        """Whether x, y are longitude and latitude."""
        return self.crs is None or self.crs.is_geographic

    def to_lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS 84 longitude and latitude of the points."""
        if self.crs is None:
            lon, lat = CHINESE[self.name](np.asarray(x, float), np.asarray(y, float))
            return np.asarray(lon, float), np.asarray(lat, float)
        transformer = Transformer.from_crs(self.crs, 4326, always_xy=True)
        lon, lat = transformer.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon, float), np.asarray(lat, float)

    def geometries(self, geoms: np.ndarray) -> np.ndarray:
        """The geometries with every vertex in WGS 84."""

        def move(coords: np.ndarray) -> np.ndarray:
            lon, lat = self.to_lonlat(coords[:, 0], coords[:, 1])
            return np.column_stack([lon, lat])

        return shapely.transform(geoms, move)
