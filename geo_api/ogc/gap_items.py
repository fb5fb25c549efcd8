"""The gap collections: the gap finder's answer, paged and filtered in Python.

Gaps are computed (geo_api.gaps.finder) once per data version and stored
(geo_api.gaps.stored); a city has thousands of them, not millions, so each page
is cut here from the stored gaps. GDAL asks for a collection page by page: finding
the gaps again for every page took 99 to 224 s for gap_areas. A gap's id is its
type and the id of the place or head it names.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Connection, text

from geo_api.catalogue.scope import Area
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.gaps.areas import area_gaps
from geo_api.gaps.finder import COLUMNS, GAP_LAYERS, gap_layer
from geo_api.ogc.crs import Bbox, Crs
from geo_api.ogc.filtering.parse import parse_properties, parse_sortby
from geo_api.ogc.filtering.queryables import gap_queryables
from geo_api.ogc.gap_filter import matching
from geo_api.ogc.layer_items import BOUNDS
from geo_api.ogc.query import (
    ItemQuery,
    Page,
    after_values,
    check_filters,
    feature_id,
    split_id,
)

# The gap finder's gaps as two collections, one geometry type each (as the exports).
TITLES = {
    "gap_areas": ("覆盖缺口（面）", "Coverage gaps: units, buildings, compounds, grids, territory"),
    "gap_points": ("覆盖缺口（点）", "Coverage gaps: heads and stations"),
}
NAMES = tuple(GAP_LAYERS)
KEY = ("type", "ref_id")
PROPERTIES = [c for c in COLUMNS if c != "geometry"]


def all_gaps(conn: Connection, name: str, area: Area | None = None) -> gpd.GeoDataFrame:
    """Every gap of collection ``name`` (of an officer's area only, when given), in a
    stable order (by id) so that pages do not shift."""
    frame = gap_layer(area_gaps(conn, area), name)
    frame = frame.sort_values(list(KEY), kind="stable").reset_index(drop=True)
    return as_declared(frame, name)


def as_declared(frame: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """The gaps with the one geometry type their collection declares: a unit's or
    building's Polygon as a MultiPolygon of one part in gap_areas. GDAL takes a
    collection's type from its first page; a Polygon there and MultiPolygons later
    made it write a GeoPackage that breaks its own declared type."""
    declared = GAP_LAYERS[name][0]
    if declared != "MultiPolygon":
        return frame
    single = (frame.geom_type == "Polygon").to_numpy()
    if not single.any():
        return frame
    geoms = frame.geometry.to_numpy().copy()
    geoms[single] = [MultiPolygon([g]) for g in geoms[single]]
    frame = frame.copy()
    frame["geometry"] = gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs)
    return frame


def _features(
    frame: gpd.GeoDataFrame, crs: Crs, chosen: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    geoms = frame.geometry.to_crs(crs.srid) if crs.srid != 4326 else frame.geometry
    arrays = geoms.values
    if crs.lat_first:
        arrays = shapely.transform(arrays, lambda xy: xy[:, ::-1])
    records = json.loads(frame.drop(columns="geometry").to_json(orient="records"))
    return [
        {
            "type": "Feature",
            "id": feature_id([props[k] for k in KEY]),
            "geometry": json.loads(shapely.to_geojson(geom)),
            "properties": props if chosen is None else {k: props[k] for k in chosen},
        }
        for props, geom in zip(records, arrays, strict=True)
    ]


def _cut(
    name: str, frame: gpd.GeoDataFrame, filters: dict[str, str], bbox: Bbox | None
) -> gpd.GeoDataFrame:
    check_filters(name, filters, PROPERTIES)
    for prop, value in filters.items():
        kind = gap_queryables()[prop].kind
        frame = frame[_equal(frame[prop], kind, prop, value)]
    if bbox is not None:
        frame = frame[frame.intersects(box(*bbox))]
    return frame


def _equal(column: pd.Series, kind: str, prop: str, value: str) -> pd.Series:
    """Which rows hold ``value``: as a number where the property is one (``3`` matches
    3 and 3.0, whatever the frame's dtype), as text elsewhere."""
    if kind not in ("integer", "number"):
        return column.astype(str) == value
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.isna(number):
        raise InvalidInputError(f"property {prop!r} takes a number, not {value!r}")
    found: pd.Series = pd.to_numeric(column, errors="coerce") == float(number)
    return found


def gap_items(conn: Connection, name: str, query: ItemQuery, area: Area | None = None) -> Page:
    """One page of gaps, and how many match (gaps are few: counted on every page)."""
    queryables = gap_queryables()
    chosen = parse_properties(query.properties, queryables)
    sort = parse_sortby(query.sortby, queryables)
    frame = _cut(name, all_gaps(conn, name, area), query.filters, query.bbox)
    if query.filter is not None:
        frame = frame[matching(conn, frame, query.filter)]
    if sort:  # then by id, so that equal values keep one order from page to page
        frame = frame.sort_values(
            [k.name for k in sort] + list(KEY),
            ascending=[not k.descending for k in sort] + [True] * len(KEY),
            kind="stable",
        )
    start = query.offset
    if query.after is not None:
        gap_type, ref_id = after_values(name, query.after, [str, int])
        keys = list(zip(frame["type"], frame["ref_id"], strict=True))
        start = sum(1 for key in keys if key <= (gap_type, ref_id))  # sorted by KEY
    page = frame.iloc[start : start + query.limit]
    return Page(_features(page, query.crs, chosen), len(frame))


def gap_item(
    conn: Connection, name: str, fid: str, crs: Crs, area: Area | None = None
) -> dict[str, Any]:
    """One gap by its id (type-ref_id)."""
    gap_type, ref_id = split_id(name, fid, [str, int])
    frame = all_gaps(conn, name, area)
    found = frame[(frame["type"] == gap_type) & (frame["ref_id"] == ref_id)]
    if found.empty:
        raise NotFoundError(f"collection {name!r} has no feature {fid!r}")
    return _features(found.iloc[:1], crs)[0]


# Every gap lies in the city's streets, and an officer's in their community (a grid's
# community-wide gaps are the community's): finding the gaps to bound them took 13 s
# at 1,000,000 households, on every /collections.
GAP_BOUNDS = {
    False: "SELECT ST_Extent(geom) AS e FROM street",
    True: "SELECT ST_Extent(geom) AS e FROM community WHERE id = :community",
}


def gap_extent(conn: Connection, area: Area | None = None) -> Bbox | None:
    """A lon/lat box holding every gap (of ``area``, if given): the streets', or the
    community's (None when there are none)."""
    bounds = f"SELECT {BOUNDS} FROM ({GAP_BOUNDS[area is not None]}) AS x"  # noqa: S608
    params = {"community": area.community_id if area else None}
    row = conn.execute(text(bounds), params).one()
    return None if row[0] is None else (row[0], row[1], row[2], row[3])
