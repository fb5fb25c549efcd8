"""The people and places of the demo city: the three heads, the 1+5+30+N
service stations and the registered party members, with planted gaps."""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo_api.demo.layout import METRIC_CRS
from geo_api.demo.names import person_names, phones

UNIT_TARGET = 18
UNIT_MAX = 25
SMALL_STATION_M2 = 420.0  # below Houma's 500 m² standard, planted on purpose
ADDRESS_ONLY = 0.05  # members registered with a written address only
VOLUNTEER_RATE = 60  # one household in so many offers to serve


def heads(
    units: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame,
    overloaded_units: list[int],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict[str, list[int]]]:
    """Unit, building and compound heads, each living in a household of their charge.

    Returns the heads and the planted gaps: units, buildings and compounds left
    without a head on purpose.
    """
    hh = pd.DataFrame({"id": households["id"], "unit_id": households["unit_id"]})
    hh = hh.merge(
        units[["id", "building_id"]].rename(columns={"id": "uid"}),
        left_on="unit_id",
        right_on="uid",
    ).drop(columns="uid")
    hh = hh.merge(
        buildings[["id", "compound_id"]].rename(columns={"id": "bid"}),
        left_on="building_id",
        right_on="bid",
    ).drop(columns="bid")
    hh["r"] = rng.random(len(hh))
    hh = hh.sort_values("r")

    def planted(ids: np.ndarray, rate: float) -> np.ndarray:
        n = min(len(ids), max(1, round(len(ids) * rate)))
        return np.sort(rng.choice(ids, n, replace=False))

    over = np.asarray(overloaded_units, dtype=int)
    no_unit = planted(np.setdiff1d(units["id"].to_numpy(), over), 0.012)
    # A building without a head is planted where its compound has others, whose head
    # can stand in (a 片长): the gap a run closes, as in a real compound.
    shared = buildings["compound_id"].duplicated(keep=False).to_numpy()
    no_building = planted(buildings["id"].to_numpy()[shared if shared.any() else slice(None)], 0.02)
    no_compound = planted(compounds["id"].to_numpy(), 0.01)

    # Unit heads: one per 18 households (at least one), one only in the planted units.
    sizes = hh.groupby("unit_id").size()
    wanted = (sizes / UNIT_TARGET).round().clip(lower=1).astype(int)
    wanted[wanted.index.isin(over)] = 1
    wanted = wanted[~wanted.index.isin(no_unit)]
    hh["rank"] = hh.groupby("unit_id").cumcount()
    unit_heads = hh[hh["rank"] < hh["unit_id"].map(wanted).fillna(0)]
    building_heads = hh[~hh["building_id"].isin(no_building)].drop_duplicates("building_id")
    compound_heads = hh[~hh["compound_id"].isin(no_compound)].drop_duplicates("compound_id")

    frames = [
        pd.DataFrame(
            {
                "role": "unit",
                "household_id": unit_heads["id"],
                "unit_id": unit_heads["unit_id"],
                # Unit heads follow their community's target and maximum.
                "capacity": pd.array([pd.NA] * len(unit_heads), dtype="Int64"),
                "max_capacity": pd.array([pd.NA] * len(unit_heads), dtype="Int64"),
            }
        ),
        pd.DataFrame(
            {
                "role": "building",
                "household_id": building_heads["id"],
                "building_id": building_heads["building_id"],
                "capacity": 400,
                "max_capacity": 600,
            }
        ),
        pd.DataFrame(
            {
                "role": "compound",
                "household_id": compound_heads["id"],
                "compound_id": compound_heads["compound_id"],
                "capacity": 3000,
                "max_capacity": 5000,
            }
        ),
    ]
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["role", "unit_id", "building_id", "compound_id"], na_position="last")
    out = out.reset_index(drop=True)
    for column in ("unit_id", "building_id", "compound_id", "capacity", "max_capacity"):
        out[column] = out[column].astype("Int64")
    out.insert(0, "id", np.arange(1, len(out) + 1))
    out["name"] = person_names(len(out), rng)
    out["phone"] = phones(len(out), rng)
    gaps = {
        "units_without_head": no_unit.tolist(),
        "buildings_without_head": no_building.tolist(),
        "compounds_without_head": no_compound.tolist(),
        "overloaded_units": over.tolist(),
    }
    return out, gaps


def stations(
    core: Point,
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    outposts: int,
    rng: np.random.Generator,
    homes: gpd.GeoDataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, list[int]]:
    """1 city centre, 5 street centres, one station per community, N outposts.

    Outposts stand at the south gates of the compounds that bring the most homes
    within a 5-minute walk (``homes``: unit points with their households; see
    greedy_cover), as a street office opens them where people are; without
    ``homes``, at random compounds. Returns the stations and the ids of those
    planted below the area standard.
    """
    rows: list[dict[str, object]] = [
        {
            "tier": "city",
            "name": "侯马市党群服务中心",
            "street_id": None,
            "community_id": None,
            "floor_area_m2": 3200.0,
            "hours": "08:30-17:30",
            "geometry": core,
        },
    ]
    for street in streets.itertuples():
        members = communities[communities["street_id"] == street.id]
        hub = members.loc[members["urban"]].head(1)
        hub = hub if len(hub) else members.head(1)
        seed = Point(float(hub["seed_x"].iloc[0]) + 120, float(hub["seed_y"].iloc[0]) + 80)
        rows.append(
            {
                "tier": "street",
                "name": f"{street.name}党群服务中心",
                "street_id": street.id,
                "community_id": None,
                "floor_area_m2": float(rng.integers(1200, 2400)),
                "hours": "08:30-17:30",
                "geometry": seed,
            }
        )
    # Houma: every community station at least 500 m², 14 of 30 at least 1,000 m². The
    # large ones serve the 15-minute circle too (geo_api.gaps.access.CENTRE_M2): they go
    # where they bring the most homes within it that no street centre reaches.
    large = min(LARGE_STATIONS, len(communities))
    if homes is None:
        big = set(rng.choice(len(communities), large, replace=False).tolist())
    else:
        seeds = [Point(c.seed_x, c.seed_y) for c in communities.itertuples()]
        centres = [cast(Point, r["geometry"]) for r in rows]
        big = set(greedy_cover(seeds, centres, homes, large, CENTRE_REACH_M))
    small = int(rng.choice(sorted(set(range(len(communities))) - big)))
    for i, community in enumerate(communities.itertuples()):
        area = (
            SMALL_STATION_M2
            if i == small
            else float(rng.integers(1000, 1700))
            if i in big
            else float(rng.integers(500, 1000))
        )
        rows.append(
            {
                "tier": "community",
                "name": f"{community.name}党群服务站",
                "street_id": community.street_id,
                "community_id": community.id,
                "floor_area_m2": area,
                "hours": "08:30-12:00,14:30-18:00",
                "geometry": Point(community.seed_x, community.seed_y),
            }
        )
    gates = [south_gate(g) for g in compounds.geometry]
    if homes is None:
        picks = [int(i) for i in rng.choice(len(compounds), min(outposts, len(compounds)), False)]
    else:
        served = [cast(Point, r["geometry"]) for r in rows]  # the city's and streets' centres
        picks = greedy_cover(gates, served, homes, outposts, OUTPOST_REACH_M)
    for n, i in enumerate(sorted(picks), start=1):
        compound = compounds.iloc[i]
        gate = gates[i]
        street_id = int(
            communities.loc[communities["id"] == compound["community_id"], "street_id"].iloc[0]
        )
        rows.append(
            {
                "tier": "outpost",
                "name": f"{compound['name']}党群驿站{n}",
                "street_id": street_id,
                "community_id": int(compound["community_id"]),
                "floor_area_m2": float(rng.integers(60, 200)),
                "hours": "09:00-20:00",
                "geometry": gate,
            }
        )
    frame = gpd.GeoDataFrame(rows, crs=METRIC_CRS)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    for column in ("street_id", "community_id"):
        frame[column] = frame[column].astype("Int64")
    small_ids = frame.loc[frame["floor_area_m2"] < 500, "id"]
    small_ids = small_ids[frame.loc[small_ids.index, "tier"] == "community"]
    return frame, small_ids.astype(int).tolist()


# A 5-minute walk is 300 m along the streets (geo_api.gaps.access); as the crow flies
# from a home to an outpost, with the way out through a gate and round the blocks,
# about this much of it.
OUTPOST_REACH_M = 220.0
# And a 15-minute walk (1,000 m) from a large community station, about this much.
CENTRE_REACH_M = 730.0
LARGE_STATIONS = 14  # Houma's community stations of 1,000 m² or more


def south_gate(compound: BaseGeometry) -> Point:
    """Just outside a compound's south gate: where its outpost would stand."""
    minx, miny, maxx, _ = compound.bounds
    return Point((minx + maxx) / 2, miny - 8)


def greedy_cover(
    sites: list[Point],
    served: list[Point],
    homes: gpd.GeoDataFrame,
    count: int,
    reach: float,
) -> list[int]:
    """The ``count`` sites (by position) that bring the most households within
    ``reach`` metres that nothing (``served``: stations already placed) reaches yet,
    chosen greedily: the maximal covering problem's classic answer, enough for a demo
    (gridgov siting plan solves it exactly for a real city)."""
    count = min(count, len(sites))
    points = homes.geometry.to_numpy()
    weight = homes["households"].to_numpy(dtype=float)
    tree = shapely.STRtree(points)
    covered = np.zeros(len(points), dtype=bool)
    if served:
        covered[tree.query(served, predicate="dwithin", distance=reach)[1]] = True
    site, home = tree.query(sites, predicate="dwithin", distance=reach)
    chosen: list[int] = []
    free = np.ones(len(sites), dtype=bool)
    for _ in range(count):
        open_pairs = ~covered[home]
        gain = np.bincount(site[open_pairs], weights=weight[home[open_pairs]], minlength=len(sites))
        gain[~free] = -1.0
        best = int(np.argmax(gain))
        chosen.append(best)
        free[best] = False
        covered[home[site == best]] = True
    return chosen


def members(
    households: gpd.GeoDataFrame,
    community_of_household: np.ndarray,
    count: int,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Party members registered with the community they live in.

    Most come with their home's point and household; ADDRESS_ONLY of them only
    with a written address (as from a paper register), to be placed by matching.
    """
    count = min(count, len(households))
    picks = np.sort(rng.choice(len(households), count, replace=False))
    start = date(2019, 1, 1)
    days = rng.integers(0, (date(2024, 12, 31) - start).days, count)
    by_address = rng.random(count) < ADDRESS_ONLY
    geometry = households.geometry.to_numpy()[picks].copy()
    geometry[by_address] = None
    household_id = pd.array(households["id"].to_numpy()[picks], dtype="Int64")
    household_id[by_address] = pd.NA
    # Those with an address only wait for gridgov to place them.
    community_id = pd.array(community_of_household[picks], dtype="Int64")
    community_id[by_address] = pd.NA
    return gpd.GeoDataFrame(
        {
            "id": np.arange(1, count + 1),
            "name": person_names(count, rng),
            "phone": phones(count, rng),
            "community_id": community_id,
            "household_id": household_id,
            "address": households["address"].to_numpy()[picks],
            "placed_by": [None if a else "household" for a in by_address],
            "registered_on": [start + timedelta(days=int(d)) for d in days],
        },
        geometry=geometry,
        crs=METRIC_CRS,
    )


def grid_officers(
    grids: gpd.GeoDataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, list[int]]:
    """One officer (网格员) per grid, except the planted grids left without one.

    Returns the officers and the planted grids.
    """
    n = len(grids)
    # Planted only where the community has another grid whose officer can step in.
    shared = grids["community_id"].duplicated(keep="first").to_numpy()
    candidates = grids["id"].to_numpy()[shared]
    count = min(len(candidates), max(1, round(n * 0.03)))
    without = np.sort(rng.choice(candidates, count, replace=False)) if count else np.array([])
    staffed = grids[~grids["id"].isin(without)]
    officers = pd.DataFrame(
        {
            "id": np.arange(1, len(staffed) + 1),
            "name": person_names(len(staffed), rng),
            "phone": phones(len(staffed), rng),
            "community_id": staffed["community_id"].to_numpy(),
            "grid_id": staffed["id"].to_numpy(),
        }
    )
    return officers, [int(g) for g in without]


def volunteers(households: gpd.GeoDataFrame, rng: np.random.Generator) -> np.ndarray:
    """Households that offered to serve as unit heads: about one in VOLUNTEER_RATE."""
    return rng.random(len(households)) < 1 / VOLUNTEER_RATE
