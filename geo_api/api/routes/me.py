"""The officer's day: the heads of my area and what changed in it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import Connection

from geo_api.api.auth import CallerDep, audited
from geo_api.api.deps import AreaDep, Read
from geo_api.api.schemas_day import MyChanges, MyHeads
from geo_api.catalogue.scope import Area
from geo_api.errors import ForbiddenError
from geo_api.lookup.places import resolve_code
from geo_api.rosters.area import community_area
from geo_api.rosters.changes import MAX_PAGE, as_dict, changes_in_area, parse_since
from geo_api.rosters.my_heads import as_dicts, heads_in_area

router = APIRouter(tags=["grid officers"])

COMMUNITY_HELP = (
    "the community's 12-digit code or its name: required for the command centre; "
    "an officer's own area otherwise"
)
Community = Annotated[str | None, Query(max_length=100, description=COMMUNITY_HELP)]


def my_area(conn: Connection, own: Area | None, community: str | None) -> Area:
    """An officer's own area (a community they name must be theirs); for the roles that
    see the city, the community they name."""
    if own is None:
        return community_area(conn, community)
    if community is not None and resolve_code(conn, "community", community) != own.community_code:
        raise ForbiddenError(f"community {community} lies outside your area")
    return own


@router.get("/me/heads", response_model=MyHeads)
def my_heads(
    request: Request, caller: CallerDep, read: Read, own: AreaDep, community: Community = None
) -> dict[str, Any]:
    """Every head serving in my area now, with their load and the gaps around them
    (over target, units and buildings without a head, households without a unit
    head). Names and phones in full for officers (audited), masked for the command
    centre."""
    with read() as conn:
        area = my_area(conn, own, community)
        heads = heads_in_area(conn, area, reveal=caller.reveals)
    answer = {"community": area.community_code, "grid_id": area.grid_id, "heads": as_dicts(heads)}
    return audited(request, caller, answer)


@router.get("/me/changes", response_model=MyChanges)
def my_changes(
    read: Read,
    own: AreaDep,
    community: Community = None,
    since: Annotated[
        str | None,
        Query(
            max_length=64,
            description="ISO date or date-time (2026-12-01, 2026-12-01T08:00+08:00); "
            "default: a week ago",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """What changed in my area since ``since``, newest first: households given a unit
    head or left without one, locks, places covered or uncovered, assignment runs;
    heads appointed, retired, moved and their consent; households ended or moved in;
    officers appointed or retired; members registered or left; party projects and
    activities. People and households are named by id only."""
    moment = parse_since(since)
    with read() as conn:
        area = my_area(conn, own, community)
        total, page = changes_in_area(conn, area, moment, limit=limit, offset=offset)
    return {
        "community": area.community_code,
        "grid_id": area.grid_id,
        "since": moment,
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": [as_dict(c) for c in page],
    }
