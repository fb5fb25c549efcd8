"""Read who is covered, for map pages: per community, per building, per unit, per head.

A household is covered when it has a current assignment to a unit head (as in
geo_api.figures). Distances to stations are the gap finder's walks (along the
streets, or straight lines where there are none), in metres.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
from sqlalchemy import Connection, text

from geo_api.gaps.access import REACHES_M, circle_params
from geo_api.lookup.heads import HEAD_PLACE, HEAD_PLACE_JOINS
from geo_api.network.walk import unit_walks
from maps.layers import IN_SCOPE, SIMPLIFY_DEG, compact

# Households of each community: how many, with a unit head, and within the
# 10-minute walk of a community station or above (as the gap finder walks it:
# {walk} is geo_api.network.walk's unit-walk subquery).
COMMUNITY_COVERAGE = """
SELECT cm.code, cm.name, cm.geom, count(h.id)::int AS households,
       count(a.household_id)::int AS with_head,
       count(h.id) FILTER (WHERE w.metres <= :reach)::int AS near_station
FROM community cm
LEFT JOIN compound cp ON cp.community_id = cm.id
LEFT JOIN building b ON b.compound_id = cp.id
LEFT JOIN unit u ON u.building_id = b.id
LEFT JOIN household h ON h.unit_id = u.id AND h.ended_on IS NULL
LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
LEFT JOIN ({walk}) w ON w.unit_id = u.id
GROUP BY cm.id ORDER BY cm.code
"""
# Each building (or unit) of a community or grid, with its households and those covered.
_PLACES = """
SELECT {key}, cp.name AS compound, b.number AS building, {extra} {geom} AS geom,
       count(h.id)::int AS households, count(a.household_id)::int AS covered
FROM {table} JOIN compound cp ON cp.id = b.compound_id
JOIN community cm ON cm.id = cp.community_id JOIN grid gr ON gr.id = cp.grid_id
LEFT JOIN household h ON h.unit_id = {unit} AND h.ended_on IS NULL
LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
WHERE {scope}
GROUP BY {group} ORDER BY {key}
"""
BUILDINGS = _PLACES.format(
    key="b.id",
    extra="",
    geom="b.geom",
    table="building b LEFT JOIN unit u ON u.building_id = b.id",
    unit="u.id",
    scope=IN_SCOPE,
    group="b.id, cp.name",
)
UNITS = _PLACES.format(
    key="u.id",
    extra="u.number AS unit,",
    geom="ST_PointOnSurface(u.geom)",
    table="unit u JOIN building b ON b.id = u.building_id",
    unit="u.id",
    scope=IN_SCOPE,
    group="u.id, b.number, cp.name",
)
# A community's or grid's unit heads, each with the rooms they cover by unit, and
# their name and phone (masked by the page for roles that may not see them).
UNIT_HEADS = f"""
SELECT hd.id, hd.name, hd.phone, hd.capacity AS target, hd.max_capacity AS maximum,
       ST_Y({HEAD_PLACE}) AS lat, ST_X({HEAD_PLACE}) AS lon,
       (SELECT count(*) FROM assignment a WHERE a.head_id = hd.id AND a.valid_to IS NULL)::int
         AS load,
       (SELECT json_agg(json_build_array(rb.number, ru.number, rooms.list)
                        ORDER BY rb.number, ru.number)
        FROM (SELECT h.unit_id, array_agg(h.room ORDER BY h.room) AS list
              FROM assignment a JOIN household h ON h.id = a.household_id
              WHERE a.head_id = hd.id AND a.valid_to IS NULL GROUP BY h.unit_id) rooms
        JOIN unit ru ON ru.id = rooms.unit_id JOIN building rb ON rb.id = ru.building_id)
         AS rooms
FROM active_head hd {HEAD_PLACE_JOINS}
JOIN building b ON b.id = su.building_id JOIN compound cp ON cp.id = b.compound_id
JOIN community cm ON cm.id = cp.community_id JOIN grid gr ON gr.id = cp.grid_id
WHERE hd.role = 'unit' AND {IN_SCOPE}
ORDER BY hd.id
"""  # noqa: S608 - constant SQL fragments


def community_coverage(conn: Connection) -> gpd.GeoDataFrame:
    """Every community with households, with_head and near_station (counts)."""
    frame = gpd.read_postgis(
        text(COMMUNITY_COVERAGE.replace("{walk}", unit_walks(conn))),
        conn,
        geom_col="geom",
        crs=4326,
        params={**circle_params("beyond_10min_walk", REACHES_M)},
    )
    frame.geometry = frame.geometry.simplify(SIMPLIFY_DEG * 5)  # a choropleth: coarse is fine
    return compact(frame, simplify=False)


def buildings(
    conn: Connection, community: str | None = None, grid: str | None = None
) -> gpd.GeoDataFrame:
    """Buildings (all, or a community's or grid's) with households and covered."""
    params = {"community": community, "grid": grid}
    frame = gpd.read_postgis(text(BUILDINGS), conn, geom_col="geom", crs=4326, params=params)
    return compact(frame, simplify=True)


def units(
    conn: Connection, community: str | None = None, grid: str | None = None
) -> list[list[float]]:
    """[lat, lon, households, covered] of every unit (a point inside it), or of a
    community's or grid's."""
    params = {"community": community, "grid": grid}
    frame = gpd.read_postgis(text(UNITS), conn, geom_col="geom", crs=4326, params=params)
    return [
        [round(p.y, 6), round(p.x, 6), n, c]
        for p, n, c in zip(frame.geometry, frame["households"], frame["covered"], strict=True)
    ]


def unit_labels(conn: Connection, community: str | None, grid: str | None) -> list[list[Any]]:
    """[lat, lon, building number, unit number] of a community's or grid's units."""
    params = {"community": community, "grid": grid}
    frame = gpd.read_postgis(text(UNITS), conn, geom_col="geom", crs=4326, params=params)
    return [
        [round(p.y, 6), round(p.x, 6), int(b), int(u)]
        for p, b, u in zip(frame.geometry, frame["building"], frame["unit"], strict=True)
    ]


def unit_heads(conn: Connection, community: str | None, grid: str | None) -> gpd.GeoDataFrame:
    """A community's or grid's unit heads: name, phone (in full), load, target, maximum
    and the rooms covered, as [[building number, unit number, [rooms]], ...]."""
    rows = conn.execute(text(UNIT_HEADS), {"community": community, "grid": grid}).mappings().all()
    frame = gpd.GeoDataFrame(
        [{k: v for k, v in r.items() if k not in ("lat", "lon")} for r in rows],
        columns=["id", "name", "phone", "target", "maximum", "load", "rooms"],
        geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
        crs=4326,
    )
    frame["rooms"] = [json.loads(r) if isinstance(r, str) else (r or []) for r in frame["rooms"]]
    return compact(frame, simplify=False)
