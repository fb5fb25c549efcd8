"""Recognise the coordinate system of x/y columns, and the classic mistakes in them.

An importer must "detect and say so". This module looks only at the numbers:
``guess_crs`` says what a column pair looks like, and ``check_points`` names the
rows that cannot be right for the coordinate system a file declares. ``x`` is
the first coordinate (longitude or easting) and ``y`` the second (latitude or
northing): the "lon, lat" order of pyproj's ``always_xy``.

Rules of ``guess_crs``, for China (longitude 73-136°E, latitude 3-54°N). The
guess is the rule that more than half of the finite points fit, so a few bad
rows do not spoil it (``check_points`` names them).

| kind                   | x (million)           | y (million) | EPSG                    |
| ---------------------- | --------------------- | ----------- | ----------------------- |
| lonlat                 | 73 to 136 (degrees)   | 3 to 54 (°) | 4326 (4490 the same)    |
| lonlat_swapped         | 3 to 54 (degrees)     | 73 to 136   | 4326 once swapped       |
| gauss_kruger           | 0.25 to 0.75          | 0.3 to 6.1  | 4534-4554 by near_lon   |
| gauss_kruger_with_zone | zone + 0.25 to 0.75   | 0.3 to 6.1  | 3°: 4513-4533 (z 25-45) |
|                        |                       |             | 6°: 4491-4501 (z 13-23) |
| web_mercator           | 8.1 to 15.2           | 0.3 to 7.2  | 3857                    |

The rules do not overlap, because x alone separates them: degrees are below
180, Gauss-Krüger eastings without a zone number 0.25-0.75 million, Web
Mercator 8.1-15.2 million, 6-degree zone-numbered eastings 13.25-23.75 million
and 3-degree ones 25.25-45.75 million. One collision remains: 6-degree zones 13
and 14 (72-84°E, far-west Xinjiang and Tibet) have eastings of 13.25-14.75
million, which Web Mercator also produces for eastern China (117-133°E). Web
Mercator wins unless ``near_lon`` puts the data west of 84°E.

A Gauss-Krüger easting without a zone number cannot say its central meridian:
without ``near_lon`` the guess has no EPSG code and asks for the zone.

Not detectable, and so never claimed: coordinates copied from AMap or Tencent
(GCJ-02) or Baidu (BD-09) are lon/lat degrees shifted by 100 m to 1 km, which
no range test can see (see geo_api.geo.china); nor CGCS2000 against WGS 84,
which agree to centimetres.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError

from geo_api.errors import InvalidInputError
from geo_api.geo.crs import metric_epsg

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
Range = tuple[float, float]
# A column as read: numbers, numeric text, None or empty text for "no value".
Column = npt.ArrayLike | Sequence[object]

CHINA_LON: Range = (73.0, 136.0)
CHINA_LAT: Range = (3.0, 54.0)
GK_EASTING: Range = (250_000.0, 750_000.0)
GK_NORTHING: Range = (0.3e6, 6.1e6)
MERCATOR_X: Range = (8.1e6, 15.2e6)
MERCATOR_Y: Range = (0.3e6, 7.2e6)
GK3_ZONES = range(25, 46)  # EPSG:4513-4533, central meridian 3 × zone
GK6_ZONES = range(13, 24)  # EPSG:4491-4501, central meridian 6 × zone − 3
GK6_WEB_MERCATOR_ZONES = (13, 14)  # eastings that Web Mercator also produces
FAR_WEST_LON = 84.0  # east edge of 6-degree zone 14
MAX_ROWS = 20  # rows listed in a Problem
SHOWN = 3  # rows quoted in a Problem's message
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Guess:
    """What a column pair looks like: an EPSG code when one follows, a kind, a message."""

    epsg: int | None
    kind: str
    message: str


@dataclass(frozen=True)
class Problem:
    """One kind of mistake: ``rows`` are 0-based positions (the first 20), ``count`` all of them."""

    code: str
    message: str
    rows: list[int]
    count: int


@dataclass(frozen=True)
class _Fit:
    """The points that fit one rule, and what the rule means."""

    kind: str
    epsg: int | None
    mask: BoolArray
    label: str


def guess_crs(x: Column, y: Column, *, near_lon: float | None = None) -> Guess:
    """Guess the coordinate system of x/y columns from their values (rules in the module doc).

    ``near_lon``, a longitude near the data, picks the zone of Gauss-Krüger
    eastings without a zone number and settles the far-west Web Mercator case.
    """
    xs, ys = _finite(_parse(x, "x")[0], _parse(y, "y")[0])
    if xs.size == 0:
        return Guess(None, "unknown", "no coordinates to judge: every x or y is empty")
    best = _best_fit(xs, ys, near_lon)
    fitting = int(best.mask.sum()) if best else 0
    counted = f"{fitting:,} of {xs.size:,} points"
    if best is None or 2 * fitting <= xs.size:
        return Guess(None, "unknown", _unknown_message(xs, ys, best, counted))
    return Guess(
        best.epsg,
        best.kind,
        " ".join(filter(None, [f"{counted} are {best.label}.", _advice(best, near_lon)])),
    )


def check_points(
    x: Column,
    y: Column,
    declared_epsg: int,
    city_bounds_lonlat: tuple[float, float, float, float] | None = None,
    *,
    first_row: int = 0,
) -> list[Problem]:
    """Name the rows whose x/y cannot be right in ``declared_epsg``, one problem per kind.

    Codes, in the order checked (a row gets only the first that applies):
    not_a_number, missing, zero, swapped_lonlat and projected_as_degrees (for a
    declared lon/lat system), degrees_as_projected (for a declared projected
    one), outside_china, and outside_city when ``city_bounds_lonlat`` (min lon,
    min lat, max lon, max lat) is given. ``first_row`` is the row number the
    messages show for position 0 (say 2 for a CSV with a header, counted from 1).
    """
    xs, x_text = _parse(x, "x")
    ys, y_text = _parse(y, "y")
    if xs.shape != ys.shape:
        raise InvalidInputError(f"x has {xs.size} values but y has {ys.size}")
    crs, _ = _declared(declared_epsg)
    found = _Findings(np.asarray(x, dtype=object), np.asarray(y, dtype=object), xs, ys, first_row)
    not_numbers = ("is not a number", "are not numbers")
    found.report("not_a_number", x_text | y_text | np.isinf(xs) | np.isinf(ys), not_numbers)
    empty = ("has an empty coordinate", "have an empty coordinate")
    found.report("missing", np.isnan(xs) | np.isnan(ys), empty)
    zero = (
        "is most likely a missing value written as 0",
        "are most likely missing values written as 0",
    )
    found.report("zero", (xs == 0) & (ys == 0), zero)
    near_lon = None if city_bounds_lonlat is None else _centre_lon(city_bounds_lonlat)
    if crs.is_geographic:
        _check_degrees(found, declared_epsg, near_lon)
    else:
        _check_metres(found, declared_epsg, crs.name)
    lon, lat = _to_lonlat(found, declared_epsg)
    _check_china(found, declared_epsg, lon, lat, near_lon)
    if city_bounds_lonlat is not None:
        _check_city(found, lon, lat, city_bounds_lonlat)
    return found.problems


class _Findings:
    """The problems found so far, and which rows already have one."""

    def __init__(
        self,
        raw_x: npt.NDArray[np.object_],
        raw_y: npt.NDArray[np.object_],
        xs: FloatArray,
        ys: FloatArray,
        first_row: int,
    ) -> None:
        self.raw_x, self.raw_y, self.x, self.y = raw_x, raw_y, xs, ys
        self.first_row = first_row
        self.flagged = np.zeros(xs.shape, dtype=bool)
        self.problems: list[Problem] = []

    def pending(self, mask: BoolArray) -> BoolArray:
        """``mask`` without the rows that already have a problem."""
        new: BoolArray = mask & ~self.flagged
        return new

    def take(self, mask: BoolArray) -> IntArray:
        """The positions of ``mask`` not yet flagged, now flagged."""
        new = self.pending(mask)
        self.flagged |= new
        return np.flatnonzero(new)

    def add(self, code: str, rows: IntArray, message: str) -> None:
        """Record a problem for ``rows``, if there are any."""
        if rows.size:
            self.problems.append(Problem(code, message, rows[:MAX_ROWS].tolist(), int(rows.size)))

    def report(self, code: str, mask: BoolArray, verbs: tuple[str, str], advice: str = "") -> None:
        """Flag ``mask`` under ``code`` with "row 7: (x, y) <verb><advice>"."""
        rows = self.take(mask)
        self.add(code, rows, f"{self.listing(rows, verbs)}{advice}")

    def point(self, position: int) -> str:
        """``row 7: (35.61, 111.33)``, with the values as given."""
        shown = f"{_show(self.raw_x[position])}, {_show(self.raw_y[position])}"
        return f"row {position + self.first_row}: ({shown})"

    def listing(self, rows: IntArray, verbs: tuple[str, str]) -> str:
        """The first rows quoted, the rest counted, then the verb in the right number."""
        parts = [self.point(int(i)) for i in rows[:SHOWN]]
        rest = rows.size - len(parts)
        if rest:
            return f"{', '.join(parts)} and {rest:,} more rows {verbs[1]}"
        if len(parts) > 1:
            return f"{', '.join(parts[:-1])} and {parts[-1]} {verbs[1]}"
        return f"{parts[0]} {verbs[0]}" if parts else ""


def _check_degrees(found: _Findings, epsg: int, near_lon: float | None) -> None:
    """For a declared lon/lat system: swapped columns, and metres passed off as degrees."""
    x, y = found.x, found.y
    swapped = _in_china(y, x)  # implies not in China unswapped: the boxes are disjoint
    verbs = ("looks like latitude, longitude swapped", "look like latitude, longitude swapped")
    advice = f": EPSG:{epsg} is longitude, latitude, and the values fit China only when swapped."
    found.report("swapped_lonlat", swapped, verbs, advice)
    metres = found.pending((np.abs(x) > 180) | (np.abs(y) > 90))
    advice = f": EPSG:{epsg} is in degrees, longitude within ±180 and latitude within ±90."
    advice += _looks_like(x[metres], y[metres], epsg, near_lon)
    verbs = ("is too large for degrees", "are too large for degrees")
    found.report("projected_as_degrees", metres, verbs, advice)


def _check_metres(found: _Findings, epsg: int, name: str) -> None:
    """For a declared projected system: degrees passed off as metres."""
    degrees = (np.abs(found.x) <= 180) & (np.abs(found.y) <= 180)
    advice = f": EPSG:{epsg} ({name}) is in metres; longitude, latitude is EPSG:4326 or 4490."
    found.report(
        "degrees_as_projected", degrees, ("looks like degrees", "look like degrees"), advice
    )


def _check_china(
    found: _Findings, epsg: int, lon: FloatArray, lat: FloatArray, near_lon: float | None
) -> None:
    """Rows that land outside China once read in the declared system."""
    outside = found.pending(~_in_china(lon, lat))
    advice = f" (read as EPSG:{epsg}; China is longitude 73-136°E, latitude 3-54°N)."
    advice += _looks_like(found.x[outside], found.y[outside], epsg, near_lon)
    found.report("outside_china", outside, ("lies outside China", "lie outside China"), advice)


def _check_city(
    found: _Findings, lon: FloatArray, lat: FloatArray, bounds: tuple[float, float, float, float]
) -> None:
    """Rows outside the city's bounds, the farthest quoted with their distance in km."""
    min_lon, min_lat, max_lon, max_lat = _valid_bounds(bounds)
    inside = (lon >= min_lon) & (lon <= max_lon) & (lat >= min_lat) & (lat <= max_lat)
    rows = found.take(~inside)
    km = _km_to_box(lon[rows], lat[rows], (min_lon, min_lat, max_lon, max_lat))
    farthest = [f"{found.point(int(rows[i]))} is {km[i]:,.1f} km away" for i in np.argsort(-km)]
    box = f"longitude {min_lon:g} to {max_lon:g}, latitude {min_lat:g} to {max_lat:g}"
    what = "1 row lies" if rows.size == 1 else f"{rows.size:,} rows lie"
    message = f"{what} outside the city's bounds ({box}); farthest: {', '.join(farthest[:SHOWN])}"
    found.add("outside_city", rows, message)


def _to_lonlat(found: _Findings, epsg: int) -> tuple[FloatArray, FloatArray]:
    """The rows still without a problem in WGS 84 lon/lat; NaN for the others."""
    todo = ~found.flagged
    lon = np.full(found.x.shape, np.nan)
    lat = np.full(found.x.shape, np.nan)
    lon[todo], lat[todo] = _declared(epsg)[1].transform(found.x[todo], found.y[todo])
    return lon, lat


def _best_fit(x: FloatArray, y: FloatArray, near_lon: float | None) -> _Fit | None:
    """The rule that most points fit, or None when none fits any."""
    fits = [f for f in _fits(x, y, near_lon) if f.mask.any()]
    return max(fits, key=lambda f: int(f.mask.sum())) if fits else None


def _fits(x: FloatArray, y: FloatArray, near_lon: float | None) -> list[_Fit]:
    """Every rule of the module doc, with the points that fit it."""
    far_west = near_lon is not None and near_lon < FAR_WEST_LON
    zoneless = _within(x, GK_EASTING) & _within(y, GK_NORTHING)
    fits = [
        _Fit("lonlat", 4326, _in_china(x, y), "longitude, latitude degrees (EPSG:4326)"),
        _Fit("lonlat_swapped", 4326, _in_china(y, x), "latitude, longitude degrees (swapped)"),
        _Fit("gauss_kruger", _zoneless_epsg(near_lon), zoneless, _zoneless_label(near_lon)),
        *_zone_fits(x, y, far_west),
    ]
    if not far_west:
        mercator = _within(x, MERCATOR_X) & _within(y, MERCATOR_Y)
        fits.append(_Fit("web_mercator", 3857, mercator, "Web Mercator metres (EPSG:3857)"))
    return fits


def _zone_fits(x: FloatArray, y: FloatArray, far_west: bool) -> list[_Fit]:
    """One rule per zone number found in front of the eastings."""
    zone = np.floor(x / 1e6)
    fits_zone = _within(x - zone * 1e6, GK_EASTING) & _within(y, GK_NORTHING)
    fits = []
    for number in (int(z) for z in np.unique(zone[fits_zone])):
        if number in GK3_ZONES:
            epsg, width, meridian = 4513 + number - 25, 3, 3 * number
        elif number in GK6_ZONES and (far_west or number not in GK6_WEB_MERCATOR_ZONES):
            epsg, width, meridian = 4491 + number - 13, 6, 6 * number - 3
        else:
            continue
        label = (
            f"CGCS2000 {width}-degree Gauss-Krüger metres with zone number {number} in front "
            f"of the easting (central meridian {meridian}°E, EPSG:{epsg})"
        )
        fits.append(_Fit("gauss_kruger_with_zone", epsg, fits_zone & (zone == number), label))
    return fits


def _zoneless_epsg(near_lon: float | None) -> int | None:
    """The CGCS2000 3-degree zone near ``near_lon``, if given."""
    return None if near_lon is None else metric_epsg(near_lon)


def _zoneless_label(near_lon: float | None) -> str:
    """What Gauss-Krüger eastings without a zone number are, as far as can be said."""
    if near_lon is None:
        return "Gauss-Krüger metres without a zone number in front of the easting"
    epsg = metric_epsg(near_lon)
    meridian = 75 + 3 * (epsg - 4534)
    return (
        f"Gauss-Krüger metres without a zone number; near longitude {near_lon:g} that is "
        f"the CGCS2000 3-degree zone of {meridian}°E (EPSG:{epsg})"
    )


def _advice(fit: _Fit, near_lon: float | None) -> str:
    """What the user should know or do about a confident guess."""
    if fit.kind == "lonlat":
        return (
            "CGCS2000 (EPSG:4490) gives the same numbers to within centimetres, so either "
            "may be declared. Points copied from AMap or Tencent (GCJ-02) or Baidu (BD-09) "
            "look the same but are shifted 100 m to 1 km: only their source can tell."
        )
    if fit.kind == "lonlat_swapped":
        return "Swap x and y; then they are EPSG:4326 (or CGCS2000, EPSG:4490)."
    if fit.kind == "web_mercator":
        return (
            "That is the projection of web map tiles. Survey data from west of 84°E "
            "(6-degree Gauss-Krüger zones 13 and 14) has numbers like these too: give a "
            "longitude near the data if it lies there."
        )
    if fit.kind == "gauss_kruger" and near_lon is None:
        return (
            "The zone cannot be told from the numbers: give the zone or its central "
            "meridian, or a longitude near the data. CGCS2000 3-degree zones are "
            "EPSG:4534 (75°E) to EPSG:4554 (135°E)."
        )
    if fit.kind == "gauss_kruger":
        return "If the survey used 6-degree zones, the EPSG code differs: give the zone."
    return ""


def _unknown_message(x: FloatArray, y: FloatArray, best: _Fit | None, counted: str) -> str:
    """Why no guess: the ranges seen, what was expected, and the largest group if any."""
    message = (
        f"the values fit no coordinate system recognised here: x runs from {x.min():g} to "
        f"{x.max():g} and y from {y.min():g} to {y.max():g}. Expected longitude, latitude "
        "degrees in China (x 73 to 136, y 3 to 54), Gauss-Krüger metres (easting 250,000 "
        "to 750,000, with or without a zone number in front) or Web Mercator metres."
    )
    if best is not None:
        message += f" Only {counted} are {best.label}."
    return message


def _looks_like(x: FloatArray, y: FloatArray, declared: int, near_lon: float | None) -> str:
    """A sentence naming the other known system that most of these points fit, or ""."""
    xs, ys = _finite(x, y)
    best = _best_fit(xs, ys, near_lon) if xs.size else None
    if best is None or best.epsg == declared or 2 * int(best.mask.sum()) <= xs.size:
        return ""
    return f" The values look like {best.label}."


def _finite(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The pairs where both values are finite numbers."""
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def _within(values: FloatArray, bounds: Range) -> BoolArray:
    """``bounds[0] <= values <= bounds[1]``; False for NaN."""
    inside: BoolArray = (values >= bounds[0]) & (values <= bounds[1])
    return inside


def _in_china(lon: FloatArray, lat: FloatArray) -> BoolArray:
    """Inside the rough box of China in degrees."""
    return _within(lon, CHINA_LON) & _within(lat, CHINA_LAT)


def _parse(values: Column, name: str) -> tuple[FloatArray, BoolArray]:
    """Floats (NaN where empty), and where the input was text that is not a number."""
    raw = np.asarray(values)
    if raw.ndim != 1:
        raise InvalidInputError(f"{name} must be one column of values, not shape {raw.shape}")
    if raw.dtype.kind in "biuf":
        return raw.astype(np.float64), np.zeros(raw.shape, dtype=bool)
    numbers = np.full(raw.shape, np.nan)
    text = np.zeros(raw.shape, dtype=bool)
    for i, value in enumerate(raw.tolist()):
        numbers[i], text[i] = _number(value)
    return numbers, text


def _number(value: object) -> tuple[float, bool]:
    """One cell as a float, and whether it was text that is not a number."""
    if isinstance(value, str):
        if not value.strip():
            return math.nan, False
        try:
            return float(value), False
        except ValueError:
            return math.nan, True
    try:
        return float(value), False  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan, False  # None, pandas.NA and other markers of "no value"


def _show(value: object) -> str:
    """A cell as the user wrote it: numbers shortened, text quoted, nothing as "empty"."""
    if isinstance(value, str) and value.strip():
        _, is_text = _number(value)
        return repr(value) if is_text else value.strip()
    number, _ = _number(value)
    if math.isnan(number):
        return "empty"
    digits = 6 if abs(number) < 1000 else 2
    return f"{number:.{digits}f}".rstrip("0").rstrip(".")


@lru_cache(maxsize=32)
def _declared(epsg: int) -> tuple[CRS, Transformer]:
    """The declared system and its transformer to WGS 84 lon/lat."""
    try:
        crs = CRS.from_epsg(epsg)
    except CRSError as exc:
        raise InvalidInputError(f"declared coordinate system EPSG:{epsg} is unknown") from exc
    return crs, Transformer.from_crs(crs, 4326, always_xy=True)


def _valid_bounds(bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """City bounds as (min lon, min lat, max lon, max lat), checked."""
    min_lon, min_lat, max_lon, max_lat = (float(b) for b in bounds)
    if not (min_lon < max_lon and min_lat < max_lat):
        raise InvalidInputError(
            f"city bounds must be (min lon, min lat, max lon, max lat), got {tuple(bounds)}"
        )
    return min_lon, min_lat, max_lon, max_lat


def _centre_lon(bounds: tuple[float, float, float, float]) -> float:
    """The middle longitude of (min lon, min lat, max lon, max lat)."""
    return (float(bounds[0]) + float(bounds[2])) / 2


def _km_to_box(
    lon: FloatArray, lat: FloatArray, bounds: tuple[float, float, float, float]
) -> FloatArray:
    """Geodesic km from each point to the nearest lon/lat of the box; inf if unknown."""
    min_lon, min_lat, max_lon, max_lat = bounds
    near_lon = np.clip(lon, min_lon, max_lon)
    near_lat = np.clip(lat, min_lat, max_lat)
    _, _, metres = _GEOD.inv(lon, lat, near_lon, near_lat)
    km: FloatArray = np.asarray(metres, dtype=np.float64) / 1000.0
    return np.where(np.isfinite(km), km, np.inf)
