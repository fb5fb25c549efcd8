"""Buildings, units and households of the demo city, in metres (EPSG:4546).

Buildings are south-facing slabs in rows (long side east-west), with 1 to 4
units (stairwells) each; every unit holds floors × households-per-floor rooms,
and a few rooms stand empty so the city has exactly the households asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from geo_api.address.format import address_prefix
from geo_api.demo.layout import METRIC_CRS
from geo_api.errors import InvalidInputError

UNIT_WIDTH_M = 14.0
DEPTH_M = 12.0
ROW_PITCH_M = 34.0  # depth + sunlight spacing between rows
GAP_M = 10.0
UNITS_PER_BUILDING = np.array([1, 2, 3, 4])
UNITS_WEIGHTS = np.array([0.1, 0.3, 0.35, 0.25])

# Walk-up and small high-rise types: (floors, households per floor, weight).
WALKUPS = np.array([(6, 3, 0.8), (6, 2, 0.05), (4, 4, 0.05), (7, 3, 0.05), (11, 2, 0.05)])
WALKUP_MEAN = float((WALKUPS[:, 0] * WALKUPS[:, 1] * WALKUPS[:, 2]).sum())
SPREAD_ROUNDS = 3  # passes moving units from full compounds to roomy ones
OVERLOAD_TYPE = (6, 5)  # 30 households in a unit: more than one head can carry


@dataclass
class Housing:
    """The built stock: buildings, units, households (GeoDataFrames in METRIC_CRS)."""

    buildings: gpd.GeoDataFrame
    units: gpd.GeoDataFrame
    households: gpd.GeoDataFrame
    overloaded_units: list[int]


def units_needed(households: int) -> int:
    """How many units a city of this many households wants at walk-up density."""
    return max(1, math.ceil(households / (WALKUP_MEAN * 0.97)))


def _rows_of_slabs(
    compound: shapely.Polygon, target_units: int, rng: np.random.Generator
) -> list[tuple[shapely.Polygon, int]]:
    """Slabs (footprint, units) in rows from the north edge down, west to east."""
    inner = compound.buffer(-6)
    shapely.prepare(inner)
    minx, miny, maxx, maxy = compound.bounds
    slabs: list[tuple[shapely.Polygon, int]] = []
    placed_units = 0
    y = maxy - 7 - DEPTH_M
    while y > miny and placed_units < target_units:
        x = minx + 8
        while x < maxx and placed_units < target_units:
            n = int(rng.choice(UNITS_PER_BUILDING, p=UNITS_WEIGHTS))
            n = min(n, target_units - placed_units)
            slab = box(x, y, x + n * UNIT_WIDTH_M, y + DEPTH_M)
            if inner.contains(slab):
                slabs.append((slab, n))
                placed_units += n
                x += n * UNIT_WIDTH_M + GAP_M
            else:
                x += UNIT_WIDTH_M
        y -= ROW_PITCH_M
    if not slabs:
        # A sliver of a compound: one single-unit building in its middle.
        c = compound.representative_point()
        slabs.append((box(c.x - 7, c.y - 6, c.x + 7, c.y + 6), 1))
    return slabs


def _slabs_everywhere(
    geoms: list[shapely.Polygon], wanted: np.ndarray, rng: np.random.Generator
) -> list[list[tuple[shapely.Polygon, int]]]:
    """Slabs of every compound: the units a small compound has no room for go to
    compounds with room to spare, so that the city keeps the units it needs (rather
    than building every block a floor higher, which puts 21 homes on a head of 18)."""
    layouts = [_rows_of_slabs(g, int(w), rng) for g, w in zip(geoms, wanted, strict=True)]
    placed = np.array([sum(n for _, n in slabs) for slabs in layouts])
    short = int(wanted.sum() - placed.sum())
    roomy = placed >= wanted  # took all they were given: may take more
    for _ in range(SPREAD_ROUNDS):
        if short <= 0 or not roomy.any():
            break
        more = -(-short // int(roomy.sum()))  # ceiling
        for i in np.flatnonzero(roomy):
            asked = min(more, short)
            grown = _rows_of_slabs(geoms[i], int(placed[i]) + asked, rng)
            gained = sum(n for _, n in grown) - int(placed[i])
            if gained > 0:
                layouts[i], placed[i], short = grown, placed[i] + gained, short - gained
            roomy[i] = gained >= asked
            if short <= 0:
                break
    return layouts


def _floor_plan(
    n_buildings: int, total_units: int, households: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Floors and households per floor of each building."""
    needed = households / total_units
    if needed <= WALKUP_MEAN * 0.97:
        kinds = rng.choice(len(WALKUPS), n_buildings, p=WALKUPS[:, 2] / WALKUPS[:, 2].sum())
        return WALKUPS[kinds, 0].astype(int), WALKUPS[kinds, 1].astype(int)
    # Denser than walk-ups: towers of four to eight households a floor.
    per_floor = np.full(n_buildings, min(8, max(4, math.ceil(needed / 30))))
    floors = np.ceil(needed * 1.05 / per_floor).astype(int) + rng.integers(-1, 3, n_buildings)
    return np.maximum(floors, 2), per_floor


def build_housing(
    compounds: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    households: int,
    units_per_compound: float,
    rng: np.random.Generator,
) -> Housing:
    """Buildings in every compound, units in every building, households in every unit."""
    target = round(units_per_compound * len(compounds))
    per_compound = np.full(len(compounds), target // len(compounds))
    per_compound[: target % len(compounds)] += 1
    layouts = _slabs_everywhere(list(compounds.geometry), per_compound, rng)
    b_rows: list[dict[str, object]] = []
    u_rows: list[dict[str, object]] = []
    for cid, slabs in zip(compounds["id"], layouts, strict=True):
        for number, (slab, n) in enumerate(slabs, start=1):
            bid = len(b_rows) + 1
            b_rows.append({"id": bid, "compound_id": cid, "number": number, "geometry": slab})
            x0, y0, _, y1 = slab.bounds
            for u in range(n):
                cell = box(x0 + u * UNIT_WIDTH_M, y0, x0 + (u + 1) * UNIT_WIDTH_M, y1)
                u_rows.append(
                    {"id": len(u_rows) + 1, "building_id": bid, "number": u + 1, "geometry": cell}
                )
    buildings = gpd.GeoDataFrame(b_rows, crs=METRIC_CRS)
    units = gpd.GeoDataFrame(u_rows, crs=METRIC_CRS)
    floors, per_floor = _floor_plan(len(buildings), len(units), households, rng)

    # Plant overloaded units: single-unit-head stairwells of 30 households.
    b_index = units["building_id"].to_numpy() - 1
    n_over = max(1, round(len(buildings) * 0.004))
    over_b = rng.choice(len(buildings), n_over, replace=False)
    floors[over_b], per_floor[over_b] = OVERLOAD_TYPE
    rooms_per_unit = floors[b_index] * per_floor[b_index]
    capacity = int(rooms_per_unit.sum())
    if capacity < households:  # space ran short: build higher
        floors = np.ceil(floors * households * 1.03 / capacity).astype(int)
        floors[over_b] = OVERLOAD_TYPE[0]
        rooms_per_unit = floors[b_index] * per_floor[b_index]
    buildings["floors"] = floors
    overloaded = np.isin(b_index, over_b)

    # Every room, then empty a few (never in the planted units) to hit the count exactly.
    unit_of_room = np.repeat(np.arange(len(units)), rooms_per_unit)
    starts = np.repeat(np.cumsum(rooms_per_unit) - rooms_per_unit, rooms_per_unit)
    slot = np.arange(len(unit_of_room)) - starts
    vacant_pool = np.flatnonzero(~overloaded[unit_of_room])
    surplus = len(unit_of_room) - households
    if surplus > len(vacant_pool):
        raise InvalidInputError(f"cannot house {households} households in the space available")
    keep = np.ones(len(unit_of_room), dtype=bool)
    keep[rng.choice(vacant_pool, surplus, replace=False)] = False
    unit_of_room, slot = unit_of_room[keep], slot[keep]

    pf = per_floor[b_index][unit_of_room]
    room = (slot // pf + 1) * 100 + slot % pf + 1
    bounds = units.geometry.bounds.to_numpy()[unit_of_room]
    xs = bounds[:, 0] + (0.1 + 0.8 * rng.random(households)) * (bounds[:, 2] - bounds[:, 0])
    ys = bounds[:, 1] + (0.1 + 0.8 * rng.random(households)) * (bounds[:, 3] - bounds[:, 1])
    prefix = _unit_prefixes(units, buildings, compounds, communities, streets)
    homes = gpd.GeoDataFrame(
        {
            "id": np.arange(1, households + 1),
            "unit_id": unit_of_room + 1,
            "room": room.astype(str),
            "persons": rng.choice([1, 2, 3, 4, 5], households, p=[0.15, 0.3, 0.3, 0.17, 0.08]),
            # address_prefix + room + 室 is format_address's answer: it reads back.
            "address": [f"{prefix[u]}{r}室" for u, r in zip(unit_of_room, room, strict=True)],
        },
        geometry=gpd.points_from_xy(xs, ys),
        crs=METRIC_CRS,
    )
    over_units = units.loc[overloaded, "id"].astype(int).tolist()
    return Housing(buildings, units, homes, over_units)


def _unit_prefixes(
    units: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
) -> list[str]:
    """The address of each unit (浍滨街道新田社区水岸明珠3号楼2单元), written by
    ``address_prefix`` so that every home's address reads back."""
    table = (
        pd.DataFrame(units[["building_id", "number"]])
        .merge(
            buildings[["id", "compound_id", "number"]],
            left_on="building_id",
            right_on="id",
            suffixes=("_u", "_b"),
        )
        .merge(
            compounds[["id", "community_id", "name"]].rename(columns={"id": "cid"}),
            left_on="compound_id",
            right_on="cid",
        )
        .merge(
            communities[["id", "street_id", "name"]].rename(
                columns={"id": "mid", "name": "community"}
            ),
            left_on="community_id",
            right_on="mid",
        )
        .merge(
            streets[["id", "name"]].rename(columns={"id": "sid", "name": "street"}),
            left_on="street_id",
            right_on="sid",
        )
    )
    columns = (table[c].tolist() for c in ("street", "community", "name", "number_b", "number_u"))
    return [
        address_prefix(community, name, int(building), int(unit), street=street)
        for street, community, name, building, unit in zip(*columns, strict=True)
    ]
