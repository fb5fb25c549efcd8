"""Registered party members (报到党员): the roster and its registrations by month.

Officers change members of their community only (members are registered with a
community, not a grid); a grid officer reads only the members living in their grid;
the command centre anywhere; planners see the registration counts only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from geo_api.api.auth import CallerDep, audited
from geo_api.api.deps import Read, Tx
from geo_api.api.routes.officers import who
from geo_api.auth.roles import Caller
from geo_api.errors import ForbiddenError
from geo_api.rosters.members import (
    add_member,
    community_of_member,
    grid_of_member,
    leave_member,
    list_members,
    member_detail,
    update_member,
)
from geo_api.rosters.record import place_id
from geo_api.rosters.registrations import registrations

router = APIRouter(tags=["rosters"])
MemberId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Status = Literal["serving", "retired", "在职", "离退休"]


class MemberIn(BaseModel):
    """A member registering with the community where they live."""

    name: str = Field(max_length=50)
    phone: str = Field(max_length=30)
    status: Status = "serving"
    workplace: str | None = Field(default=None, max_length=200, description="在职: where")
    workplace_unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    registered_on: date | None = Field(default=None, description="报到 (default: today)")
    community: str | None = Field(default=None, max_length=60)
    address: str | None = Field(default=None, max_length=200)
    household_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)


class MemberChange(BaseModel):
    """What changes of a member: only the fields sent."""

    name: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=30)
    status: Status | None = None
    workplace: str | None = Field(default=None, max_length=200)
    workplace_unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    registered_on: date | None = None
    community: str | None = Field(default=None, max_length=60)


def _held(caller: Caller, community_id: int | None, what: str) -> None:
    """Hold an officer to their community (members register with a community)."""
    if caller.scoped and community_id != caller.community_id:
        raise ForbiddenError(f"{what} lies outside your community ({caller.community_code})")


def _held_member(conn: Connection, caller: Caller, member_id: int) -> None:
    """Hold an officer to the members of their community, and a grid officer to those
    living in their grid: for reading one and for changing one alike."""
    _held(caller, community_of_member(conn, member_id), "this member")
    if caller.grid_id is not None and grid_of_member(conn, member_id) != caller.grid_id:
        raise ForbiddenError(f"this member lives outside your grid ({caller.grid_code})")


@router.get("/members/registrations")
def member_registrations(
    caller: CallerDep,
    read: Read,
    start: Annotated[str | None, Query(alias="from", max_length=10, examples=["2024-01"])] = None,
    stop: Annotated[str | None, Query(alias="to", max_length=10, examples=["2024-12"])] = None,
    community: Annotated[str | None, Query(max_length=60)] = None,
) -> dict[str, Any]:
    """Members registered (报到) per month and community, serving and retired, and how
    many of them have left since: counts only."""
    with read() as conn:
        community_id = place_id(conn, "community", community)[0] if community else None
        if caller.scoped:
            _held(caller, community_id or caller.community_id, "that community")
            community_id = caller.community_id
        found = registrations(conn, start, stop, community_id)
    return {
        "from": f"{found.start:%Y-%m}",
        "to": f"{found.last:%Y-%m}",
        "rows": found.rows,
        "totals": found.totals,
    }


@router.get("/members")
def members(
    request: Request,
    caller: CallerDep,
    read: Read,
    community: Annotated[str | None, Query(max_length=60)] = None,
    include_left: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """A page of a community's members (an officer's: their own community; a grid
    officer's: the members living in their grid)."""
    with read() as conn:
        community_id = place_id(conn, "community", community)[0] if community else None
        if caller.scoped:
            _held(caller, community_id or caller.community_id, "that community")
            community_id = caller.community_id
        rows = list_members(
            conn,
            community_id,
            grid_id=caller.grid_id,
            include_left=include_left,
            reveal=caller.reveals,
            limit=limit,
            offset=offset,
        )
    return audited(request, caller, {"members": rows}, "member")


@router.get("/members/{member_id}", responses={404: {"description": "no such member"}})
def member(request: Request, caller: CallerDep, read: Read, member_id: MemberId) -> dict[str, Any]:
    """A member, contacts and address as the role may see them."""
    with read() as conn:
        _held_member(conn, caller, member_id)
        answer = member_detail(conn, member_id, reveal=caller.reveals)
    return audited(request, caller, answer, "member")


@router.post("/members", status_code=201, responses={422: {"description": "a bad value"}})
def create(caller: CallerDep, tx: Tx, body: MemberIn) -> dict[str, Any]:
    """Register a member; placed at once by their household, point, address or the
    community given."""
    with tx() as conn:
        answer = add_member(conn, who(caller), **body.model_dump())
        _held_member(conn, caller, answer["id"])
        return answer


@router.put(
    "/members/{member_id}",
    responses={404: {"description": "no such member"}, 422: {"description": "a bad value"}},
)
def change(caller: CallerDep, tx: Tx, member_id: MemberId, body: MemberChange) -> dict[str, Any]:
    """Change a member (only the fields sent)."""
    with tx() as conn:
        _held_member(conn, caller, member_id)
        answer = update_member(conn, who(caller), member_id, body.model_dump(exclude_unset=True))
        _held(caller, answer["community_id"], "the new community")
        if caller.grid_id is not None and grid_of_member(conn, member_id) != caller.grid_id:
            raise ForbiddenError(
                f"the member's new home lies outside your grid ({caller.grid_code})"
            )
        return answer


@router.delete(
    "/members/{member_id}",
    responses={404: {"description": "no such member"}, 422: {"description": "left already"}},
)
def leave(
    caller: CallerDep,
    tx: Tx,
    member_id: MemberId,
    left_on: date | None = None,
    reason: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """A member leaves the community on ``left_on`` (today by default); the row stays."""
    with tx() as conn:
        _held_member(conn, caller, member_id)
        return leave_member(conn, who(caller), member_id, left_on, reason)
