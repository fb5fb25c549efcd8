"""GCJ-02 / BD-09 conversions and coordinate-system detection: pure, no database.

Reference points are published by open-source implementations of the same
public formulas: eviltransform (python/test.py, WGS 84 ↔ GCJ-02) and
wandergis/coordtransform (README and test/app.js, GCJ-02 ↔ BD-09). Distances
are measured in metres on the WGS 84 ellipsoid, never in degrees.

eviltransform's BD-09 test points, (29.199786, 120.019809) → (29.196131605295484,
120.00877901149691) and (29.210504, 120.036455) → (29.206795749156136,
120.0253853970846), are not asserted: they were computed by its early
``bd2gcj``, which used ``math.pi`` where BD-09 uses x_pi = pi * 3000 / 180
(corrected in later eviltransform). Recomputing them with that constant
reproduces them exactly; the BD-09 formula used by eviltransform today,
coordtransform and this project lands 10.5 m and 41 m from them. They still
serve below as inputs for a BD-09 round trip.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from geo_api.errors import InvalidInputError
from geo_api.geo.china import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo_api.geo.detect import Problem, check_points, guess_crs

GEOD = Geod(ellps="WGS84")
FloatPair = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
REQUIRED_M = 0.5  # the product's requirement for a conversion back
# The iteration comes back within ~1e-7 m; a one-step inverse is off by metres.
ROUND_TRIP_M = 0.01
HOUMA_BOUNDS = (111.2, 35.5, 111.5, 35.75)

# eviltransform: (wgsLat, wgsLng, gcjLat, gcjLng)
EVILTRANSFORM_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
# eviltransform: (bdLat, bdLng, ...), used only as BD-09 inputs (see module doc).
EVILTRANSFORM_BD_INPUTS = [(29.199786, 120.019809), (29.210504, 120.036455)]
# coordtransform, all from the input (116.404, 39.915), lon first.
COORDTRANSFORM_INPUT = (116.404, 39.915)
COORDTRANSFORM_WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
COORDTRANSFORM_GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
COORDTRANSFORM_BD_TO_GCJ = (116.39762729119315, 39.90865673957631)  # its one-step inverse

houma_lon = st.floats(111.2, 111.5)
houma_lat = st.floats(35.5, 35.75)
china_lon = st.floats(73.5, 135.0)
china_lat = st.floats(4.0, 53.5)


def metres(
    lon_a: npt.ArrayLike, lat_a: npt.ArrayLike, lon_b: npt.ArrayLike, lat_b: npt.ArrayLike
) -> float:
    """The largest geodesic distance between the points, in metres."""
    _, _, distance = GEOD.inv(lon_a, lat_a, lon_b, lat_b)
    return float(np.max(distance))


def houma_points(n: int = 50) -> FloatPair:
    """Random lon/lat points inside Houma."""
    rng = np.random.default_rng(7)
    return rng.uniform(111.2, 111.5, n), rng.uniform(35.5, 35.75, n)


def projected(epsg: int, lon: npt.ArrayLike, lat: npt.ArrayLike) -> FloatPair:
    """lon/lat projected to ``epsg``, x first."""
    x, y = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


# --- GCJ-02 and BD-09 --------------------------------------------------------


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM_GCJ)
def test_wgs84_to_gcj02_matches_eviltransform(
    wgs_lat: float, wgs_lon: float, gcj_lat: float, gcj_lon: float
) -> None:
    lon, lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert lon == pytest.approx(gcj_lon, abs=1e-6)
    assert lat == pytest.approx(gcj_lat, abs=1e-6)


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM_GCJ)
def test_gcj02_to_wgs84_recovers_eviltransform_points(
    wgs_lat: float, wgs_lon: float, gcj_lat: float, gcj_lon: float
) -> None:
    lon, lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert metres(lon, lat, wgs_lon, wgs_lat) < ROUND_TRIP_M


def test_wgs84_to_gcj02_matches_coordtransform() -> None:
    lon, lat = wgs84_to_gcj02(*COORDTRANSFORM_INPUT)
    assert (lon, lat) == pytest.approx(COORDTRANSFORM_WGS_TO_GCJ, abs=1e-9)


def test_gcj02_to_bd09_matches_coordtransform() -> None:
    lon, lat = gcj02_to_bd09(*COORDTRANSFORM_INPUT)
    assert (lon, lat) == pytest.approx(COORDTRANSFORM_GCJ_TO_BD, abs=1e-9)


def test_bd09_to_gcj02_is_near_coordtransform_and_exact_forward() -> None:
    lon, lat = bd09_to_gcj02(*COORDTRANSFORM_INPUT)
    assert metres(lon, lat, *COORDTRANSFORM_BD_TO_GCJ) < REQUIRED_M
    assert gcj02_to_bd09(lon, lat) == pytest.approx(COORDTRANSFORM_INPUT, abs=1e-9)


@pytest.mark.parametrize(("bd_lat", "bd_lon"), EVILTRANSFORM_BD_INPUTS)
def test_bd09_to_wgs84_goes_back_to_the_same_bd09_point(bd_lat: float, bd_lon: float) -> None:
    lon, lat = wgs84_to_bd09(*bd09_to_wgs84(bd_lon, bd_lat))
    assert metres(lon, lat, bd_lon, bd_lat) < ROUND_TRIP_M


@given(lon=houma_lon, lat=houma_lat)
def test_houma_round_trips(lon: float, lat: float) -> None:
    assert metres(*gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)), lon, lat) < ROUND_TRIP_M
    assert metres(*bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), lon, lat) < ROUND_TRIP_M


@given(lon=china_lon, lat=china_lat)
def test_china_round_trips(lon: float, lat: float) -> None:
    assert metres(*gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)), lon, lat) < ROUND_TRIP_M
    assert metres(*bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), lon, lat) < ROUND_TRIP_M


def test_round_trips_of_a_large_array_at_once() -> None:
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(73.5, 135.0, 100_000), rng.uniform(4.0, 53.5, 100_000)
    assert metres(*gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)), lon, lat) < ROUND_TRIP_M
    assert metres(*bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), lon, lat) < ROUND_TRIP_M


def test_shapes_follow_the_input() -> None:
    lon, lat = wgs84_to_gcj02(111.35, 35.62)
    assert isinstance(lon, np.ndarray) and lon.shape == () and lat.shape == ()
    grid = np.full((3, 4), 111.35)
    for convert in (wgs84_to_gcj02, gcj02_to_wgs84, wgs84_to_bd09, bd09_to_wgs84):
        lon, lat = convert(grid, 35.62)  # a scalar latitude broadcasts
        assert lon.shape == lat.shape == (3, 4)


def test_outside_china_gcj02_is_wgs84() -> None:
    for convert in (wgs84_to_gcj02, gcj02_to_wgs84):
        lon, lat = convert(np.array([-122.4, 2.35]), np.array([37.8, 48.86]))
        assert lon.tolist() == [-122.4, 2.35] and lat.tolist() == [37.8, 48.86]


def test_nan_stays_nan_and_leaves_the_rest_alone() -> None:
    wgs_lat, wgs_lon, gcj_lat, gcj_lon = EVILTRANSFORM_GCJ[0]
    lon, lat = gcj02_to_wgs84(np.array([np.nan, gcj_lon]), np.array([31.0, gcj_lat]))
    assert np.isnan(lon[0]) and metres(lon[1], lat[1], wgs_lon, wgs_lat) < ROUND_TRIP_M
    lon, lat = bd09_to_wgs84(np.array([np.nan, 116.404]), np.array([39.915, 39.915]))
    assert np.isnan(lon[0]) and np.isfinite(lon[1]) and np.isfinite(lat[1])


# --- guess_crs --------------------------------------------------------------


def test_guess_lonlat_mentions_cgcs2000_and_gcj02() -> None:
    guess = guess_crs(*houma_points())
    assert (guess.epsg, guess.kind) == (4326, "lonlat")
    assert "EPSG:4490" in guess.message and "GCJ-02" in guess.message


def test_guess_swapped_lonlat() -> None:
    lon, lat = houma_points()
    assert (guess_crs(lat, lon).epsg, guess_crs(lat, lon).kind) == (4326, "lonlat_swapped")


@pytest.mark.parametrize(
    ("epsg", "kind"),
    [(4525, "gauss_kruger_with_zone"), (4497, "gauss_kruger_with_zone"), (3857, "web_mercator")],
)
def test_guess_systems_the_numbers_tell(epsg: int, kind: str) -> None:
    guess = guess_crs(*projected(epsg, *houma_points()))
    assert (guess.epsg, guess.kind) == (epsg, kind)


def test_guess_gauss_kruger_without_zone_asks_unless_given_a_longitude() -> None:
    x, y = projected(4546, *houma_points())
    guess = guess_crs(x, y)
    assert (guess.epsg, guess.kind) == (None, "gauss_kruger")
    assert "zone" in guess.message and "central meridian" in guess.message
    assert guess_crs(x, y, near_lon=111.35).epsg == 4546


def test_guess_far_west_six_degree_zone_needs_a_longitude() -> None:
    # Kashgar (76°E) in 6-degree zone 13 has the eastings of Web Mercator near 120°E.
    x, y = projected(4491, np.full(5, 76.0), np.linspace(39.4, 39.6, 5))
    assert guess_crs(x, y).kind == "web_mercator"
    assert guess_crs(x, y, near_lon=76.0).epsg == 4491


def test_guess_goes_by_the_majority() -> None:
    x, y = projected(4525, *houma_points())
    x, y = np.append(x, [111.3, 0.0]), np.append(y, [35.6, np.nan])
    assert guess_crs(x, y).epsg == 4525


def test_guess_unknown_says_what_it_saw() -> None:
    guess = guess_crs([1.0, 2.0], [3.0, 4.0])
    assert (guess.epsg, guess.kind) == (None, "unknown")
    assert "x runs from 1 to 2" in guess.message
    assert guess_crs([None, ""], [np.nan, 1.0]).kind == "unknown"


# --- check_points -----------------------------------------------------------


def by_code(problems: list[Problem]) -> dict[str, Problem]:
    """Problems keyed by code, each code at most once."""
    assert len({p.code for p in problems}) == len(problems)
    return {p.code: p for p in problems}


def test_clean_points_have_no_problems() -> None:
    lon, lat = houma_points()
    assert check_points(lon, lat, 4326, HOUMA_BOUNDS) == []
    assert check_points(*projected(4546, lon, lat), 4546, HOUMA_BOUNDS) == []
    assert check_points(*projected(3857, lon, lat), 3857, HOUMA_BOUNDS) == []


def test_check_names_each_classic_mistake_by_row() -> None:
    lon, lat = houma_points(20)
    x, y = lon.astype(object), lat.astype(object)
    x[7], y[7] = 35.61, 111.33
    x[2], y[3] = None, ""
    x[4] = "abc"
    x[5], y[5] = 0, 0
    x[6], y[6] = 37512345.1, 3945678.2
    x[8] = -111.3
    x[9] = 112.9
    found = by_code(check_points(x, y, 4326, HOUMA_BOUNDS))
    assert list(found) == [
        "not_a_number",
        "missing",
        "zero",
        "swapped_lonlat",
        "projected_as_degrees",
        "outside_china",
        "outside_city",
    ]
    assert found["swapped_lonlat"].message.startswith(
        "row 7: (35.61, 111.33) looks like latitude, longitude swapped"
    )
    assert found["missing"].rows == [2, 3] and found["missing"].count == 2
    assert found["not_a_number"].rows == [4] and "'abc'" in found["not_a_number"].message
    assert found["zero"].rows == [5]
    assert found["projected_as_degrees"].rows == [6]
    assert "EPSG:4525" in found["projected_as_degrees"].message
    assert found["outside_china"].rows == [8]
    assert found["outside_city"].rows == [9]


def test_outside_city_gives_the_distance_in_km() -> None:
    lon, lat = houma_points(10)
    lon[4] = 112.9
    found = by_code(check_points(lon, lat, 4326, HOUMA_BOUNDS))
    km = metres(112.9, lat[4], 111.5, lat[4]) / 1000
    assert f"{km:,.1f} km" in found["outside_city"].message


def test_degrees_declared_as_metres_lists_twenty_rows_and_counts_all() -> None:
    lon, lat = houma_points(50)
    found = by_code(check_points(lon, lat, 4546))
    problem = found["degrees_as_projected"]
    assert problem.rows == list(range(20)) and problem.count == 50
    assert "and 47 more rows look like degrees" in problem.message


def test_zone_number_in_front_of_a_zoneless_system_is_named() -> None:
    x, y = projected(4525, *houma_points())
    found = by_code(check_points(x, y, 4546, HOUMA_BOUNDS))
    assert found["outside_china"].count == 50 and "EPSG:4525" in found["outside_china"].message


def test_first_row_numbers_the_messages_not_the_rows() -> None:
    lon, lat = houma_points(5)
    lon[1] = np.nan
    problem = by_code(check_points(lon, lat, 4326, first_row=2))["missing"]
    assert problem.rows == [1] and problem.message.startswith("row 3: (empty, ")


def test_check_rejects_bad_arguments() -> None:
    lon, lat = houma_points(5)
    with pytest.raises(InvalidInputError, match="EPSG:999999"):
        check_points(lon, lat, 999999)
    with pytest.raises(InvalidInputError, match="x has 5 values but y has 4"):
        check_points(lon, lat[:4], 4326)
    with pytest.raises(InvalidInputError, match="city bounds"):
        check_points(lon, lat, 4326, (111.5, 35.5, 111.2, 35.75))
