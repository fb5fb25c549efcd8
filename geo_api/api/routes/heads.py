"""Heads and the households they cover."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from geo_api.api.deps import Read
from geo_api.api.schemas import HeadDetail
from geo_api.lookup.heads import MAX_PAGE, head_detail

router = APIRouter(tags=["grid officers"])


@router.get(
    "/heads/{head_id}", response_model=HeadDetail, responses={404: {"description": "no such head"}}
)
def head(
    read: Read,
    head_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """A head (contacts masked), where they serve and a page of the households they cover."""
    with read() as conn:
        return head_detail(conn, head_id, limit=limit, offset=offset)
