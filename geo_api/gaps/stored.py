"""The gaps, found once per data version and then served from the store.

Finding every gap of a city takes seconds (walks along the streets included);
``/gaps``, the OGC gap collections and the maps ask for them on every request,
and GDAL once a page. The whole city's gaps are stored per data version, per
China's day (gaps such as a demand past its checkpoint come with a date, not with
a change of the data) and per the parameters that change what is a gap (grid
limit, walks); types, community and severity only choose among them, and are
applied here.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import geopandas as gpd
from sqlalchemy import Connection

from geo_api.clock import today
from geo_api.db.results import stored
from geo_api.errors import InvalidInputError
from geo_api.gaps.access import REACHES_M
from geo_api.gaps.finder import check_filters, check_reaches, find_gaps
from geo_api.gaps.types import GRID_HOUSEHOLD_LIMIT

KIND = "gaps"


def _encode(frame: gpd.GeoDataFrame) -> bytes:
    out = io.BytesIO()
    frame.to_parquet(out)
    return out.getvalue()


def _decode(body: bytes) -> gpd.GeoDataFrame:
    return gpd.read_parquet(io.BytesIO(body))


def city_gaps(
    conn: Connection,
    grid_limit: int = GRID_HOUSEHOLD_LIMIT,
    reaches: tuple[int, int, int] = REACHES_M,
) -> gpd.GeoDataFrame:
    """Every gap of the city, worst first, as find_gaps gives them, computed once per
    data version and these parameters. Treat it as read-only: it is shared."""
    if grid_limit < 1:
        raise InvalidInputError(f"grid_limit must be at least 1 household, not {grid_limit}")
    check_reaches(reaches)
    # China's day is part of the key: some gaps come with a date (a checkpoint passed,
    # a new year's inactive members), not with a change of the data.
    key = f"grid_limit={grid_limit};reaches={','.join(map(str, reaches))};day={today()}"
    return stored(
        conn,
        KIND,
        key,
        lambda: find_gaps(conn, grid_limit=grid_limit, reaches=reaches),
        _encode,
        _decode,
    )


def select_gaps(
    conn: Connection,
    types: Iterable[str] | None = None,
    community: str | None = None,
    severity: str | None = None,
    grid_limit: int = GRID_HOUSEHOLD_LIMIT,
    reaches: tuple[int, int, int] = REACHES_M,
) -> gpd.GeoDataFrame:
    """The same answer as find_gaps (same filters, same order), from the stored gaps."""
    chosen = check_filters(conn, types, community)
    frame = city_gaps(conn, grid_limit, reaches)
    keep = frame["type"].notna()
    if chosen is not None:
        keep &= frame["type"].isin(chosen)
    if community is not None:
        keep &= frame["community_code"] == community
    if severity:
        keep &= frame["severity"] == severity
    return frame[keep].reset_index(drop=True)
