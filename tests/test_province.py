"""A province: the demo past 1,000,000 households, as cities side by side (here three
cities of 2,000, which the generator makes the same way as ten of 1,000,000)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from geo_api.assign.engine import run_assignment
from geo_api.db import migrate
from geo_api.db.engine import make_engine
from geo_api.demo.activities import Service
from geo_api.demo.city import City, one_city
from geo_api.demo.load import load_city
from geo_api.demo.province import (
    COUNTIES,
    PLANTED,
    REFERENCES,
    city_sizes,
    generate_province,
)
from geo_api.lookup.point import lookup_point

SEED = 7
PER_CITY = 2_000


@pytest.fixture(scope="module")
def province() -> City:
    return generate_province(3 * PER_CITY - 1, SEED, one_city, lambda _: None, PER_CITY)


def county_of(codes: pd.Series) -> pd.Series:
    return codes.str[:6]


def test_sizes_are_as_even_as_can_be() -> None:
    assert city_sizes(10_000_000) == [1_000_000] * 10
    assert city_sizes(1_000_001) == [500_001, 500_000]
    assert city_sizes(999_999) == [999_999]
    assert sum(city_sizes(2_345_678)) == 2_345_678


def test_the_first_city_is_houma_as_generated_alone(province: City) -> None:
    alone = one_city(PER_CITY, SEED)
    n = len(alone.households)
    for layer in REFERENCES:
        mine = getattr(alone, layer)
        first = getattr(province, layer).iloc[: len(mine)]
        pd.testing.assert_frame_equal(
            pd.DataFrame(first).reset_index(drop=True).astype(object),
            pd.DataFrame(mine).reset_index(drop=True).astype(object),
            check_dtype=False,
        )
    assert province.households["address"].iloc[:n].str.startswith("路").any()


def test_every_reference_stays_in_its_own_city(province: City) -> None:
    """Each city's rows are one block of ids per layer: a reference moved by the wrong
    offset lands in another city's block."""
    sizes = city_sizes(len(province.households), PER_CITY)
    alone = [one_city(n, SEED + i) for i, n in enumerate(sizes)]
    ends = {layer: np.cumsum([len(getattr(c, layer)) for c in alone]) for layer in REFERENCES}

    def city(ids: pd.Series, layer: str) -> np.ndarray:
        return np.searchsorted(ends[layer], ids.to_numpy(dtype=int), side="left")

    for layer, refs in REFERENCES.items():
        frame = getattr(province, layer)
        assert list(frame["id"]) == list(range(1, ends[layer][-1] + 1)), layer
        for column, target in refs.items():
            held = frame[frame[column].notna()]
            assert (city(held["id"], layer) == city(held[column], target)).all(), (layer, column)
    for key, ids in province.planted.items():
        starts = [0, *ends[PLANTED[key]][:-1]]  # each city's offset in that layer
        moved = [
            i + int(start)
            for c, start in zip(alone, starts, strict=True)
            for i in c.planted.get(key, [])
        ]
        assert ids == moved, key
    assert province.service is not None
    calls = province.service.calls
    assert calls["activity_id"].isin(province.service.activities["id"]).all()
    assert calls["member_id"].isin(province.members["id"]).all()


def test_a_city_with_no_activity_yet_joins_the_province() -> None:
    """Early on 1 January no activity has begun: a city's service frames are empty."""

    def january(households: int, seed: int, progress: Callable[[str], None]) -> City:
        made = one_city(households, seed, progress)
        return replace(made, service=Service(pd.DataFrame([]), pd.DataFrame([]), None))

    joined = generate_province(2 * 1_000, SEED, january, lambda _: None, 1_000)
    assert joined.service is not None and joined.service.activities.empty
    assert list(joined.households["id"]) == list(range(1, 2_001))


def test_every_row_stays_in_its_own_county(province: City) -> None:
    """A reference moved by the wrong offset would point into another county."""
    counties = ["141081", COUNTIES[0][0], COUNTIES[1][0]]
    compounds = province.compounds.set_index("id")
    assert sorted(county_of(province.streets["code"]).unique()) == sorted(counties)
    for frame in (province.compounds, province.grids, province.communities):
        assert frame["code"].is_unique
    buildings = province.buildings.set_index("id")
    units = province.units.set_index("id")
    household_county = county_of(
        compounds.loc[
            buildings.loc[units.loc[province.households["unit_id"], "building_id"], "compound_id"],
            "code",
        ].reset_index(drop=True)
    )
    names = dict(COUNTIES)
    for county, address in zip(household_county, province.households["address"], strict=True):
        assert county not in names or address.startswith(names[county])
        assert not address.startswith(tuple(n for code, n in COUNTIES if code != county))
    assert province.service is not None
    county = county_of(province.communities.set_index("id")["code"])
    acts = province.service.activities.set_index("id")
    members = province.members.set_index("id")
    calls = province.service.calls
    calls = calls[members.loc[calls["member_id"], "community_id"].notna().to_numpy()]
    called = county.loc[acts.loc[calls["activity_id"], "community_id"]].to_numpy()
    calling = county.loc[members.loc[calls["member_id"], "community_id"]].to_numpy()
    assert (called == calling).all()  # a member is called by their own city's activities


def test_names_stay_unique_and_cities_do_not_overlap(province: City) -> None:
    assert province.stations["name"].is_unique
    assert province.roads["ref"].is_unique
    assert province.households["address"].is_unique
    assert not province.members.duplicated(["name", "phone"]).any()
    cities = gpd.GeoDataFrame(province.streets).dissolve(by=county_of(province.streets["code"]))
    shapes = list(cities.geometry)
    for i, a in enumerate(shapes):
        for b in shapes[i + 1 :]:
            assert shapely.distance(a, b) >= 4_000  # metres of fields between cities


def test_a_province_loads_assigns_and_answers(province: City, scratch_url: str) -> None:
    engine = make_engine(scratch_url)
    migrate.upgrade(engine)
    loaded = load_city(engine, province)
    assert loaded["household"] == len(province.households)
    with engine.begin() as conn:
        report = run_assignment(conn)
        assert report.assigned >= 0.99 * report.households == 0.99 * len(province.households)
        # Nobody is given a head of another county's city.
        crossed = conn.execute(
            text("""
            SELECT count(*) FROM assignment a
            JOIN household h ON h.id = a.household_id
            JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
            JOIN compound c ON c.id = b.compound_id
            JOIN head hd ON hd.id = a.head_id JOIN unit hu ON hu.id = hd.unit_id
            JOIN building hb ON hb.id = hu.building_id JOIN compound hc ON hc.id = hb.compound_id
            WHERE a.valid_to IS NULL AND left(c.code, 6) <> left(hc.code, 6)""")
        ).scalar_one()
        assert crossed == 0
        # Compound and community names repeat between counties: an address is placed
        # by its county and street, never in a namesake of another county.
        assert report.members is not None
        assert report.members.by_address > 0
        ambiguous = [u for u in report.members.unplaced if "communities" in u.reason]
        assert ambiguous == []
        placed = conn.execute(
            text("""
            SELECT m.address, left(c.code, 6) AS county FROM member m
            JOIN community c ON c.id = m.community_id WHERE m.placed_by = 'address'""")
        ).all()
        names = dict(COUNTIES)
        for address, county in placed:
            others = tuple(n for code, n in COUNTIES if code != county)
            assert not address.startswith(others)
            assert county not in names or address.startswith(names[county])
        last = province.households.iloc[-1]
        home = gpd.GeoSeries([last.geometry], crs=province.households.crs).to_crs(4326)
        lon, lat = home.iloc[0].coords[0]
        found = lookup_point(conn, lon, lat)
        assert found["street"]["name"].startswith(COUNTIES[1][1])
    engine.dispose()
