"""Running the assignment engine."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Connection, Engine

from geo_api.api.auth import CallerDep, purpose
from geo_api.api.deps import Read, Tx, after_change
from geo_api.api.schemas import AssignmentRun, Recruits
from geo_api.assign.engine import run_assignment
from geo_api.assign.recruit import REACH_M, propose_recruits
from geo_api.auth.audit import record
from geo_api.db.results import stored
from geo_api.privacy import mask_address

router = APIRouter(tags=["command centre"])


@router.post("/assign", response_model=AssignmentRun, dependencies=[Depends(after_change)])
def assign(tx: Tx, solver: Literal["greedy", "flow"] = "flow") -> dict[str, Any]:
    """Assign every household to a unit head and report the run and its churn."""
    with tx() as conn:
        return asdict(run_assignment(conn, solver=solver))


@router.get("/recruits", response_model=Recruits)
def recruits(
    request: Request,
    caller: CallerDep,
    read: Read,
    community: Annotated[
        str | None, Query(pattern=r"^[0-9]{12}$", description="12-digit community code")
    ] = None,
    reach_m: Annotated[float, Query(gt=0, le=2000)] = REACH_M,
) -> dict[str, Any]:
    """The fewest new unit heads, among party members and volunteers, that would cover
    the households left out and those over target; coverage now and with them. The
    candidates' home addresses are in full for admins (audited), down to the unit
    for the command centre."""
    reason = purpose(request)
    with read() as conn:
        # A proposal takes seconds to tens of seconds (36 s at reach_m=1000 on the demo
        # city): computed once per data version and these parameters, then stored; who
        # sees which address is decided per caller, after.
        out: dict[str, Any] = stored(
            conn,
            "recruits",
            f"community={community};reach_m={reach_m!r}",
            lambda: _proposal(conn, community, reach_m),
            lambda made: json.dumps(made, ensure_ascii=False).encode(),
            json.loads,
        )
    for row in out["proposals"]:
        if not caller.reveals:
            row["address"] = mask_address(row["address"])
    if caller.reveals and out["proposals"]:
        # Committed on its own, as every audited read: the log outlives the request.
        engine: Engine = request.app.state.engine
        with engine.begin() as conn:
            shown = [f"household:{row['household_id']}" for row in out["proposals"]]
            record(conn, caller, f"{request.method} {request.url.path}", shown, reason)
    return out


def _proposal(conn: Connection, community: str | None, reach_m: float) -> dict[str, Any]:
    """The proposal as the store gives it, addresses in full (masked per caller later)."""
    report = propose_recruits(conn, community, reach_m)
    out = asdict(report)
    for proposal, row in zip(report.proposals, out["proposals"], strict=True):
        row["households"] = proposal.households
    return out
