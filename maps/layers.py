"""Read the store's layers for map pages: simplified, rounded, in EPSG:4326."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import shapely
from sqlalchemy import Connection, text

from geo_api.gaps.access import REACHES_M
from geo_api.generations.areas import BY_TABLE, valid_in_sql
from geo_api.generations.store import at as generation_at
from geo_api.lookup.heads import HEAD_LOAD, HEAD_PLACE, HEAD_PLACE_JOINS

# About a metre: plenty for a screen, and it keeps pages small.
PRECISION_DEG = 1e-5
SIMPLIFY_DEG = 2e-5

# An officer's map shows one community or grid: :community and :grid narrow the
# areas to it (both NULL: the whole city).
IN_SCOPE = """(CAST(:community AS text) IS NULL OR cm.code = :community)
  AND (CAST(:grid AS text) IS NULL OR gr.code = :grid)"""
AREAS = {
    "street": """SELECT code, name, geom FROM street
        WHERE CAST(:community AS text) IS NULL AND CAST(:grid AS text) IS NULL""",
    "community": """SELECT code, name, geom FROM community cm
        WHERE (CAST(:community AS text) IS NULL OR cm.code = :community)
          AND CAST(:grid AS text) IS NULL""",
    "grid": f"""SELECT gr.code, gr.name, gr.geom FROM grid gr
        JOIN community cm ON cm.id = gr.community_id WHERE {IN_SCOPE}""",  # noqa: S608
    "compound": f"""SELECT cp.code, cp.name, cp.geom FROM compound cp
        JOIN community cm ON cm.id = cp.community_id JOIN grid gr ON gr.id = cp.grid_id
        WHERE {IN_SCOPE}""",  # noqa: S608 - constant SQL fragments
}
# Households within a walk of each station: its service area's count (walked along
# the streets, or within a straight-line circle when it is off the network).
STATIONS = """
SELECT s.name, s.tier, s.floor_area_m2, s.hours, s.geom,
       sa.households AS households_within, sa.method AS reach_method
FROM station s
LEFT JOIN service_area sa ON sa.station_id = s.id AND sa.reach_m = :reach
WHERE CAST(:community AS text) IS NULL
   OR s.community_id = (SELECT id FROM community WHERE code = :community)
ORDER BY s.id
"""
HEADS = f"""
SELECT hd.role, hd.capacity, hd.max_capacity, {HEAD_LOAD} AS load,
       ST_Y({HEAD_PLACE}) AS lat, ST_X({HEAD_PLACE}) AS lon
FROM active_head hd {HEAD_PLACE_JOINS}
WHERE hd.role = :role ORDER BY hd.id
"""  # noqa: S608 - constant SQL fragments


def compact(frame: gpd.GeoDataFrame, simplify: bool) -> gpd.GeoDataFrame:
    """``frame`` with geometry rounded to about a metre (and simplified if asked)."""
    geoms = frame.geometry.simplify(SIMPLIFY_DEG) if simplify else frame.geometry
    frame = frame.rename_geometry("geometry") if frame.geometry.name != "geometry" else frame.copy()
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


def dated_areas(level: str, generation: int) -> str:
    """AREAS[level] from generation ``generation``'s areas (geo_api.generations), its
    levels joined by their parents' codes."""
    gen = str(int(generation))

    def of(table: str) -> str:
        return f"({valid_in_sql(BY_TABLE[table], gen)})"

    return {
        "street": AREAS["street"].replace("FROM street", f"FROM {of('street')} s"),
        "community": AREAS["community"].replace("FROM community cm", f"FROM {of('community')} cm"),
        "grid": f"""SELECT gr.code, gr.name, gr.geom FROM {of("grid")} gr
            JOIN {of("community")} cm ON cm.code = gr.parent_code WHERE {IN_SCOPE}""",  # noqa: S608
        "compound": f"""SELECT cp.code, cp.name, cp.geom FROM {of("compound")} cp
            JOIN {of("grid")} gr ON gr.code = cp.parent_code
            JOIN {of("community")} cm ON cm.code = gr.parent_code WHERE {IN_SCOPE}""",  # noqa: S608
    }[level]


def area_layer(
    conn: Connection,
    level: str,
    community: str | None = None,
    grid: str | None = None,
    at: date | None = None,
) -> gpd.GeoDataFrame:
    """Boundaries of one level (street, community, grid, compound), in a community or
    grid if one is given (a grid's map shows no community outline, only the grid's);
    with ``at``, those in force that day."""
    params = {"community": community, "grid": grid}
    generation = None if at is None else generation_at(conn, at)
    sql = AREAS[level] if generation is None else dated_areas(level, generation.id)
    frame = gpd.read_postgis(text(sql), conn, geom_col="geom", crs=4326, params=params)
    return compact(frame, simplify=True)


def stations(conn: Connection, community: str | None = None) -> gpd.GeoDataFrame:
    """Every service station (or a community's), with the households within a
    10-minute walk of it (its service area; None before `gridgov network build`)."""
    params = {"reach": REACHES_M[1], "community": community}
    frame = gpd.read_postgis(text(STATIONS), conn, geom_col="geom", crs=4326, params=params)
    return frame.rename_geometry("geometry")


def heads(conn: Connection, role: str) -> list[list[float]]:
    """[lat, lon, load, capacity, hard maximum] of every head of a role."""
    rows = conn.execute(text(HEADS), {"role": role})
    return [[round(r.lat, 6), round(r.lon, 6), r.load, r.capacity, r.max_capacity] for r in rows]


def compact_gaps(gaps: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Gaps ready for a page: rounded geometry and only the columns shown."""
    keep = [
        *("type", "label", "severity", "level", "ref_type", "ref_id"),
        *("community_name", "households", "detail", "geometry"),
    ]
    # Simplified too: compound and grid outlines have many vertices on straight edges.
    return compact(gaps[keep], simplify=True)


# One row per place to find by name: a label to type, and a point to fly to.
SEARCH = """
SELECT label, kind, ST_PointOnSurface(geom) AS geom FROM (
  SELECT c.name || ' ' || c.code AS label, 'community' AS kind, c.geom, c.code AS community,
         NULL AS grid FROM community c
  UNION ALL
  SELECT g.name || ' ' || g.code, 'grid', g.geom, c.code, g.code
  FROM grid g JOIN community c ON c.id = g.community_id
  UNION ALL
  SELECT cp.name, 'compound', cp.geom, c.code, g.code
  FROM compound cp JOIN community c ON c.id = cp.community_id JOIN grid g ON g.id = cp.grid_id
  UNION ALL
  SELECT format(:building, cp.name, b.number), 'building', b.geom, c.code, g.code
  FROM building b JOIN compound cp ON cp.id = b.compound_id
  JOIN community c ON c.id = cp.community_id JOIN grid g ON g.id = cp.grid_id
  UNION ALL
  SELECT s.name, 'station', s.geom, c.code, NULL
  FROM station s LEFT JOIN community c ON c.id = s.community_id
) place
WHERE (CAST(:community AS text) IS NULL OR community = :community)
  AND (CAST(:grid AS text) IS NULL OR grid = :grid)
ORDER BY kind, label
"""


def search_places(
    conn: Connection, building: str, community: str | None = None, grid: str | None = None
) -> gpd.GeoDataFrame:
    """Communities and grids (name and code), compounds, buildings (``building`` is a
    format() pattern of compound name and number, e.g. '%s%s号楼') and stations."""
    params = {"building": building, "community": community, "grid": grid}
    frame = gpd.read_postgis(text(SEARCH), conn, geom_col="geom", crs=4326, params=params)
    return compact(frame, simplify=False)
