"""Heads and the households they cover."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from geo_api.api.auth import CallerDep, audited, check_area
from geo_api.api.deps import Read, Tx
from geo_api.api.schemas import (
    CommunityCapacity,
    CommunityCapacityOut,
    HeadCapacity,
    HeadCapacityOut,
    HeadDetail,
)
from geo_api.assign.capacity import set_community_capacity, set_head_capacity
from geo_api.lookup.heads import MAX_PAGE, head_detail

router = APIRouter(tags=["grid officers"])


@router.get(
    "/heads/{head_id}", response_model=HeadDetail, responses={404: {"description": "no such head"}}
)
def head(
    request: Request,
    caller: CallerDep,
    read: Read,
    head_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """A head (contacts masked), where they serve and a page of the households they cover."""
    with read() as conn:
        answer = head_detail(
            conn,
            head_id,
            limit=limit,
            offset=offset,
            reveal=caller.reveals,
            area=(caller.community_id, caller.grid_id) if caller.scoped else (None, None),
        )
    check_area(caller, answer["community_id"], answer["grid_id"], "this head")
    return audited(request, caller, answer)


@router.put(
    "/heads/{head_id}/capacity",
    response_model=HeadCapacityOut,
    responses={404: {"description": "no such unit head"}, 422: {"description": "a bad setting"}},
)
def head_capacity(
    tx: Tx, head_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: HeadCapacity
) -> dict[str, Any]:
    """Set a unit head's own target and maximum (null: the community's); the next run
    applies them."""
    with tx() as conn:
        return set_head_capacity(conn, head_id, body.target, body.maximum)


@router.put(
    "/communities/{code}/capacity",
    response_model=CommunityCapacityOut,
    responses={404: {"description": "no such community"}, 422: {"description": "a bad setting"}},
)
def community_capacity(
    tx: Tx,
    code: Annotated[str, Path(pattern=r"^[0-9]{12}$", description="12-digit community code")],
    body: CommunityCapacity,
) -> dict[str, Any]:
    """Set how many households the community's unit heads should and may cover."""
    with tx() as conn:
        return set_community_capacity(conn, code, body.target, body.maximum)
