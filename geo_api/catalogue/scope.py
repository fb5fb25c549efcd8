"""An officer's area: the rows of each layer that lie in their community, or in their
grid when their key names one, as a WHERE condition over the layer's row ``l``.

Each layer states its condition (``Layer.scope``) with the placeholders below,
filled with subqueries over the store's relations (a compound has its grid and
community; a building its compound, a unit its building, a household its unit),
so that the tables' keys and indexes answer them. Values are bound, never
formatted in. A layer without a condition shows an officer nothing.

Conditions test membership as ``= ANY(ARRAY(subquery))``, not ``IN (subquery)``:
the subquery then runs once, and the rows are reached through the index on the
column; with IN and a page's ORDER BY id LIMIT, PostgreSQL walks the primary key
and filters, which for a community stored late in a city of 1,000,000 households
reads nearly all of them (2.5 s for 100 households, against 30 ms).

Above the grid, an officer of a grid sees what frames it: their community and
its members' count, their street, and the stations that serve them: their
community's own (station and outposts) and, having no community, their street's
centre and the city's (the "1+5+30+N" chain above them). Roads are those that
cross their community (or grid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo_api.catalogue.layers import Layer

NOTHING = "FALSE"  # a layer that says nothing of its area shows an officer nothing
STREET = "SELECT c.street_id FROM community c WHERE c.id = :area_community"


def _fragments(in_area: str, grids: str, boundary: str) -> dict[str, str]:
    """The placeholders' subqueries, given the compounds, grids and outline of an area
    (constant fragments: every value is bound)."""
    return {
        "compounds": f"SELECT cp.id FROM compound cp WHERE {in_area}",  # noqa: S608
        "buildings": (
            "SELECT b.id FROM building b JOIN compound cp ON cp.id = b.compound_id "  # noqa: S608
            f"WHERE {in_area}"
        ),
        "units": (
            "SELECT u.id FROM unit u JOIN building b ON b.id = u.building_id "  # noqa: S608
            f"JOIN compound cp ON cp.id = b.compound_id WHERE {in_area}"
        ),
        "grids": grids,
        "boundary": boundary,
        "street": STREET,
        "stations": (
            "SELECT s.id FROM station s WHERE s.community_id = :area_community "  # noqa: S608
            f"OR (s.community_id IS NULL AND (s.street_id IS NULL OR s.street_id = ({STREET})))"
        ),
    }


# Keyed by whether the area is one grid.
FRAGMENTS = {
    False: _fragments(
        "cp.community_id = :area_community",
        "SELECT g.id FROM grid g WHERE g.community_id = :area_community",
        "SELECT c.geom FROM community c WHERE c.id = :area_community",
    ),
    True: _fragments(
        "cp.community_id = :area_community AND cp.grid_id = :area_grid",
        "SELECT g.id FROM grid g WHERE g.community_id = :area_community AND g.id = :area_grid",
        "SELECT g.geom FROM grid g WHERE g.id = :area_grid",
    ),
}


@dataclass(frozen=True)
class Area:
    """A community, or one grid of it, that a caller is held to."""

    community_id: int
    community_code: str
    grid_id: int | None = None

    @property
    def params(self) -> dict[str, Any]:
        """The values the conditions bind."""
        params: dict[str, Any] = {"area_community": self.community_id}
        if self.grid_id is not None:
            params["area_grid"] = self.grid_id
        return params

    def fragments(self) -> dict[str, str]:
        """The subqueries a layer's condition is written with."""
        return FRAGMENTS[self.grid_id is not None]

    def condition(self, template: str | None) -> str:
        """A condition written with the placeholders, filled for this area."""
        if template is None:
            return NOTHING
        return f"({template.format(**self.fragments())})"

    def where(self, layer: Layer) -> str:
        """The layer's condition for this area, over its row ``l``."""
        return self.condition(layer.scope)


def where(layer: Layer, area: Area | None) -> tuple[str, dict[str, Any]]:
    """The WHERE condition and its values that hold ``layer`` to ``area`` (none: all)."""
    if area is None:
        return "TRUE", {}
    return area.where(layer), area.params
