"""Lookup by point: what is here and who is the head."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from geo_api.api.deps import Read
from geo_api.api.schemas import Lookup
from geo_api.lookup.point import lookup_point

router = APIRouter(tags=["grid officers"])


@router.get("/lookup", response_model=Lookup, responses={404: {"description": "outside the city"}})
def lookup(
    read: Read,
    lon: Annotated[float, Query(ge=-180, le=180, description="WGS 84 longitude")],
    lat: Annotated[float, Query(ge=-90, le=90, description="WGS 84 latitude")],
) -> dict[str, Any]:
    """The street, community, grid, compound, building and unit at a point, with their heads."""
    with read() as conn:
        return lookup_point(conn, lon, lat)
