"""Running the assignment engine."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter

from geo_api.api.deps import Tx
from geo_api.api.schemas import AssignmentRun
from geo_api.assign.engine import run_assignment

router = APIRouter(tags=["command centre"])


@router.post("/assign", response_model=AssignmentRun)
def assign(tx: Tx, solver: Literal["greedy", "flow"] = "greedy") -> dict[str, Any]:
    """Assign every household to a unit head and report the run and its churn."""
    with tx() as conn:
        return asdict(run_assignment(conn, solver=solver))
