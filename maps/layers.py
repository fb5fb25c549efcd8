"""Read the store's layers for map pages: simplified, rounded, in EPSG:4326."""

from __future__ import annotations

import geopandas as gpd
import shapely
from sqlalchemy import Connection, text

from geo_api.lookup.heads import HEAD_LOAD, HEAD_PLACE, HEAD_PLACE_JOINS

# About a metre: plenty for a screen, and it keeps pages small.
PRECISION_DEG = 1e-5
SIMPLIFY_DEG = 2e-5

AREAS = {
    "street": "SELECT code, name, geom FROM street",
    "community": "SELECT code, name, geom FROM community",
    "grid": "SELECT code, name, geom FROM grid",
    "compound": "SELECT code, name, geom FROM compound",
}
STATIONS = "SELECT name, tier, floor_area_m2, hours, geom FROM station ORDER BY id"
HEADS = f"""
SELECT hd.role, hd.capacity, hd.max_capacity, {HEAD_LOAD} AS load,
       ST_Y({HEAD_PLACE}) AS lat, ST_X({HEAD_PLACE}) AS lon
FROM active_head hd {HEAD_PLACE_JOINS}
WHERE hd.role = :role ORDER BY hd.id
"""  # noqa: S608 - constant SQL fragments


def _compact(frame: gpd.GeoDataFrame, simplify: bool) -> gpd.GeoDataFrame:
    geoms = frame.geometry.simplify(SIMPLIFY_DEG) if simplify else frame.geometry
    frame = frame.copy()
    frame.geometry = shapely.set_precision(geoms.to_numpy(), PRECISION_DEG)
    return frame


def compound_extent(conn: Connection) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of every compound, or None when there is none."""
    row = conn.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            "FROM (SELECT ST_Extent(geom) AS e FROM compound) x"
        )
    ).one()
    return None if row[0] is None else (row[0], row[1], row[2], row[3])


def area_layer(conn: Connection, level: str) -> gpd.GeoDataFrame:
    """Boundaries of one level (street, community, grid, compound)."""
    frame = gpd.read_postgis(text(AREAS[level]), conn, geom_col="geom", crs=4326)
    return _compact(frame, simplify=True)


def stations(conn: Connection) -> gpd.GeoDataFrame:
    """Every service station."""
    return gpd.read_postgis(text(STATIONS), conn, geom_col="geom", crs=4326)


def heads(conn: Connection, role: str) -> list[list[float]]:
    """[lat, lon, load, capacity, hard maximum] of every head of a role."""
    rows = conn.execute(text(HEADS), {"role": role})
    return [[round(r.lat, 6), round(r.lon, 6), r.load, r.capacity, r.max_capacity] for r in rows]


def compact_gaps(gaps: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Gaps ready for a page: rounded geometry and only the columns shown."""
    keep = ["type", "label", "severity", "community_name", "households", "detail", "geometry"]
    return _compact(gaps[keep], simplify=False)
