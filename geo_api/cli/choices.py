"""The defaults and choices the commands' options show in --help.

They are copies of the domain's constants, kept here because the domain modules
that own them import pandas, geopandas, SciPy or OR-Tools, and `gridgov --help`
must not wait for those (tests/test_cli_startup.py checks that each copy still
equals the domain's value).
"""

from __future__ import annotations

from typing import Final

# geo_api.demo.city
DEMO_HOUSEHOLDS: Final = 60_000
DEMO_SEED: Final = 141081
# geo_api.importer.run.LAYERS
IMPORT_LAYERS: Final = (
    "streets",
    "communities",
    "grids",
    "compounds",
    "buildings",
    "units",
    "households",
    "stations",
    "members",
    "heads",
    "officers",
    "roads",
    "gates",
    "signins",
    "alliance_units",
    "resources",
    "demands",
    "projects",
)
# geo_api.assign.tasks.SOLVERS
SOLVERS: Final = ("greedy", "flow")
# geo_api.assign.recruit.REACH_M: the 5-minute life circle
RECRUIT_REACH_M: Final = 300.0
# geo_api.gaps.finder.GAP_NAMES
GAP_NAMES: Final = (
    "households_without_head",
    "unit_without_head",
    "head_over_capacity",
    "building_without_head",
    "compound_without_head",
    "grid_without_officer",
    "station_below_standard",
    "community_without_station",
    "station_outside_community",
    "grid_over_households",
    "beyond_5min_walk",
    "beyond_10min_walk",
    "beyond_15min_walk",
    "territory_without_community",
    "community_overlap",
    "demand_past_checkpoint",
    "community_without_alliance",
    "project_behind_milestones",
    "members_inactive",
)
# geo_api.gaps.types.GRID_HOUSEHOLD_LIMIT
GRID_HOUSEHOLD_LIMIT: Final = 1000
# geo_api.gaps.access.REACHES_M
REACHES_M: Final = (300, 500, 1000)
# geo_api.export.layers.FORMATS
EXPORT_FORMATS: Final = ("gpkg", "geojson", "shp", "fgb", "csv", "parquet")
