"""GET /communities: every community's name, code, street, size and map, so that
people can find the code of 开发区社区 (or use its name: any {code} takes either)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from geo_api.api.auth import CallerDep
from geo_api.api.deps import Read
from geo_api.api.schemas import CommunityListed
from geo_api.lookup.places import list_communities

router = APIRouter(tags=["places"])


@router.get("/communities", response_model=list[CommunityListed])
def communities(
    caller: CallerDep,
    read: Read,
    street: Annotated[
        str | None, Query(max_length=100, description="a street's 9-digit code or its name")
    ] = None,
) -> list[CommunityListed]:
    """The communities (an officer's own only), with links to their maps."""
    with read() as conn:
        rows = list_communities(conn, street)
    if caller.scoped:
        rows = [r for r in rows if r.code == caller.community_code]
    return [
        CommunityListed(
            code=r.code,
            name=r.name,
            street=r.street,
            grids=r.grids,
            compounds=r.compounds,
            households=r.households,
            map=r.map_path,
        )
        for r in rows
    ]
