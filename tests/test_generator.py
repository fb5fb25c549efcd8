"""The demo generator against Houma's published figures, without a database."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from geo_api.demo.city import City, generate_city
from geo_api.demo.names import STREETS
from geo_api.errors import InvalidInputError


@pytest.fixture(scope="module")
def demo() -> City:
    """The default demo city (60,000 households)."""
    return generate_city()


def within(value: int, target: int, tolerance: float) -> bool:
    return abs(value - target) <= target * tolerance


def test_demo_city_matches_houma_figures(demo: City) -> None:
    counts = demo.counts()
    assert counts["streets"] == 5
    assert counts["communities"] == 30
    assert counts["compounds"] == 277
    assert counts["households"] == 60_000
    assert counts["members"] == 4_932
    # Houma: 277 compound heads, 1,364 building heads, 3,346 unit heads, less the planted gaps.
    assert counts["compound heads"] == 277 - len(demo.planted["compounds_without_head"])
    assert within(counts["building heads"], 1_364, 0.03)
    assert within(counts["unit heads"], 3_346, 0.03)
    assert within(counts["units"], 3_350, 0.05)
    tiers = demo.stations["tier"].value_counts()
    assert (tiers["city"], tiers["street"], tiers["community"]) == (1, 5, 30)
    assert tiers["outpost"] >= 1


def test_streets_have_real_names_and_codes(demo: City) -> None:
    assert list(zip(demo.streets["code"], demo.streets["name"], strict=True)) == STREETS


def test_codes_follow_the_statistical_scheme(demo: City) -> None:
    assert all(re.fullmatch(r"\d{9}", c) for c in demo.streets["code"])
    streets = dict(zip(demo.streets["id"], demo.streets["code"], strict=True))
    for code, street_id in zip(
        demo.communities["code"], demo.communities["street_id"], strict=True
    ):
        assert re.fullmatch(r"\d{12}", code) and code.startswith(streets[street_id])
    communities = dict(zip(demo.communities["id"], demo.communities["code"], strict=True))
    for code, community_id in zip(demo.grids["code"], demo.grids["community_id"], strict=True):
        assert re.fullmatch(r"\d{15}", code) and code[:12] == communities[community_id]
    assert demo.grids["code"].is_unique and demo.compounds["code"].is_unique


def test_grids_are_numbered_west_to_east_then_north_to_south(demo: City) -> None:
    checked = 0
    for _, grids in demo.grids.groupby("community_id"):
        if len(grids) < 2:
            continue
        centres = grids.sort_values("code").geometry.centroid
        band = ((centres.y.max() - centres.y) // 600).to_numpy()  # north→south bands
        xs = centres.x.to_numpy()
        for (b1, x1), (b2, x2) in itertools.pairwise(zip(band, xs, strict=True)):
            assert b2 > b1 or (b2 == b1 and x2 > x1)
        checked += 1
    assert checked >= 20


def test_buildings_are_south_facing_slabs_of_one_to_four_units(demo: City) -> None:
    bounds = demo.buildings.geometry.bounds
    assert ((bounds.maxx - bounds.minx) >= (bounds.maxy - bounds.miny) - 0.01).all()
    units_per_building = demo.units.groupby("building_id").size()
    assert units_per_building.between(1, 4).all()
    assert units_per_building.index.nunique() == len(demo.buildings)


def test_households_are_exact_and_average_about_eighteen_per_unit(demo: City) -> None:
    per_unit = demo.households.groupby("unit_id").size()
    assert 16 <= per_unit.mean() <= 19
    assert demo.households["address"].str.contains("号楼").all()
    assert not demo.households.duplicated(["unit_id", "room"]).any()


def test_imperfections_are_planted(demo: City) -> None:
    for gap in (
        "units_without_head",
        "buildings_without_head",
        "compounds_without_head",
        "overloaded_units",
        "small_community_stations",
    ):
        assert demo.planted[gap], gap
    heads = demo.heads
    assert not heads["unit_id"].isin(demo.planted["units_without_head"]).any()
    assert not heads["building_id"].isin(demo.planted["buildings_without_head"]).any()
    small = demo.stations[demo.stations["id"].isin(demo.planted["small_community_stations"])]
    assert (small["floor_area_m2"] < 500).all() and (small["tier"] == "community").all()
    big = demo.stations[(demo.stations["tier"] == "community")]
    assert (big["floor_area_m2"] >= 1000).sum() == 14


def test_same_seed_same_city_other_seed_other_city() -> None:
    a, b, c = generate_city(1_000, 3), generate_city(1_000, 3), generate_city(1_000, 4)
    assert a.households.geometry.equals(b.households.geometry)
    assert list(a.heads["name"]) == list(b.heads["name"])
    assert not np.allclose(a.households.geometry.x, c.households.geometry.x)


@pytest.mark.parametrize("households", [1_000, 5_000])
def test_small_cities_keep_the_structure(households: int) -> None:
    city = generate_city(households)
    assert len(city.households) == households
    assert len(city.streets) == 5 and len(city.communities) == 30
    assert city.compounds["community_id"].nunique() == 30


@pytest.mark.parametrize("households", [999, 10_000_001, 0])
def test_out_of_range_sizes_are_refused(households: int) -> None:
    with pytest.raises(InvalidInputError, match="--households must be between"):
        generate_city(households)
