"""GCJ-02 and BD-09: the obfuscated coordinate systems of Chinese web maps.

GCJ-02 (国测局坐标, "Mars coordinates") is the system Chinese rules require for
published maps. AMap (高德), Tencent and Google's China tiles are drawn in it,
and coordinates copied from those maps are in it. It is WGS 84 moved by a
deliberately non-linear offset of 100 to 700 m that changes from place to place.
BD-09 (Baidu) moves GCJ-02 once more: a small rotation and radial stretch plus
an offset of (0.0065°, 0.006°), about 1 km in all. Baidu's projected "BD-09
Mercator" (BD09MC) is not covered here.

Neither system is a geodetic datum or a projection, so neither has an EPSG
code, and PROJ (so pyproj and PostGIS) cannot convert them: they are written by
hand here. The formulas are the public ones that open-source libraries share
(eviltransform, coordtransform): polynomials and sines over the Krasovsky
ellipsoid for GCJ-02, a polar perturbation for BD-09.

Accuracy. The forward conversions (WGS 84 → GCJ-02 → BD-09) are the formulas
themselves, so they are exact up to floating point. The backward conversions
have no closed form: the usual one-step inverse is off by up to a few metres.
Here they iterate (fixed point: move the estimate by the residual of the forward
formula) until the residual is below 1e-9 degrees, about 0.1 mm. The offsets
change by at most 0.6% (GCJ-02) and 2% (BD-09) of any move, so each step cuts
the error 50 to 150 times and 2 to 4 steps are enough. Round trips WGS 84 →
GCJ-02 → WGS 84 and WGS 84 → BD-09 → WGS 84 come back within a millimetre
across China (the requirement is 0.5 m; tests/test_china_crs.py checks it).

Outside a rough box around China (lon 72.004-137.8347, lat 0.8293-55.8271, the
box the reference implementations use) GCJ-02 is WGS 84 unchanged. The box also
covers Korea, Japan and Mongolia, where these formulas wrongly shift, exactly as
in the reference implementations and the maps. The BD-09 step applies
everywhere, as a function of GCJ-02 alone, so it always inverts exactly.

Every function takes floats or numpy arrays (broadcast together) and returns a
tuple (lon, lat) of float arrays of that shape, in "lon, lat" order. NaN stays
NaN.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
LonLat = tuple[FloatArray, FloatArray]

# The Krasovsky 1940 ellipsoid, which the GCJ-02 formula is written over.
KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323
X_PI = np.pi * 3000.0 / 180.0
BD_SHIFT_LON = 0.0065
BD_SHIFT_LAT = 0.006
# (min lon, min lat, max lon, max lat) where GCJ-02 differs from WGS 84.
GCJ_BOX = (72.004, 0.8293, 137.8347, 55.8271)
TOLERANCE_DEG = 1e-9
MAX_ITERATIONS = 10


def inside_gcj_box(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where GCJ-02 is shifted from WGS 84 (the rough China box); False for NaN."""
    lon_a, lat_a = _as_arrays(lon, lat)
    min_lon, min_lat, max_lon, max_lat = GCJ_BOX
    inside: npt.NDArray[np.bool_] = (
        (lon_a >= min_lon) & (lon_a <= max_lon) & (lat_a >= min_lat) & (lat_a <= max_lat)
    )
    return inside


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LonLat:
    """WGS 84 to GCJ-02 (AMap, Tencent); unchanged outside the China box."""
    lon_a, lat_a = _as_arrays(lon, lat)
    return _inside_only(_gcj_forward, lon_a, lat_a)


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LonLat:
    """GCJ-02 to WGS 84 by iteration (well under 1 cm); unchanged outside the China box."""
    lon_a, lat_a = _as_arrays(lon, lat)
    return _inside_only(_gcj_backward, lon_a, lat_a)


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LonLat:
    """GCJ-02 to BD-09 (Baidu)."""
    return _as_result(*_bd_forward(*_as_arrays(lon, lat)))


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LonLat:
    """BD-09 (Baidu) to GCJ-02 by iteration, starting from the usual closed-form estimate."""
    lon_a, lat_a = _as_arrays(lon, lat)
    start_lon, start_lat = _bd_backward_estimate(lon_a, lat_a)
    return _as_result(*_invert(_bd_forward, lon_a, lat_a, start_lon, start_lat))


def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LonLat:
    """WGS 84 to BD-09 (Baidu), through GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LonLat:
    """BD-09 (Baidu) to WGS 84, through GCJ-02; both steps iterate."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _as_arrays(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LonLat:
    """Float arrays of one broadcast shape, writable (broadcast views are read-only)."""
    lon_a, lat_a = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return lon_a.copy(), lat_a.copy()


def _as_result(lon: FloatArray, lat: FloatArray) -> LonLat:
    """Arrays even for 0-d input, where numpy arithmetic hands back numpy scalars."""
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _inside_only(
    convert: Callable[[FloatArray, FloatArray], LonLat], lon: FloatArray, lat: FloatArray
) -> LonLat:
    """Apply ``convert`` inside the China box and keep the input elsewhere.

    Only the points inside are computed, so NaN or far-away input raises no
    floating-point warnings.
    """
    inside = inside_gcj_box(lon, lat)
    out_lon, out_lat = lon.copy(), lat.copy()
    out_lon[inside], out_lat[inside] = convert(lon[inside], lat[inside])
    return out_lon, out_lat


def _transform_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    """The GCJ-02 latitude polynomial, of offsets from (105°E, 35°N)."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: FloatArray, y: FloatArray) -> FloatArray:
    """The GCJ-02 longitude polynomial, of offsets from (105°E, 35°N)."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_forward(lon: FloatArray, lat: FloatArray) -> LonLat:
    """WGS 84 to GCJ-02 without the box test: the offset, scaled to degrees on Krasovsky."""
    d_lat = _transform_lat(lon - 105.0, lat - 35.0)
    d_lon = _transform_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return lon + d_lon, lat + d_lat


def _gcj_backward(lon: FloatArray, lat: FloatArray) -> LonLat:
    """GCJ-02 to WGS 84 without the box test, from the one-step estimate (input − offset)."""
    shifted_lon, shifted_lat = _gcj_forward(lon, lat)
    return _invert(_gcj_forward, lon, lat, 2.0 * lon - shifted_lon, 2.0 * lat - shifted_lat)


def _bd_forward(lon: FloatArray, lat: FloatArray) -> LonLat:
    """GCJ-02 to BD-09: perturb radius and angle, then shift."""
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * X_PI)
    return z * np.cos(theta) + BD_SHIFT_LON, z * np.sin(theta) + BD_SHIFT_LAT


def _bd_backward_estimate(lon: FloatArray, lat: FloatArray) -> LonLat:
    """The usual closed-form BD-09 to GCJ-02, off by up to a few metres: a starting point."""
    x = lon - BD_SHIFT_LON
    y = lat - BD_SHIFT_LAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[FloatArray, FloatArray], LonLat],
    target_lon: FloatArray,
    target_lat: FloatArray,
    lon: FloatArray,
    lat: FloatArray,
) -> LonLat:
    """Solve ``forward(lon, lat) == target`` by fixed-point iteration from an estimate.

    Each step moves the estimate by the residual. That converges because both
    offsets change slowly with position (their derivatives are far below 1).
    NaN residuals count as converged, so NaN input cannot keep it looping.
    """
    for _ in range(MAX_ITERATIONS):
        got_lon, got_lat = forward(lon, lat)
        res_lon, res_lat = target_lon - got_lon, target_lat - got_lat
        lon, lat = lon + res_lon, lat + res_lat
        if not np.any((np.abs(res_lon) > TOLERANCE_DEG) | (np.abs(res_lat) > TOLERANCE_DEG)):
            break
    return lon, lat
