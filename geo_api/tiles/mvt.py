"""Mapbox vector tiles (MVT) of households and buildings, cut and encoded by PostGIS.

A city of millions of households cannot send them in one page: the map asks for
the tiles on screen instead. No personal data is in them: households come
aggregated per unit (the unit, how many households, how many have a unit head),
buildings with their compound, number and the same counts.

Tiles for a GCJ-02 basemap (AMap, Tencent): PostGIS cannot convert to GCJ-02, so
the features near the tile are read, moved with geo_api.geo.china's converter
and handed back to PostGIS to cut and encode.

An officer's tiles hold their own community (or grid) only: the units and
buildings are chosen in SQL, through the same area as exports and the OGC API.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy import Connection, TextClause, text

from geo_api.catalogue.scope import Area
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.geo.china import wgs84_to_gcj02

MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
MAX_ZOOM = 22
EXTENT, BUFFER = 4096, 64
# GCJ-02 moves points by at most about 700 m. Features are read from the tile widened by
# this many Web Mercator metres (1,000 m on the ground up to 60° of latitude).
GCJ_MARGIN = 2_000.0

# Each layer: one row per feature, its properties as jsonb and its geometry in WGS 84,
# in the box :box (EPSG:4326). Households are counted per unit, at a point inside it.
FEATURES = {
    "households": """
        SELECT jsonb_build_object('unit_id', u.id, 'households', count(h.id),
                                  'covered', count(a.household_id)) AS props,
               ST_PointOnSurface(u.geom) AS geom
        FROM unit u LEFT JOIN household h ON h.unit_id = u.id AND h.ended_on IS NULL
        LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
        WHERE u.geom && {box} AND {scope} GROUP BY u.id""",
    "buildings": """
        SELECT jsonb_build_object('building_id', b.id, 'compound', cp.name,
                                  'number', b.number, 'households', count(h.id),
                                  'covered', count(a.household_id)) AS props,
               b.geom
        FROM building b JOIN compound cp ON cp.id = b.compound_id
        LEFT JOIN unit u ON u.building_id = b.id
        LEFT JOIN household h ON h.unit_id = u.id AND h.ended_on IS NULL
        LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
        WHERE b.geom && {box} AND {scope} GROUP BY b.id, cp.name""",
}
# The features an officer sees, in geo_api.catalogue.scope's placeholders.
SCOPES = {
    "households": "u.id = ANY(ARRAY({units}))",
    "buildings": "b.id = ANY(ARRAY({buildings}))",
}
LAYERS = tuple(FEATURES)
TILE_BOX = "ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)"
WIDE_BOX = "ST_Transform(ST_Expand(ST_TileEnvelope(:z, :x, :y), :margin), 4326)"
ENCODE = """
SELECT ST_AsMVT(t, :layer, {extent}, 'geom') AS mvt FROM (
  SELECT f.props, ST_AsMVTGeom(ST_Transform(f.geom, 3857), ST_TileEnvelope(:z, :x, :y),
                               {extent}, {buffer}, true) AS geom
  FROM ({features}) f) t
WHERE t.geom IS NOT NULL
"""
# The moved features come back as arrays of jsonb properties and WKB geometries.
MOVED = """SELECT CAST(p AS jsonb) AS props, ST_GeomFromWKB(w, 4326) AS geom
        FROM unnest(CAST(:props AS text[]), CAST(:wkb AS bytea[])) AS m(p, w)"""


def check_tile(layer: str, z: int, x: int, y: int) -> None:
    """NotFoundError for an unknown layer, InvalidInputError for z/x/y out of range."""
    if layer not in FEATURES:
        raise NotFoundError(f"no tile layer {layer!r}; the layers are {', '.join(LAYERS)}")
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInputError(f"z must be 0 to {MAX_ZOOM}, not {z}")
    last = 2**z - 1
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value <= last:
            raise InvalidInputError(f"{name} must be 0 to {last} at zoom {z}, not {value}")


def _gcj02(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


@cache
def _encode(layer: str, scope: str, features: str = "") -> TextClause:
    """The statement that cuts and encodes a tile (a few layer and area shapes, so kept:
    the API's statement pool compiles each once)."""
    chosen = features or FEATURES[layer].format(box=TILE_BOX, scope=scope)
    return text(ENCODE.format(extent=EXTENT, buffer=BUFFER, features=chosen))


def _scoped(layer: str, z: int, x: int, y: int, area: Area | None) -> tuple[str, dict[str, Any]]:
    check_tile(layer, z, x, y)
    params: dict[str, Any] = {"layer": layer, "z": z, "x": x, "y": y}
    if area is None:
        return "TRUE", params
    return area.condition(SCOPES[layer]), params | area.params


def tile_statement(
    layer: str, z: int, x: int, y: int, area: Area | None = None
) -> tuple[TextClause, dict[str, Any]]:
    """The one statement (and its values) of a WGS 84 tile, whose ``mvt`` column is the
    tile: the API runs it on its asyncio pool, ``tile`` on a connection."""
    scope, params = _scoped(layer, z, x, y, area)
    return _encode(layer, scope), params


def tile(
    conn: Connection,
    layer: str,
    z: int,
    x: int,
    y: int,
    gcj02: bool = False,
    area: Area | None = None,
) -> bytes:
    """The tile z/x/y of ``layer`` as MVT bytes (empty when nothing is in it); with
    ``gcj02`` its features are moved to GCJ-02 first, for AMap and Tencent basemaps;
    with ``area``, only the features in it."""
    if not gcj02:
        statement, params = tile_statement(layer, z, x, y, area)
        return mvt_bytes(conn.execute(statement, params).scalar_one())
    scope, params = _scoped(layer, z, x, y, area)
    near = FEATURES[layer].format(box=WIDE_BOX, scope=scope)
    rows = conn.execute(
        text(f"SELECT CAST(props AS text), ST_AsBinary(geom) FROM ({near}) f"),  # noqa: S608
        {**params, "margin": GCJ_MARGIN},
    ).all()
    if not rows:
        return b""
    moved = shapely.transform(shapely.from_wkb([bytes(r[1]) for r in rows]), _gcj02)
    params |= {"props": [r[0] for r in rows], "wkb": list(shapely.to_wkb(moved))}
    return mvt_bytes(conn.execute(_encode(layer, scope, MOVED), params).scalar_one())


def mvt_bytes(data: Any) -> bytes:
    """The encoded tile as bytes (empty when nothing is in it)."""
    return bytes(data) if data else b""
