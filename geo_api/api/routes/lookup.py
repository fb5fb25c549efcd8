"""Lookup by point: what is here and who is the head."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from geo_api.api.auth import CallerDep, audited, check_area
from geo_api.api.deps import Read, ReadOne, Transaction
from geo_api.api.schemas import AddressLookup, Lookup
from geo_api.generations.store import parse_date
from geo_api.geo.systems import CRS_HELP, to_wgs84
from geo_api.lookup.address import lookup_address
from geo_api.lookup.at import POINT_AT_SQL, no_generation
from geo_api.lookup.point import POINT_SQL, check_lonlat, point_answer

router = APIRouter(tags=["grid officers"])


@router.get(
    "/lookup",
    response_model=Lookup,
    responses={
        404: {"description": "outside the city, or a date before the first generation"},
        422: {"description": "not a coordinate, or not an ISO date"},
    },
)
async def lookup(
    request: Request,
    caller: CallerDep,
    fetch: ReadOne,
    read: Read,  # only for a date before any generation (opens nothing otherwise)
    # Bounds are checked by the domain, whose messages say more (e.g. "swapped?").
    lon: Annotated[float, Query(description="longitude (or easting in a projected crs)")],
    lat: Annotated[float, Query(description="latitude (or northing in a projected crs)")],
    crs: Annotated[str, Query(max_length=40, description=CRS_HELP)] = "wgs84",
    at: Annotated[
        str | None,
        Query(
            max_length=40,
            description="an ISO 8601 date (2025-06-01): the street, community, grid and "
            "compound in force that day (building, unit, heads and officers as today)",
        ),
    ] = None,
) -> Response:
    """The street, community, grid, compound, building and unit at a point, with their
    heads. The point may be pasted from AMap or Tencent (``crs=gcj02``), Baidu
    (``bd09``), or given in CGCS2000 or any EPSG system; the answer gives it in WGS 84."""

    day = parse_date(at, "at")
    x, y = to_wgs84(lon, lat, crs)
    check_lonlat(x, y)
    if day is None:
        row = await fetch(POINT_SQL, {"lon": x, "lat": y})
    else:
        row = await fetch(POINT_AT_SQL, {"lon": x, "lat": y, "day": day})
        if row is None:  # outside the city, or before the first generation: which?
            await run_in_threadpool(_no_generation, read, day)
    found = point_answer(row, x, y, caller.reveals)
    community, grid = found["community"], found["grid"]
    check_area(
        caller,
        community["id"] if community else None,
        grid["id"] if grid else None,
        f"the point ({lon}, {lat})",
    )
    if day is not None and row is not None and row["today_community_id"] is not None:
        # The heads shown are today's: today's area holds the caller too.
        check_area(
            caller, row["today_community_id"], row["today_grid_id"], f"the point ({lon}, {lat})"
        )
    if caller.reveals:  # written to the audit log, in a thread: the log is sync
        found = await run_in_threadpool(audited, request, caller, found)
    # The busiest route, so no thread at all for masked answers: the statement runs on
    # the event loop, and the answer is checked and written here, as FastAPI would.
    return Response(Lookup.model_validate(found).model_dump_json(), media_type="application/json")


def _no_generation(read: Transaction, day: date) -> None:
    """Raise the answer for a date no generation covers, if it is that."""
    with read() as conn:
        no_generation(conn, day)


@router.get(
    "/lookup/address",
    response_model=AddressLookup,
    responses={
        404: {"description": "no compound like the address's"},
        422: {"description": "the address names no compound"},
    },
)
def lookup_by_address(
    request: Request,
    caller: CallerDep,
    read: Read,
    q: Annotated[
        str,
        Query(
            min_length=2,
            max_length=200,
            description="e.g. 水岸明珠3号楼2单元501室 or 水岸明珠3-2-501",
        ),
    ],
) -> dict[str, Any]:
    """The household (or the deepest place found) an address names, and its heads; the
    closest compounds as candidates when the name is not certain."""
    with read() as conn:
        answer = lookup_address(
            conn,
            q,
            community_id=caller.community_id if caller.scoped else None,
            grid_id=caller.grid_id if caller.scoped else None,
            reveal=caller.reveals,
        )
    return audited(request, caller, answer)
