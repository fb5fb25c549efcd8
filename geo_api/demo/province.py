"""A province: past CITY_MAX households, the demo is several Houma-like cities side
by side, each named after a county of Linfen (临汾), as a provincial platform holds
many counties' cities.

One city does not grow past CITY_MAX: Houma has 5 streets and 30 communities, so a
city of 10,000,000 households in one would put 330,000 households in a community and
11,000 in a compound (a task of assignment alone then needed 9 GB). A province of
ten cities of 1,000,000 keeps each city as the 1,000,000-household city is.

The first city is Houma itself, exactly as ``generate_city`` makes it at its size;
the next are made with the next seeds and moved east, then south, by their extent
plus GAP_M. Their codes take their county's code (141081 -> 141021, ...), their
streets, stations and addresses its name, and every id and reference is moved past
the cities before.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from geo_api.demo import activities, layout
from geo_api.demo.names import CITY_CODE as HOUMA_CODE

if TYPE_CHECKING:  # geo_api.demo.city makes a province past CITY_MAX: no import cycle
    from geo_api.demo.city import City

CITY_MAX = 1_000_000
GAP_M = 5_000.0  # fields between two cities
HOUMA_NAME = "侯马市"
# Linfen's other counties and cities (GB/T 2260): a province holds up to this many
# cities besides Houma.
COUNTIES = [
    ("141021", "曲沃县"),
    ("141002", "尧都区"),
    ("141023", "襄汾县"),
    ("141022", "翼城县"),
    ("141024", "洪洞县"),
    ("141082", "霍州市"),
    ("141027", "浮山县"),
    ("141029", "乡宁县"),
    ("141025", "古县"),
    ("141026", "安泽县"),
    ("141028", "吉县"),
    ("141030", "大宁县"),
    ("141031", "隰县"),
    ("141032", "永和县"),
    ("141033", "蒲县"),
    ("141034", "汾西县"),
]

# Every table's references to others' ids: column -> the layer whose ids it holds.
REFERENCES: dict[str, dict[str, str]] = {
    "streets": {},
    "communities": {"street_id": "streets"},
    "grids": {"community_id": "communities"},
    "compounds": {"grid_id": "grids", "community_id": "communities"},
    "buildings": {"compound_id": "compounds"},
    "units": {"building_id": "buildings"},
    "households": {"unit_id": "units"},
    "heads": {
        "household_id": "households",
        "unit_id": "units",
        "building_id": "buildings",
        "compound_id": "compounds",
    },
    "stations": {"street_id": "streets", "community_id": "communities"},
    "members": {"community_id": "communities", "household_id": "households"},
    "grid_officers": {"community_id": "communities", "grid_id": "grids"},
    "roads": {},
    "gates": {"compound_id": "compounds"},
}
PLANTED = {
    "units_without_head": "units",
    "buildings_without_head": "buildings",
    "compounds_without_head": "compounds",
    "overloaded_units": "units",
    "small_community_stations": "stations",
    "grids_without_officer": "grids",
    "members_inactive": "communities",
}
CODED = ("streets", "communities", "grids", "compounds")

Progress = Callable[[str], None]
MakeCity = Callable[[int, int, Progress], "City"]


def city_sizes(households: int, city_max: int = CITY_MAX) -> list[int]:
    """The households of each city of a province of ``households``: as few cities as
    hold them, of sizes as even as can be."""
    count = math.ceil(households / city_max)
    base, extra = divmod(households, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def generate_province(
    households: int, seed: int, make_city: MakeCity, progress: Progress, city_max: int = CITY_MAX
) -> City:
    """Cities of up to ``city_max`` households made by ``make_city(households, seed,
    progress)``, side by side as one City."""
    sizes = city_sizes(households, city_max)
    if len(sizes) > len(COUNTIES) + 1:
        raise ValueError(f"a province holds at most {len(COUNTIES) + 1} cities")
    west, south, east, north = layout.load_boundary().bounds
    columns = math.ceil(math.sqrt(len(sizes)))
    cities: list[City] = []
    for i, size in enumerate(sizes):
        code, name = (HOUMA_CODE, HOUMA_NAME) if i == 0 else COUNTIES[i - 1]

        def told(step: str, name: str = name, i: int = i) -> None:
            progress(f"{name} ({i + 1}/{len(sizes)}): {step}")

        city = make_city(size, seed + i, told)
        if i:
            row, column = divmod(i, columns)
            shift = (column * (east - west + GAP_M), -row * (north - south + GAP_M))
            city = as_county(city, code, name, shift)
        cities.append(city if not cities else after(city, cities))
    return merged(cities)


def as_county(city: City, code: str, name: str, shift: tuple[float, float]) -> City:
    """A city made as Houma, renamed and recoded as the county ``code`` ``name`` and
    moved by ``shift`` (metres east, north)."""
    changes: dict[str, object] = {}
    for layer in REFERENCES:
        frame = getattr(city, layer).copy()
        if isinstance(frame, gpd.GeoDataFrame):
            frame = frame.set_geometry(frame.geometry.translate(*shift))
        if layer in CODED:
            frame["code"] = code + frame["code"].str[len(HOUMA_CODE) :]
        changes[layer] = frame
    streets = changes["streets"]
    streets["name"] = name + streets["name"]  # type: ignore[index]
    for layer in ("households", "members"):
        frame = changes[layer]
        frame["address"] = name + frame["address"]  # type: ignore[index]
    stations = changes["stations"]
    stations["name"] = [  # type: ignore[index]
        n.replace(HOUMA_NAME, name, 1) if n.startswith(HOUMA_NAME) else name + n
        for n in stations["name"]  # type: ignore[index]
    ]
    roads = changes["roads"]
    roads["ref"] = roads["ref"].str.replace("demo-", f"demo-{code}-", n=1)  # type: ignore[index]
    return replace(city, **changes)  # type: ignore[arg-type]


def after(city: City, before: list[City]) -> City:
    """``city`` with every id and reference moved past the ids of the cities ``before``."""
    offsets = {layer: sum(len(getattr(c, layer)) for c in before) for layer in REFERENCES}
    changes: dict[str, object] = {}
    for layer, refs in REFERENCES.items():
        frame = getattr(city, layer).copy()
        frame["id"] = frame["id"] + offsets[layer]
        for column, target in refs.items():
            frame[column] = _moved(frame[column], offsets[target])
        changes[layer] = frame
    planted = {key: [i + offsets[PLANTED[key]] for i in ids] for key, ids in city.planted.items()}
    service = city.service
    if service is not None:
        act_offset = sum(len(c.service.activities) for c in before if c.service is not None)
        # Early on 1 January no activity has begun: the frames have no columns at all.
        acts = _moved_columns(
            service.activities, {"id": act_offset, "community_id": offsets["communities"]}
        )
        calls = _moved_columns(
            service.calls, {"activity_id": act_offset, "member_id": offsets["members"]}
        )
        inactive = service.inactive_community
        service = activities.Service(
            acts, calls, None if inactive is None else inactive + offsets["communities"]
        )
    return replace(city, planted=planted, service=service, **changes)  # type: ignore[arg-type]


def _moved_columns(frame: pd.DataFrame, offsets: dict[str, int]) -> pd.DataFrame:
    """A copy of ``frame`` with each of those id columns moved (none, if it is empty)."""
    moved = frame.copy()
    if not moved.empty:
        for column, offset in offsets.items():
            moved[column] = _moved(moved[column], offset)
    return moved


def _moved(column: pd.Series, offset: int) -> pd.Series:
    """Ids moved by ``offset``; a missing reference stays missing."""
    if pd.api.types.is_integer_dtype(column.dtype):
        return column + offset
    return column.astype("Int64") + offset


def merged(cities: list[City]) -> City:
    """The cities as one, layer by layer."""
    if len(cities) == 1:
        return cities[0]
    layers: dict[str, object] = {}
    for layer in REFERENCES:
        frames = [getattr(c, layer) for c in cities]
        joined = pd.concat(frames, ignore_index=True)
        if isinstance(frames[0], gpd.GeoDataFrame):
            first = frames[0]
            joined = gpd.GeoDataFrame(joined, geometry=first.geometry.name, crs=first.crs)
        layers[layer] = joined
    planted: dict[str, list[int]] = {}
    for city in cities:
        for key, ids in city.planted.items():
            planted.setdefault(key, []).extend(ids)
    services = [c.service for c in cities if c.service is not None]
    service = None
    if services:
        inactive = next((s.inactive_community for s in services if s.inactive_community), None)
        service = activities.Service(
            pd.concat([s.activities for s in services], ignore_index=True),
            pd.concat([s.calls for s in services], ignore_index=True),
            inactive,
        )
    return replace(cities[0], planted=planted, service=service, **layers)  # type: ignore[arg-type]
