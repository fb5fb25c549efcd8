"""Lookup by point: what is here and who is the head."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from geo_api.api.deps import Read
from geo_api.api.schemas import Lookup
from geo_api.lookup.point import lookup_point

router = APIRouter(tags=["grid officers"])


@router.get(
    "/lookup",
    response_model=Lookup,
    responses={404: {"description": "outside the city"}, 422: {"description": "not a coordinate"}},
)
def lookup(
    read: Read,
    # Bounds are checked by the domain, whose messages say more (e.g. "swapped?").
    lon: Annotated[float, Query(description="WGS 84 longitude, -180 to 180")],
    lat: Annotated[float, Query(description="WGS 84 latitude, -90 to 90")],
) -> dict[str, Any]:
    """The street, community, grid, compound, building and unit at a point, with their heads."""
    with read() as conn:
        return lookup_point(conn, lon, lat)
