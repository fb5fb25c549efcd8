"""Coverage gaps as GeoJSON."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import Connection

from geo_api.api.auth import CallerDep
from geo_api.api.deps import Read
from geo_api.db.results import stored
from geo_api.errors import ForbiddenError
from geo_api.gaps.access import REACHES_M, parse_reaches
from geo_api.gaps.areas import within_grid
from geo_api.gaps.export import MEDIA, gaps_bytes
from geo_api.gaps.finder import GAP_NAMES
from geo_api.gaps.stored import select_gaps
from geo_api.gaps.types import GRID_HOUSEHOLD_LIMIT

router = APIRouter(tags=["command centre"])

TYPES_HELP = "gap types to include, any of: " + ", ".join(GAP_NAMES)


@router.get(
    "/gaps",
    response_class=Response,
    responses={
        200: {
            "content": {"application/geo+json": {}, "text/csv": {}, MEDIA["gpkg"]: {}},
            "description": "the gaps: GeoJSON, CSV with WKT, or a GeoPackage (f)",
        }
    },
)
def gaps(
    caller: CallerDep,
    read: Read,
    type: Annotated[list[str] | None, Query(description=TYPES_HELP)] = None,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    severity: Literal["high", "medium", "low"] | None = None,
    grid_limit: Annotated[
        int, Query(ge=1, le=1_000_000, description="households above which a grid is a gap")
    ] = GRID_HOUSEHOLD_LIMIT,
    reach: Annotated[
        str,
        Query(
            pattern=r"^[0-9]{1,4},[0-9]{1,4},[0-9]{1,4}$",
            description="the 5-, 10- and 15-minute walks in metres",
        ),
    ] = ",".join(map(str, REACHES_M)),
    f: Annotated[
        Literal["geojson", "csv", "gpkg"], Query(description="GeoJSON, CSV with WKT, GeoPackage")
    ] = "geojson",
) -> Response:
    """Every gap, worst first, filtered by type, community code and severity. Links
    lead to where to act: new unit heads (/recruits) and new outposts (/siting). An
    officer sees their own community's (or grid's)."""
    if caller.scoped:
        if community not in (None, caller.community_code):
            raise ForbiddenError(f"community {community} lies outside your area")
        community = caller.community_code
    reaches = parse_reaches(reach)
    grid_id = caller.grid_id if caller.scoped else None
    # The answer itself is stored per data version and parameters: writing thousands
    # of gaps as GeoJSON costs more than finding them in the stored frame.
    key = f"{sorted(type or [])};{community};{severity};{grid_limit};{reaches};{grid_id};{f}"
    with read() as conn:
        body = stored(
            conn,
            "gaps_answer",
            key,
            lambda: _answer(conn, type, community, severity, grid_limit, reaches, grid_id, f),
            bytes,
            bytes,
        )
    if f != "geojson":
        return Response(
            body,
            media_type=MEDIA[f],
            headers={"Content-Disposition": f'attachment; filename="gaps.{f}"'},
        )
    return Response(body, media_type="application/geo+json")


def _answer(
    conn: Connection,
    types: list[str] | None,
    community: str | None,
    severity: str | None,
    grid_limit: int,
    reaches: tuple[int, int, int],
    grid_id: int | None,
    f: str,
) -> bytes:
    """The gaps asked for, as the bytes of the answer in format ``f``."""
    frame = select_gaps(
        conn,
        types=types,
        community=community,
        severity=severity,
        grid_limit=grid_limit,
        reaches=reaches,
    )
    if grid_id is not None:
        frame = within_grid(conn, frame, grid_id)
    if f != "geojson":
        return gaps_bytes(frame, f)
    body = json.loads(frame.to_json(drop_id=True))
    body["numberMatched"] = len(frame)
    body["links"] = [
        {"rel": "related", "href": "/recruits", "title": "new unit heads for uncovered homes"},
        {"rel": "related", "href": "/siting", "title": "new outposts for homes beyond reach"},
    ]
    return json.dumps(body, ensure_ascii=False).encode()
