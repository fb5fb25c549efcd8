"""The demo city: a deterministic, Houma-like city inside Houma's real boundary.

At the default 60,000 households it matches Houma's published figures (5
streets, 30 communities, 277 compounds, about 1,364 building heads and 3,346
unit heads, 1+5+30+N stations, 4,932 registered members) less the gaps it
plants on purpose so that the gap finder has work. Past 1,000,000 households it
is a province of several such cities (geo_api.demo.province).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_api.clock import CHINA
from geo_api.demo import activities, housing, layout, people, roads, siting
from geo_api.demo.province import CITY_MAX, generate_province
from geo_api.errors import InvalidInputError

DEMO_HOUSEHOLDS = 60_000
DEMO_SEED = 141081
MIN_HOUSEHOLDS = 1_000
MAX_HOUSEHOLDS = 10_000_000
HOUMA_COMPOUNDS = 277
HOUMA_MEMBERS = 4_932
MAX_COMPOUNDS = 900  # past this the city grows upwards, not outwards
MAX_UNITS_PER_COMPOUND = 40
SEGMENT_M = 20.0
GREEN = 1.4  # a compound's ground per unit of its slabs' rows
MARGIN_M = 35.0  # a compound's fence, paths and gates around the rows

Progress = Callable[[str], None]


@dataclass
class City:
    """Every layer of a generated city, in metres (EPSG:4546), ids from 1."""

    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    units: gpd.GeoDataFrame
    households: gpd.GeoDataFrame
    heads: pd.DataFrame
    stations: gpd.GeoDataFrame
    members: gpd.GeoDataFrame
    grid_officers: pd.DataFrame
    roads: gpd.GeoDataFrame
    gates: gpd.GeoDataFrame
    # Gaps planted on purpose: name -> ids (units, buildings, compounds, stations).
    planted: dict[str, list[int]] = field(default_factory=dict)
    # Members' service this year: activities, calls, check-ins (loaded with points).
    service: activities.Service | None = None

    def counts(self) -> dict[str, int]:
        """Rows per layer, and heads per role."""
        out = {name: len(getattr(self, name)) for name in LAYER_NAMES}
        for role, n in self.heads["role"].value_counts().items():
            out[f"{role} heads"] = int(n)
        return out


LAYER_NAMES = [
    "streets",
    "communities",
    "grids",
    "compounds",
    "buildings",
    "units",
    "households",
    "heads",
    "stations",
    "members",
    "grid_officers",
    "roads",
    "gates",
]


def check_households(households: int) -> None:
    """Refuse a city size the generator does not make."""
    if not MIN_HOUSEHOLDS <= households <= MAX_HOUSEHOLDS:
        raise InvalidInputError(
            f"--households must be between {MIN_HOUSEHOLDS:,} and {MAX_HOUSEHOLDS:,}, "
            f"not {households:,}"
        )


def _skip(_: str) -> None:
    return None


def generate_city(
    households: int = DEMO_HOUSEHOLDS, seed: int = DEMO_SEED, progress: Progress = _skip
) -> City:
    """Generate a city of ``households`` households; the same seed gives the same city.
    Past 1,000,000 households, a province of several such cities side by side
    (geo_api.demo.province)."""
    check_households(households)
    if households > CITY_MAX:
        return generate_province(households, seed, one_city, progress)
    return one_city(households, seed, progress)


def one_city(households: int, seed: int, progress: Progress = _skip) -> City:
    """One Houma-like city of ``households`` households."""
    rng = np.random.default_rng(seed)
    scale = households / DEMO_HOUSEHOLDS
    progress("boundary, streets and communities")
    boundary = layout.load_boundary()
    core = layout.core_point()
    streets, communities = layout.admin_areas(boundary, core, rng)

    progress("compounds and grids")
    n_compounds = min(MAX_COMPOUNDS, max(len(communities), round(HOUMA_COMPOUNDS * scale)))
    # Past MAX_UNITS_PER_COMPOUND the buildings grow taller instead.
    units_per_compound = min(MAX_UNITS_PER_COMPOUND, housing.units_needed(households) / n_compounds)
    # Enough ground for the slabs, with green space between the rows: walk-up
    # compounds at about 155 households a hectare, as Chinese towns build them (at
    # half that, communities spread so far that most homes were beyond a 10-minute
    # walk of their station).
    ground = units_per_compound * housing.UNIT_WIDTH_M * housing.ROW_PITCH_M * GREEN
    side = math.sqrt(ground) + MARGIN_M
    quota = layout.compound_quota(communities, n_compounds)
    grids, compounds = layout.grids_and_compounds(communities, quota, side, rng)

    progress("buildings, units and households")
    homes = housing.build_housing(
        compounds, communities, streets, households, units_per_compound, rng
    )

    progress("heads, stations and members")
    head_table, planted = people.heads(
        homes.units, homes.buildings, compounds, homes.households, homes.overloaded_units, rng
    )
    outposts = max(5, min(400, round(40 * scale)))
    unit_homes = siting.unit_homes(homes.units, homes.buildings, compounds, homes.households)
    station_table, small = people.stations(
        core, streets, communities, compounds, outposts, rng, unit_homes
    )
    planted["small_community_stations"] = small
    progress("streets and gates")
    gate_points = roads.gates(compounds)
    # Community stations move onto a street below (siting): no lane leads to them.
    lanes_to = station_table.geometry[station_table["tier"] != "community"]
    entrances = pd.concat([gate_points.geometry, lanes_to], ignore_index=True)
    street_lines = roads.streets(compounds, entrances)
    progress("community stations where their homes can walk to them")
    station_table = siting.community_stations(
        station_table,
        communities,
        unit_homes,
        street_lines,
        gate_points,
    )
    community_of = _community_of_households(homes, compounds)
    member_table = people.members(
        homes.households, community_of, max(1, round(HOUMA_MEMBERS * scale)), rng
    )
    officer_table, planted["grids_without_officer"] = people.grid_officers(grids, rng)
    homes.households["volunteer"] = people.volunteers(homes.households, rng)
    # Straight edges in metres bend slightly in lon/lat: short segments keep
    # children inside their parents after reprojection.
    for frame in (streets, communities, grids):
        dense = shapely.segmentize(frame.geometry.to_numpy(), SEGMENT_M)
        frame.geometry = [layout.as_multi(g) for g in dense]
    compounds.geometry = shapely.segmentize(compounds.geometry.to_numpy(), SEGMENT_M)
    progress("activities and check-ins")
    # A generator of its own: the service changes with the date, the city must not.
    # Where every member lives, those placed later by their address included.
    home_community = dict(zip(homes.households["address"], community_of, strict=True))
    served = activities.service(
        member_table.assign(community_id=member_table["address"].map(home_community)),
        communities,
        np.random.default_rng(seed + 17),
        datetime.now(CHINA),
    )
    if served.inactive_community is not None:
        planted["members_inactive"] = [served.inactive_community]
    return City(
        streets=streets,
        communities=communities.drop(columns=["seed_x", "seed_y", "urban"]),
        grids=grids,
        compounds=compounds,
        buildings=homes.buildings,
        units=homes.units,
        households=homes.households,
        heads=head_table,
        stations=station_table,
        members=member_table,
        grid_officers=officer_table,
        roads=roads.as_lines(street_lines),
        gates=gate_points,
        planted=planted,
        service=served,
    )


def _community_of_households(homes: housing.Housing, compounds: gpd.GeoDataFrame) -> np.ndarray:
    """The community id of every household, through unit, building and compound."""
    building_of_unit = homes.units["building_id"].to_numpy()
    compound_of_building = homes.buildings["compound_id"].to_numpy()
    community_of_compound = compounds["community_id"].to_numpy()
    units = homes.households["unit_id"].to_numpy() - 1
    community: np.ndarray = community_of_compound[
        compound_of_building[building_of_unit[units] - 1] - 1
    ]
    return community
