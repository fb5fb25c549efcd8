"""Grid officers (网格员): the roster, read and changed through geo_api.rosters.officers.

Officers change officers of their own area only; the command centre anywhere;
planners never (names and phones are personal data). Reads show names and phones
in full to admins and officers (audited), masked to the command centre.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from geo_api.api.auth import CallerDep, audited, check_area
from geo_api.api.deps import Read, Tx
from geo_api.auth.roles import Caller
from geo_api.rosters.officers import (
    add_officer,
    area_of_officer,
    assign_officer,
    list_officers,
    officer_detail,
    retire_officer,
    update_officer,
)
from geo_api.rosters.record import Who, place_id

router = APIRouter(tags=["rosters"])
OfficerId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CODE = r"^\S.{0,59}$"


class OfficerIn(BaseModel):
    """A new grid officer."""

    name: str = Field(max_length=50)
    phone: str = Field(max_length=30)
    community: str = Field(max_length=60, pattern=CODE, description="code or name")
    grid: str | None = Field(default=None, max_length=60, description="their own grid")
    max_grids: int = Field(default=3, ge=1, le=50, description="the most grids they cover")
    part_time: bool = Field(default=False, description="兼职网格员")
    appointed_on: date | None = None


class OfficerChange(BaseModel):
    """What changes of an officer: only the fields sent."""

    name: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=30)
    community: str | None = Field(default=None, max_length=60, pattern=CODE)
    grid: str | None = Field(default=None, max_length=60, description="null: no grid")
    max_grids: int | None = Field(default=None, ge=1, le=50)
    part_time: bool | None = None
    appointed_on: date | None = None


class Grids(BaseModel):
    """Grids given to an officer by hand."""

    grids: list[str] = Field(min_length=1, max_length=50)


def who(caller: Caller) -> Who:
    """The caller as the author of a change."""
    return Who(caller.name, caller.role, caller.key_id)


@router.get("/officers")
def officers(
    request: Request,
    caller: CallerDep,
    read: Read,
    community: Annotated[str | None, Query(max_length=60)] = None,
    grid: Annotated[str | None, Query(max_length=60)] = None,
    include_left: bool = False,
) -> dict[str, Any]:
    """The officers of a community or grid (an officer's key: of its own area), with
    how many grids each covers; names and phones as the role may see them."""
    with read() as conn:
        community_id = place_id(conn, "community", community)[0] if community else None
        grid_id = place_id(conn, "grid", grid)[0] if grid else None
        if caller.scoped:
            check_area(caller, community_id or caller.community_id, grid_id, "that area")
            community_id = caller.community_id
            grid_id = grid_id or caller.grid_id
        rows = list_officers(
            conn, community_id, grid_id, include_left=include_left, reveal=caller.reveals
        )
    return audited(request, caller, {"officers": rows}, "officer")


@router.get("/officers/{officer_id}", responses={404: {"description": "no such officer"}})
def officer(
    request: Request, caller: CallerDep, read: Read, officer_id: OfficerId
) -> dict[str, Any]:
    """An officer, the grids they cover and the history of their covers."""
    with read() as conn:
        check_area(caller, *area_of_officer(conn, officer_id), "this officer")
        answer = officer_detail(conn, officer_id, reveal=caller.reveals)
    return audited(request, caller, answer, "officer")


@router.post("/officers", status_code=201, responses={422: {"description": "a bad value, named"}})
def create(caller: CallerDep, tx: Tx, body: OfficerIn) -> dict[str, Any]:
    """Appoint an officer; their community's grids are covered again at once."""
    with tx() as conn:
        community_id = place_id(conn, "community", body.community)[0]
        grid_id = place_id(conn, "grid", body.grid)[0] if body.grid else None
        check_area(caller, community_id, grid_id, "this officer's area")
        return add_officer(conn, who(caller), **body.model_dump())


@router.put(
    "/officers/{officer_id}",
    responses={404: {"description": "no such officer"}, 422: {"description": "a bad value"}},
)
def change(caller: CallerDep, tx: Tx, officer_id: OfficerId, body: OfficerChange) -> dict[str, Any]:
    """Change an officer (only the fields sent); the grids of the communities touched
    are covered again."""
    changes = body.model_dump(exclude_unset=True)
    with tx() as conn:
        check_area(caller, *area_of_officer(conn, officer_id), "this officer")
        if caller.scoped and ("community" in changes or "grid" in changes):
            community_id = (
                place_id(conn, "community", changes["community"])[0]
                if changes.get("community")
                else caller.community_id
            )
            grid_id = place_id(conn, "grid", changes["grid"])[0] if changes.get("grid") else None
            check_area(caller, community_id, grid_id or caller.grid_id, "the new area")
        return update_officer(conn, who(caller), officer_id, changes)


@router.put(
    "/officers/{officer_id}/grids",
    responses={404: {"description": "no such officer"}, 422: {"description": "over the limit"}},
)
def assign(caller: CallerDep, tx: Tx, officer_id: OfficerId, body: Grids) -> dict[str, Any]:
    """Give grids without an officer of their own to this officer, within their limit."""
    with tx() as conn:
        check_area(caller, *area_of_officer(conn, officer_id), "this officer")
        return assign_officer(conn, who(caller), officer_id, body.grids)


@router.delete(
    "/officers/{officer_id}",
    responses={404: {"description": "no such officer"}, 422: {"description": "left already"}},
)
def retire(
    caller: CallerDep,
    tx: Tx,
    officer_id: OfficerId,
    left_on: date | None = None,
    reason: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Retire an officer (离任) on ``left_on`` (today by default): the row and its history
    stay; their grids go to the community's other officers from that day."""
    with tx() as conn:
        check_area(caller, *area_of_officer(conn, officer_id), "this officer")
        return retire_officer(conn, who(caller), officer_id, left_on, reason)
