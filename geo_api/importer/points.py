"""Where rows are: points from a file's geometry or its lon/lat columns, in WGS 84,
inside the city.

A row's coordinates are in the file's system (declared, read from the file,
or guessed), unless the row says its own in a coordinate-system column
(坐标系: GCJ-02, 火星坐标, 高德, BD-09, 百度, WGS84, CGCS2000, an EPSG code),
as registers merged from several sources do. Values that are not finite
numbers (inf, NaN, 1e309) are rejected, never stored; so is a point beyond
the city's extent (its streets plus MARGIN_M).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError
from geo_api.importer.checks import RowErrors
from geo_api.importer.coords import SourceCRS

MARGIN_M = 5_000.0  # around the streets' extent: still the city (outskirts, ring roads)
# What people write in a coordinate-system column, folded (lower case, no spaces,
# hyphens or underscores), and the system it means.
ROW_SYSTEMS = {
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "火星坐标": "gcj02",
    "火星坐标系": "gcj02",
    "火星": "gcj02",
    "高德": "gcj02",
    "高德坐标": "gcj02",
    "amap": "gcj02",
    "腾讯": "gcj02",
    "tencent": "gcj02",
    "国测局坐标": "gcj02",
    "国测局": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "百度": "bd09",
    "百度坐标": "bd09",
    "baidu": "bd09",
    "wgs84": "wgs84",
    "gps": "wgs84",
    "epsg4326": "wgs84",
    "4326": "wgs84",
    "cgcs2000": "cgcs2000",
    "国家2000": "cgcs2000",
    "2000国家大地坐标系": "cgcs2000",
    "epsg4490": "cgcs2000",
    "4490": "cgcs2000",
}


@dataclass(frozen=True)
class Bounds:
    """The city's extent in degrees, widened by MARGIN_M."""

    west: float
    south: float
    east: float
    north: float

    def holds(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Which points lie inside."""
        return (lon >= self.west) & (lon <= self.east) & (lat >= self.south) & (lat <= self.north)

    def box(self) -> shapely.Polygon:
        """The extent as a polygon."""
        return shapely.box(self.west, self.south, self.east, self.north)

    def describe(self) -> str:
        """The extent as a user reads it."""
        return f"lon {self.west:.3f} to {self.east:.3f}, lat {self.south:.3f} to {self.north:.3f}"


def city_bounds(conn: Connection) -> Bounds | None:
    """The extent of the city's streets plus MARGIN_M, or None when no street is stored."""
    box = conn.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            "FROM (SELECT ST_Extent(geom) AS e FROM street) s"
        )
    ).one()
    if box[0] is None:
        return None
    west, south, east, north = (float(v) for v in box)
    dlat = MARGIN_M / 111_320.0
    dlon = MARGIN_M / (111_320.0 * max(math.cos(math.radians(max(abs(south), abs(north)))), 0.05))
    return Bounds(west - dlon, south - dlat, east + dlon, north + dlat)


def row_system(value: str) -> SourceCRS:
    """A row's coordinate-system cell as a system; InvalidInputError when unknown."""
    folded = value.strip().lower().replace(" ", "").replace("-", "").replace("_", "")
    folded = folded.replace(":", "")
    return SourceCRS.parse(ROW_SYSTEMS.get(folded, value))


def point_coordinates(
    chunk: pd.DataFrame,
    col: dict[str, pd.Series],
    crs: SourceCRS | None,
    bounds: Bounds | None,
    errors: RowErrors,
) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 lon/lat of each row (NaN where the row gives none); bad ones, and those
    beyond ``bounds`` (the city), rejected. ``col`` holds the text columns "lon",
    "lat" and, when the file has one, "crs" (each row's own system)."""
    n = len(chunk)
    if "geometry" in chunk:
        geoms = chunk["geometry"].to_numpy()
        has = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
        x[has], y[has] = shapely.get_x(geoms[has]), shapely.get_y(geoms[has])
        given_any = has
        wkt = [
            shapely.to_wkt(g, rounding_precision=-1) if h else None
            for g, h in zip(geoms, has, strict=True)
        ]
        shown = pd.Series(wkt, dtype=object)
    else:
        x = pd.to_numeric(col["lon"], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(col["lat"], errors="coerce").to_numpy(dtype=float)
        errors.flag(col["lon"].notna().to_numpy() & np.isnan(x), "lon", col["lon"], "not a number")
        errors.flag(col["lat"].notna().to_numpy() & np.isnan(y), "lat", col["lat"], "not a number")
        given_any = col["lon"].notna().to_numpy() | col["lat"].notna().to_numpy()
        shown = col["lon"].fillna("") + ", " + col["lat"].fillna("")
    finite = np.isfinite(x) & np.isfinite(y)
    # inf, 1e309 (and NaN in a geometry) are numbers, but no place: never stored.
    odd = np.isinf(x) | np.isinf(y)
    if "geometry" in chunk:
        odd |= given_any & (np.isnan(x) | np.isnan(y))
    errors.flag(given_any & odd, "lon/lat", shown, "not a finite number")
    half = np.isfinite(x) ^ np.isfinite(y)
    errors.flag(half, "lon/lat", shown, "give both longitude and latitude, or neither")
    given = finite & ~errors.bad
    systems = _row_systems(col.get("crs"), crs, given, errors)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    for system, rows in systems:
        rows &= ~errors.bad
        if not rows.any():
            continue
        if system.degrees:
            swapped = rows & (np.abs(x - 28.5) <= 25.5) & (np.abs(y - 104.5) <= 31.5)
            errors.flag(swapped, "lon/lat", shown, "latitude and longitude swapped")
            projected = rows & ((np.abs(x) > 180) | (np.abs(y) > 90))
            errors.flag(
                projected,
                "lon/lat",
                shown,
                f"metres, not degrees: not in {system.name} (give the file's system, "
                "e.g. --crs EPSG:4546)",
            )
            rows &= ~errors.bad
        lon[rows], lat[rows] = system.to_lonlat(x[rows], y[rows])
    located = np.isfinite(lon)
    if bounds is not None:
        far = located & ~bounds.holds(lon, lat)
        # Written out only for the rows it names (few, or a file refused as a whole).
        where = pd.Series(None, index=shown.index, dtype=object)
        for k in np.flatnonzero(far & ~errors.bad).tolist():
            said = str(shown.iat[k]) if isinstance(shown.iat[k], str) else ""
            where.iat[k] = f"{said} → lon {float(lon[k])!r}, lat {float(lat[k])!r}"
        systems_said = ", ".join(sorted({system.name for system, _ in systems})) or "?"
        errors.flag(
            far,
            "lon/lat",
            where,
            f"outside the city ({bounds.describe()}): are the coordinates in "
            f"{systems_said}? give the file's system with --crs (gcj02 for AMap, bd09 "
            "for Baidu, EPSG:4546 ...) or a coordinate-system column",
        )
    return lon, lat


def _row_systems(
    column: pd.Series | None, crs: SourceCRS | None, given: np.ndarray, errors: RowErrors
) -> list[tuple[SourceCRS, np.ndarray]]:
    """The systems of the rows with coordinates, each with its rows: a row's own
    (a coordinate-system column) where it says one, else the file's."""
    if column is None or column.isna().all():
        return [] if crs is None else [(crs, given.copy())]
    systems: list[tuple[SourceCRS, np.ndarray]] = []
    said = column.notna().to_numpy()
    for value in column[said & given].unique():
        rows = given & (column == value).to_numpy()
        try:
            systems.append((row_system(str(value)), rows))
        except InvalidInputError:
            errors.flag(
                rows,
                "crs",
                column,
                "unknown coordinate system: say GCJ-02 (高德), BD-09 (百度), WGS84, "
                "CGCS2000 or an EPSG code",
            )
    rest = given & ~said
    if rest.any():
        if crs is None:
            errors.flag(rest, "crs", None, "no coordinate system: the row and the file say none")
        else:
            systems.append((crs, rest))
    return systems
