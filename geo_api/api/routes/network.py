"""Stations' service areas and the siting of new outposts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

import geopandas as gpd
from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import text

from geo_api.api.deps import Read
from geo_api.network.areas import REACHES_M
from geo_api.siting.outposts import MAX_K, MAX_REACH_M, plan_outposts

router = APIRouter(tags=["command centre"])

AREAS_SQL = """
SELECT s.name AS station, s.tier, sa.reach_m, sa.method, sa.households, sa.geom
FROM service_area sa JOIN station s ON s.id = sa.station_id
WHERE (CAST(:reach AS int) IS NULL OR sa.reach_m = :reach)
  AND (CAST(:tier AS text) IS NULL OR s.tier = :tier)
ORDER BY s.id, sa.reach_m
"""


@router.get(
    "/service-areas",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def service_areas(
    read: Read,
    reach: Annotated[int | None, Query(ge=1, le=5000, description=f"one of {REACHES_M} m")] = None,
    tier: Literal["city", "street", "community", "outpost"] | None = None,
) -> Response:
    """Each station's service area (服务范围): the ground within a walk of 300, 500 and
    1,000 m, with the households that walk reaches; ``method`` says whether it was
    walked along streets or drawn as a straight-line circle."""
    with read() as conn:
        frame = gpd.read_postgis(
            text(AREAS_SQL), conn, geom_col="geom", params={"reach": reach, "tier": tier}
        )
    return Response(
        frame.to_json(drop_id=True, ensure_ascii=False), media_type="application/geo+json"
    )


@router.get("/siting")
def siting(
    read: Read,
    k: Annotated[int, Query(ge=1, le=MAX_K, description="new outposts to propose")] = 5,
    reach: Annotated[
        float, Query(ge=50, le=MAX_REACH_M, description="walk an outpost serves, m")
    ] = 300,
) -> dict[str, Any]:
    """Where to open k new outposts (驿站) to reach the most homes now beyond a walk of
    ``reach`` metres, and the fewest outposts that would reach them all (candidates:
    compound gates). Coverage is in households, before and after."""
    with read() as conn:
        plan = plan_outposts(conn, k=k, reach_m=reach)
    body = asdict(plan)
    body["links"] = [{"rel": "related", "href": "/recruits", "title": "new unit heads"}]
    return body
