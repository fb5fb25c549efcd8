"""Activities and the "four to" steps of registered members (issue 17): a thin shell
over geo_api.party.service. Officers act in their own community only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from geo_api.api.auth import CallerDep
from geo_api.api.deps import Read, Tx
from geo_api.party.service import steps
from geo_api.party.service.activities import (
    ActivityIn,
    cancel_activity,
    create_activity,
    get_activity,
    list_activities,
    update_activity,
)

router = APIRouter(tags=["members' service"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Code = Annotated[str, Field(pattern=r"^[0-9]{12}$", description="12-digit community code")]


class ActivityBody(BaseModel):
    """An activity: a time, a place, a community, maybe a project and a category."""

    title: str = Field(min_length=1, max_length=200)
    community: Code
    starts_at: datetime = Field(description="with its time zone: 2026-05-01T09:00:00+08:00")
    ends_at: datetime | None = None
    place: str | None = Field(None, max_length=200)
    project_id: int | None = Field(None, ge=1, le=2**31 - 1)
    category: str | None = Field(None, max_length=32, description="a list category's code")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)

    def given(self) -> ActivityIn:
        """The domain's view of the body."""
        return ActivityIn(**self.model_dump())


class NotifyBody(BaseModel):
    """Whom to notify: these members, or (none given) every member of the community."""

    member_ids: list[int] | None = Field(None, max_length=5000)


class CheckInBody(BaseModel):
    """A check-in entered afterwards gives its time; none: now."""

    at: datetime | None = None


class CodeBody(BaseModel):
    """The member's own check-in code from the notice."""

    code: str = Field(min_length=1, max_length=12)


class FeedbackBody(BaseModel):
    """The member's feedback on the activity."""

    text: str = Field(min_length=1, max_length=2000)


@router.get("/activities")
def activities(
    caller: CallerDep,
    read: Read,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[dict[str, Any]]:
    """Activities, newest first (an officer's community only)."""
    with read() as conn:
        return list_activities(conn, community, year, caller, limit, offset)


@router.post("/activities", status_code=201)
def create(caller: CallerDep, tx: Tx, body: ActivityBody) -> dict[str, Any]:
    """Create an activity in a community."""
    with tx() as conn:
        return create_activity(conn, body.given(), caller)


@router.get("/activities/{activity_id}")
def activity(caller: CallerDep, read: Read, activity_id: Id) -> dict[str, Any]:
    """One activity, with how many were called and checked in."""
    with read() as conn:
        return get_activity(conn, activity_id, caller)


@router.put("/activities/{activity_id}")
def update(caller: CallerDep, tx: Tx, activity_id: Id, body: ActivityBody) -> dict[str, Any]:
    """Change an activity's title, time, place, project or category."""
    with tx() as conn:
        return update_activity(conn, activity_id, body.given(), caller)


@router.post("/activities/{activity_id}/cancel")
def cancel(caller: CallerDep, tx: Tx, activity_id: Id) -> dict[str, Any]:
    """Cancel an activity: no more steps; calls and points stay."""
    with tx() as conn:
        return cancel_activity(conn, activity_id, caller)


@router.post("/activities/{activity_id}/notify")
def notify(caller: CallerDep, tx: Tx, activity_id: Id, body: NotifyBody) -> dict[str, Any]:
    """Send the notice (预告) to members; each gets their own check-in code."""
    with tx() as conn:
        return steps.notify(conn, activity_id, body.member_ids, caller)


@router.post("/activities/{activity_id}/members/{member_id}/received")
def received(caller: CallerDep, tx: Tx, activity_id: Id, member_id: Id) -> dict[str, Any]:
    """The member confirmed the notice (预告收到)."""
    with tx() as conn:
        return steps.receive(conn, activity_id, member_id, caller)


@router.post("/activities/{activity_id}/members/{member_id}/checkin")
def checkin(
    caller: CallerDep, tx: Tx, activity_id: Id, member_id: Id, body: CheckInBody
) -> dict[str, Any]:
    """The member checked in (活动签到); twice is once."""
    with tx() as conn:
        return steps.check_in(conn, activity_id, member_id, caller, body.at)


@router.post("/activities/{activity_id}/checkin")
def checkin_by_code(caller: CallerDep, tx: Tx, activity_id: Id, body: CodeBody) -> dict[str, Any]:
    """A member checks in with their own code from the notice."""
    with tx() as conn:
        return steps.check_in_by_code(conn, activity_id, body.code, caller)


@router.post("/activities/{activity_id}/members/{member_id}/feedback")
def feedback(
    caller: CallerDep, tx: Tx, activity_id: Id, member_id: Id, body: FeedbackBody
) -> dict[str, Any]:
    """The member's feedback (反馈得到), after checking in."""
    with tx() as conn:
        return steps.give_feedback(conn, activity_id, member_id, body.text, caller)
