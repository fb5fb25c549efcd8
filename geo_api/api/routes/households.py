"""A household and the heads who cover it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from geo_api.api.deps import Read
from geo_api.api.schemas import HouseholdChain
from geo_api.lookup.households import household_chain

router = APIRouter(tags=["grid officers"])


@router.get(
    "/households/{household_id}",
    response_model=HouseholdChain,
    responses={404: {"description": "no such household"}},
)
def household(
    read: Read,
    household_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    at: Annotated[
        datetime | None,
        Query(description="ISO 8601 moment: who covered the household then (default: now)"),
    ] = None,
) -> dict[str, Any]:
    """Where a household lives and its heads: unit head (from the history when ``at`` is
    given), building head and compound head, contacts masked."""
    with read() as conn:
        return household_chain(conn, household_id, at)
