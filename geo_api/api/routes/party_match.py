"""Matches: proposed pairings of open demands with resources, and accepting one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from geo_api.api.auth import CallerDep
from geo_api.api.deps import Read, Tx
from geo_api.api.party_bodies import AcceptIn
from geo_api.party.lists import get_demand
from geo_api.party.match.propose import accept
from geo_api.party.match.stored import stored_proposals
from geo_api.party.places import community_id
from geo_api.party.visible import own_community

router = APIRouter(tags=["party building"])


@router.get("/matches")
def matches(
    read: Read,
    caller: CallerDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
    community: Annotated[str | None, Query(max_length=60)] = None,
    reach_m: Annotated[float, Query(ge=10, le=10_000)] = 1000.0,
) -> dict[str, Any]:
    """The optimal matching of the year's open demands to resources within a walk of
    ``reach_m`` metres (capacities respected, urgent demands first), with ranked
    alternatives; an officer's, in their community. Computed once per data version
    and question, then served from the store."""
    with read() as conn:
        where = caller.community_id if caller.scoped else None
        if community and not caller.scoped:
            where = community_id(conn, community)
        return stored_proposals(conn, year, community_id=where, reach_m=reach_m)


@router.post("/matches/accept", status_code=201)
def accept_match(tx: Tx, caller: CallerDep, body: AcceptIn) -> dict[str, Any]:
    """Accept a match: a project of the demand and its resources; the demand is matched."""
    with tx() as conn:
        where = get_demand(conn, body.demand_id)["community_id"]
        own_community(caller, where, f"demand {body.demand_id}")
        return accept(
            conn,
            body.demand_id,
            body.resource_ids,
            title=body.title,
            owners=body.owners,
            reach_m=body.reach_m,
            by=caller,
        )
