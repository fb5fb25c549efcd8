"""A household, the heads who cover it, and officers' moves and locks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from geo_api.api.auth import CallerDep, audited, check_area
from geo_api.api.deps import Read, Tx, after_change
from geo_api.api.schemas import HouseholdChain, Lock, Move, MoveIn
from geo_api.assign.manual import move_household, set_lock
from geo_api.assign.move_in import move_in
from geo_api.auth.roles import Caller
from geo_api.lookup.households import area_of, household_chain

router = APIRouter(tags=["grid officers"])


@router.get(
    "/households/{household_id}",
    response_model=HouseholdChain,
    responses={404: {"description": "no such household"}},
)
def household(
    request: Request,
    caller: CallerDep,
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
        answer = household_chain(conn, household_id, at, reveal=caller.reveals)
    check_area(caller, answer["community_id"], answer["grid_id"], "this household")
    return audited(request, caller, answer)


@router.put(
    "/households/{household_id}/head",
    response_model=HouseholdChain,
    dependencies=[Depends(after_change)],
    responses={
        404: {"description": "no such household or head"},
        422: {"description": "refused: full, another community, or stepped down"},
    },
)
def move(
    caller: CallerDep,
    tx: Tx,
    household_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: Move,
) -> dict[str, Any]:
    """Make a unit head cover the household (locked unless asked otherwise); recorded
    under the caller's key."""
    with tx() as conn:
        check_area(caller, *area_of(conn, "household", household_id), "this household")
        check_area(caller, *area_of(conn, "head", body.head_id), f"head {body.head_id}")
        by = _by(caller, body.by)
        return move_household(conn, household_id, body.head_id, by, lock=body.lock)


@router.put(
    "/households/{household_id}/lock",
    response_model=HouseholdChain,
    responses={
        404: {"description": "no such household"},
        422: {"description": "the household has no unit head to lock"},
    },
)
def lock(
    caller: CallerDep,
    tx: Tx,
    household_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: Lock,
) -> dict[str, Any]:
    """Lock the household's current assignment so runs keep it, or unlock it."""
    with tx() as conn:
        check_area(caller, *area_of(conn, "household", household_id), "this household")
        return set_lock(conn, household_id, body.locked, _by(caller, body.by))


@router.post(
    "/households",
    response_model=HouseholdChain,
    dependencies=[Depends(after_change)],
    status_code=201,
    responses={
        404: {"description": "no such unit"},
        422: {"description": "the room is taken, or a value is out of range"},
    },
)
def create(caller: CallerDep, tx: Tx, body: MoveIn) -> dict[str, Any]:
    """A household moves in: stored, and given a unit head at once (the answer says whom
    and why; no head means no head of its compound has room)."""
    with tx() as conn:
        check_area(caller, *area_of(conn, "unit", body.unit_id), "this unit")
        return move_in(conn, body.unit_id, body.room, body.persons, _by(caller, body.by))


def _by(caller: Caller, note: str | None) -> str:
    """Who made a change: the key's holder, with the note they gave."""
    return caller.name if not note or note == caller.name else f"{caller.name}: {note}"[:100]
