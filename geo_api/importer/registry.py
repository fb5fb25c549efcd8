"""Every importable layer, in the order a city is loaded: one table, one interface.

A new layer is a module defining a Layer (layer.py) and one line here; the
importer (run.py), the column matching (columns.py), the CLI, the API and the
column documentation (docs/columns.md) all read this table.
"""

from __future__ import annotations

from typing import Any

from geo_api.errors import InvalidInputError
from geo_api.importer.alliance import ALLIANCE_UNITS
from geo_api.importer.areas import COMMUNITIES, COMPOUNDS, GRIDS, STREETS
from geo_api.importer.cells import BUILDINGS, UNITS
from geo_api.importer.demands import DEMANDS
from geo_api.importer.heads import HEADS
from geo_api.importer.households import HOUSEHOLDS
from geo_api.importer.layer import Layer
from geo_api.importer.members import MEMBERS
from geo_api.importer.officers import OFFICERS
from geo_api.importer.projects import PROJECTS
from geo_api.importer.resources import RESOURCES
from geo_api.importer.roads import GATES, ROADS
from geo_api.importer.signins import SIGNINS
from geo_api.importer.stations import STATIONS

REGISTRY: dict[str, Layer[Any]] = {
    layer.name: layer
    for layer in (
        STREETS, COMMUNITIES, GRIDS, COMPOUNDS, BUILDINGS, UNITS, HOUSEHOLDS, STATIONS,
        MEMBERS, HEADS, OFFICERS, ROADS, GATES, SIGNINS, ALLIANCE_UNITS,
        RESOURCES, DEMANDS, PROJECTS,
    )
}  # fmt: skip
LAYERS = list(REGISTRY)


def layer_named(name: str) -> Layer[Any]:
    """The layer called ``name``; an unknown name lists the importable ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown layer {name!r}; importable: {', '.join(LAYERS)}"
        ) from None
