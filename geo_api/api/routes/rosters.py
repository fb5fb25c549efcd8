"""Roster changes: heads appointed, moved, updated and retired; households ended or moved.

Thin shells over geo_api.rosters: each checks the caller's area (an officer's own
community or grid; the command centre anywhere), runs the change in one transaction
with its re-assignment, and writes an audit row naming the records it changed.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import Connection, text

from geo_api.api.auth import CallerDep, check_area, purpose
from geo_api.api.deps import Tx
from geo_api.api.roster_schemas import HeadAppoint, HeadUpdate, HouseholdUpdate, RosterChange
from geo_api.auth.audit import record
from geo_api.auth.roles import Caller
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.lookup.households import area_of
from geo_api.rosters import heads, households
from geo_api.rosters.change import Change, community_of_place

router = APIRouter(tags=["grid officers"])
HeadId = Annotated[int, Path(ge=1, le=2**31 - 1)]
HouseholdId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Reason = Annotated[str, Query(min_length=1, max_length=200, description="why (recorded)")]
On = Annotated[date | None, Query(description="the date it takes effect (default today)")]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "outside the caller's area"},
    404: {"description": "no such head, household or place"},
    409: {"description": "clashes with the roster (already serving, already ended, taken)"},
    422: {"description": "a bad value, named"},
}


def _by(caller: Caller, note: str | None) -> str:
    """Who made a change: the key's holder, with the note they gave."""
    return caller.name if not note or note == caller.name else f"{caller.name}: {note}"[:100]


def _place_area(conn: Connection, role: str, place_id: int) -> tuple[int, int]:
    """The community and grid of the place a head would serve (404 if there is none)."""
    area = community_of_place(conn, role, place_id)
    if area is None:
        raise NotFoundError(f"{role} {place_id} does not exist")
    return area


def _done(request: Request, caller: Caller, conn: Connection, change: Change) -> dict[str, Any]:
    """Record the change in the audit log (same transaction) and answer with it."""
    action = f"{request.method} {request.url.path}"
    record(conn, caller, action, change.records, purpose(request))
    return asdict(change)


@router.post("/heads", response_model=RosterChange, status_code=201, responses=ERRORS)
def appoint(request: Request, caller: CallerDep, tx: Tx, body: HeadAppoint) -> dict[str, Any]:
    """Appoint a head (a household of the place, or a volunteer or member of its
    community); their community is re-assigned."""
    with tx() as conn:
        check_area(caller, *_place_area(conn, body.role, body.place_id), "this place")
        change = heads.appoint(
            conn, body.role, body.place_id, body.household_id, _by(caller, body.by),
            name=body.name, phone=body.phone, capacity=body.capacity,
            max_capacity=body.max_capacity, on=body.appointed_on,
        )  # fmt: skip
        return _done(request, caller, conn, change)


@router.put("/heads/{head_id}", response_model=RosterChange, responses=ERRORS)
def change_head(
    request: Request, caller: CallerDep, tx: Tx, head_id: HeadId, body: HeadUpdate
) -> dict[str, Any]:
    """Move a head to another place of their role (a new term), or change their name,
    phone or capacity; the communities touched are re-assigned."""
    with tx() as conn:
        check_area(caller, *area_of(conn, "head", head_id), f"head {head_id}")
        by = _by(caller, body.by)
        if body.place_id is not None:
            role = conn.execute(text("SELECT role FROM head WHERE id = :id"), {"id": head_id})
            check_area(caller, *_place_area(conn, str(role.scalar()), body.place_id), "new place")
            change = heads.move(conn, head_id, body.place_id, by)
            if body.name or body.phone or body.capacity or body.max_capacity:
                assert change.head_id is not None
                heads.update(conn, change.head_id, by, name=body.name, phone=body.phone,
                             capacity=body.capacity, max_capacity=body.max_capacity)  # fmt: skip
        else:
            change = heads.update(
                conn, head_id, by, name=body.name, phone=body.phone, capacity=body.capacity,
                max_capacity=body.max_capacity, follow_community=body.follow_community,
            )  # fmt: skip
        return _done(request, caller, conn, change)


@router.delete("/heads/{head_id}", response_model=RosterChange, responses=ERRORS)
def retire(
    request: Request, caller: CallerDep, tx: Tx, head_id: HeadId, reason: Reason, on: On = None
) -> dict[str, Any]:
    """A head steps down (never deleted: their term ends, with the reason); their
    households are re-assigned in their community."""
    with tx() as conn:
        check_area(caller, *area_of(conn, "head", head_id), f"head {head_id}")
        change = heads.retire(conn, head_id, _by(caller, None), reason, on=on)
        return _done(request, caller, conn, change)


@router.delete("/households/{household_id}", response_model=RosterChange, responses=ERRORS)
def end_household(
    request: Request,
    caller: CallerDep,
    tx: Tx,
    household_id: HouseholdId,
    reason: Reason,
    on: On = None,
) -> dict[str, Any]:
    """A household moves out: ended, never deleted (its history says who covered it
    until when); heads living there step down; its community is re-assigned."""
    with tx() as conn:
        check_area(caller, *area_of(conn, "household", household_id), "this household")
        change = households.end(conn, household_id, _by(caller, None), reason, on=on)
        return _done(request, caller, conn, change)


@router.put("/households/{household_id}", response_model=RosterChange, responses=ERRORS)
def change_household(
    request: Request, caller: CallerDep, tx: Tx, household_id: HouseholdId, body: HouseholdUpdate
) -> dict[str, Any]:
    """Move a household to another room of the city (both communities re-assigned), or
    change how many people live there."""
    if (body.unit_id is None) != (body.room is None):
        raise InvalidInputError("a move needs both unit_id and room")
    if body.unit_id is None and body.persons is None:
        raise InvalidInputError("say what changes: unit_id and room, or persons")
    with tx() as conn:
        check_area(caller, *area_of(conn, "household", household_id), "this household")
        by = _by(caller, body.by)
        change = None
        if body.persons is not None:
            change = households.update(conn, household_id, by, body.persons)
        if body.unit_id is not None and body.room is not None:
            check_area(caller, *area_of(conn, "unit", body.unit_id), "the new unit")
            change = households.relocate(conn, household_id, body.unit_id, body.room, by)
        assert change is not None
        return _done(request, caller, conn, change)
