"""The gap finder: where the grid does not cover people.

Each gap has a type, a severity, the level responsible, the community, the
households (and persons) affected and a geometry. Distances are in metres on
the geography type, never in degrees.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.gaps.access import ACCESS_GAPS, CIRCLES, REACHES_M, circle_params
from geo_api.gaps.party import PARTY_GAPS
from geo_api.gaps.territory import TERRITORY_GAPS, TERRITORY_MIN_M2
from geo_api.gaps.types import (
    COVERAGE_GAPS,
    GRID_HOUSEHOLD_LIMIT,
    STATION_MIN_AREA_M2,
    STATION_TOLERANCE_M,
    GapType,
)
from geo_api.network.walk import STRAIGHT_SQL, WALK_SQL, has_network

GAP_TYPES: list[GapType] = [*COVERAGE_GAPS, *ACCESS_GAPS, *TERRITORY_GAPS, *PARTY_GAPS]
GAP_NAMES = [g.name for g in GAP_TYPES]
COLUMNS = [
    "type",
    "label",
    "severity",
    "level",
    "ref_type",
    "ref_id",
    "community_code",
    "community_name",
    "households",
    "persons",
    "detail",
    "geometry",
]


def check_filters(
    conn: Connection, types: Iterable[str] | None, community: str | None
) -> list[str] | None:
    """The gap types asked for (None: all), checked, and the community's code checked:
    an unknown type is a 422, an unknown community a 404."""
    chosen = list(types) if types else None
    unknown = sorted(set(chosen or ()) - set(GAP_NAMES))
    if unknown:
        raise InvalidInputError(
            f"unknown gap type {', '.join(unknown)}; known: {', '.join(GAP_NAMES)}"
        )
    if community is not None:
        known = conn.execute(text("SELECT 1 FROM community WHERE code = :c"), {"c": community})
        if known.first() is None:
            raise NotFoundError(f"no community has the code {community!r} (12 digits)")
    return chosen


def find_gaps(
    conn: Connection,
    types: Iterable[str] | None = None,
    community: str | None = None,
    severity: str | None = None,
    grid_limit: int = GRID_HOUSEHOLD_LIMIT,
    reaches: tuple[int, int, int] = REACHES_M,
) -> gpd.GeoDataFrame:
    """Every gap of the chosen types (default: all) in EPSG:4326, worst first.

    A grid with more than ``grid_limit`` households is a gap; ``reaches`` are the
    5-, 10- and 15-minute walks in metres. Street-level gaps (territory) have no
    community and are left out when ``community`` is given.
    """
    chosen = check_filters(conn, types, community) or GAP_NAMES
    if grid_limit < 1:
        raise InvalidInputError(f"grid_limit must be at least 1 household, not {grid_limit}")
    check_reaches(reaches)
    params = {
        "area": STATION_MIN_AREA_M2,
        "grid_limit": grid_limit,
        "tolerance": STATION_TOLERANCE_M,
        "territory_m2": TERRITORY_MIN_M2,
    }
    walk = WALK_SQL if has_network(conn) else STRAIGHT_SQL
    frames = []
    for gap in GAP_TYPES:
        if gap.name not in chosen:
            continue
        gap_sql = gap.sql.replace("{walk}", walk)
        extra = circle_params(gap.name, reaches) if gap.name in CIRCLES else {}
        sql = f"""
            SELECT :type AS type, :label AS label, g.severity, :level AS level,
                   :ref AS ref_type, g.ref_id,
                   c.code AS community_code, c.name AS community_name,
                   g.households::int AS households, g.persons::int AS persons, g.detail, g.geom
            FROM ({gap_sql}) g LEFT JOIN community c ON c.id = g.community_id
            WHERE (CAST(:community AS text) IS NULL OR c.code = :community)
        """  # noqa: S608 - gap SQL is constant (geo_api.gaps); every value is bound
        frame = gpd.read_postgis(
            text(sql),
            conn,
            geom_col="geom",
            params={
                **params,
                **extra,
                "type": gap.name,
                "label": gap.label,
                "level": gap.level,
                "ref": gap.ref,
                "community": community,
            },
        )
        frames.append(frame.rename_geometry("geometry"))
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=4326)
    if severity:
        out = out[out["severity"] == severity]
    rank = out["severity"].map({"high": 0, "medium": 1, "low": 2})
    out = out.assign(_rank=rank).sort_values(["_rank", "households"], ascending=[True, False])
    return out.drop(columns="_rank").reset_index(drop=True)[COLUMNS]


# Gaps are areas (units, buildings, compounds, grids, territory) or points (heads,
# stations): exports and the OGC API publish them as two layers, one geometry type
# each, as GIS tools expect. Layer -> (GDAL's type for it, the geometry types in it).
GAP_LAYERS = {
    "gap_areas": ("MultiPolygon", ("Polygon", "MultiPolygon")),
    "gap_points": ("Point", ("Point",)),
}


def gap_layer(gaps: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """The gaps of one gap layer (``gap_areas`` or ``gap_points``)."""
    return gaps[gaps.geom_type.isin(GAP_LAYERS[name][1])].reset_index(drop=True)


def check_reaches(reaches: tuple[int, ...]) -> None:
    """Refuse life circles that are not three growing walks in metres."""
    if len(reaches) != len(REACHES_M) or not all(0 < r <= 5000 for r in reaches):
        raise InvalidInputError(
            f"reaches must be three walks of 1 to 5000 m (5-, 10-, 15-minute), not {reaches}"
        )
    if list(reaches) != sorted(reaches):
        raise InvalidInputError(f"reaches must grow from the 5- to the 15-minute walk: {reaches}")


def summary(gaps: gpd.GeoDataFrame) -> pd.DataFrame:
    """Gap counts per community (rows) and type (columns)."""
    named = gaps.fillna({"community_name": "（不属于任何社区）"})
    table = pd.crosstab(named["community_name"], named["type"]).rename_axis("社区")
    return table.reindex(columns=[n for n in GAP_NAMES if n in table.columns])
