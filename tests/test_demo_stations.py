"""The demo city is laid out as a real one: its compounds packed around their
community's station and open on more than one side, so that homes beyond a
10-minute walk are the exception the map points at, not the rule.

The walks along the streets of `make demo`'s city are measured with the gap finder
on PostGIS by scripts/bench/demo_reach.py: 245 of 277 compounds beyond a 10-minute
walk before issue 15, 83 after its first fix, 22 now (2,538 of 60,000 households
when measured; the generator's own walks below say 23).
Here, the same walks on the generator's own streets (geo_api.demo.siting, noded
as `gridgov network build` nodes them), and the layout that makes it so."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from geo_api.demo import people, siting
from geo_api.demo.city import City, generate_city
from geo_api.demo.layout import METRIC_CRS
from geo_api.gaps.access import CIRCLES, REACHES_M


@pytest.fixture(scope="module")
def mid_city() -> City:
    return generate_city(20_000, seed=141081)


@pytest.fixture(scope="module")
def demo() -> City:
    """`make demo`'s city (60,000 households, its seed): about 4 s to generate."""
    return generate_city()


def _beyond(city: City, circle: str) -> tuple[float, float]:
    """The shares of compounds and of households beyond a life circle's walk."""
    units = siting.unit_homes(city.units, city.buildings, city.compounds, city.households)
    walks = siting.unit_walks(city.stations, units, city.roads, city.gates, circle)
    reach = REACHES_M[CIRCLES[circle].index]
    far = walks > reach
    compounds = units.loc[far, "compound_id"].nunique() / len(city.compounds)
    return compounds, units.loc[far, "households"].sum() / units["households"].sum()


def test_few_demo_homes_are_beyond_a_ten_minute_walk(demo: City) -> None:
    """Issue 15: under 10% of the demo's compounds have homes beyond a 10-minute walk
    (500 m along the streets) of a community station or above; some do, for the map
    to point at."""
    compounds, households = _beyond(demo, "beyond_10min_walk")
    assert 0 < compounds < 0.10
    assert 0 < households < 0.05
    # The 5-minute circle (300 m, outposts count) still leaves work for siting.
    assert _beyond(demo, "beyond_5min_walk")[0] > compounds


def test_outposts_stand_where_they_bring_homes_within_five_minutes(demo: City) -> None:
    """The demo's 40 outposts stand at the gates that bring the most homes within a
    5-minute walk: 96 of 277 compounds (27% of households) beyond it, where outposts at
    random compounds left 132 (39%)."""
    compounds, households = _beyond(demo, "beyond_5min_walk")
    assert compounds < 0.40 and households < 0.30


def test_the_fifteen_minute_walk_leaves_a_minority_of_homes(demo: City) -> None:
    """The 15-minute walk (1,000 m) is to a street centre or to one of the 14 community
    stations of 1,000 m² or more, placed where they bring the most homes within it: 69
    of 277 compounds (23% of households) beyond it, where street centres alone left
    223 (and 14 large stations at random communities, 85)."""
    compounds, households = _beyond(demo, "beyond_15min_walk")
    assert compounds < 0.30 and households < 0.25
    stations = demo.stations[demo.stations["tier"] == "community"]
    assert (stations["floor_area_m2"] >= 1000).sum() == 14
    assert (stations["floor_area_m2"] >= 500).sum() == len(stations) - 1  # one planted small


def test_outposts_go_first_where_most_homes_are_not_served_yet() -> None:
    homes = gpd.GeoDataFrame(
        {"households": [10, 10, 10, 3]},
        geometry=[Point(0, 0), Point(50, 0), Point(0, 50), Point(5000, 0)],
        crs=METRIC_CRS,
    )
    gates = [Point(5000, 10), Point(10, 10), Point(2500, 0)]
    assert people.greedy_cover(gates, [], homes, 1, people.OUTPOST_REACH_M) == [1]
    assert people.greedy_cover(gates, [], homes, 2, people.OUTPOST_REACH_M) == [1, 0]
    # Homes a station reaches already count for nothing.
    assert people.greedy_cover(gates, [Point(0, 0)], homes, 1, people.OUTPOST_REACH_M) == [0]


def test_community_stations_stand_on_a_street_inside_their_community(demo: City) -> None:
    stations = demo.stations[demo.stations["tier"] == "community"]
    streets = shapely.union_all(demo.roads.geometry[demo.roads["kind"] == "street"].to_numpy())
    assert shapely.distance(stations.geometry.to_numpy(), streets).max() < 0.01
    inside = demo.communities.set_index("id").geometry.loc[stations["community_id"]]
    assert shapely.contains(inside.to_numpy(), stations.geometry.to_numpy()).all()


def test_compounds_lie_near_their_community_station(mid_city: City) -> None:
    stations = mid_city.stations[mid_city.stations["tier"] == "community"]
    station_of = dict(zip(stations["community_id"], stations.geometry, strict=True))
    # The farthest corner of each compound from its own community's station.
    farthest = np.array(
        [
            shapely.distance(
                shapely.points(shapely.get_coordinates(g.exterior)), station_of[c]
            ).max()
            for g, c in zip(
                mid_city.compounds.geometry, mid_city.compounds["community_id"], strict=True
            )
        ]
    )
    # As the crow flies; the walk is longer, so within 500 m here is the least a
    # 10-minute walk needs. Before issue 15, 36% of the demo's compounds were past it.
    assert (farthest > 500).mean() < 0.1
    # Yet not all within 300 m: some walking gaps remain for the map to point at.
    assert (farthest > 300).any()


def test_every_compound_has_a_side_gate(mid_city: City) -> None:
    gates = mid_city.gates
    sides = gates[gates["name"].isin(["东门", "西门"])]
    assert sorted(sides["compound_id"]) == sorted(mid_city.compounds["id"])
    # Each gate stands on its compound's edge.
    by_id = mid_city.compounds.set_index("id").geometry
    edges = by_id.loc[sides["compound_id"]].boundary.to_numpy()
    assert shapely.distance(edges, sides.geometry.to_numpy()).max() < 0.01
