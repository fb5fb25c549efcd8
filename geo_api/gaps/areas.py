"""The gaps of an officer's area: their community's, or, for a grid, those inside it.

A gap of a place (a unit, building or compound; a head or a station) belongs to
the grid its place lies in; a grid's own gap to that grid; a community-wide gap
(such as no community station) concerns every grid of the community.
"""

from __future__ import annotations

import geopandas as gpd
import shapely
from sqlalchemy import Connection, text

from geo_api.catalogue.scope import Area
from geo_api.gaps.stored import city_gaps, select_gaps


def gaps_in_grid(
    gaps: gpd.GeoDataFrame, grid_id: int, outline: shapely.Geometry
) -> gpd.GeoDataFrame:
    """The gaps of a community that concern one of its grids (``outline`` its shape)."""
    inside = shapely.covers(outline, gaps.geometry.representative_point().to_numpy())
    own_grid = (gaps["ref_type"] == "grid") & (gaps["ref_id"] == grid_id)
    community_wide = gaps["ref_type"] == "community"
    return gaps[((gaps["ref_type"] != "grid") & inside) | own_grid | community_wide]


def within_grid(conn: Connection, gaps: gpd.GeoDataFrame, grid_id: int) -> gpd.GeoDataFrame:
    """Of a community's gaps, those that concern one of its grids (by the grid's id)."""
    wkb = conn.execute(
        text("SELECT ST_AsBinary(geom) FROM grid WHERE id = :g"), {"g": grid_id}
    ).scalar_one()
    return gaps_in_grid(gaps, grid_id, shapely.from_wkb(bytes(wkb))).reset_index(drop=True)


def area_gaps(conn: Connection, area: Area | None) -> gpd.GeoDataFrame:
    """Every gap of the city (no area), or of an officer's community or grid, from the
    gaps stored for the current data (geo_api.gaps.stored)."""
    if area is None:
        return city_gaps(conn)
    gaps = select_gaps(conn, community=area.community_code)
    return gaps if area.grid_id is None else within_grid(conn, gaps, area.grid_id)
