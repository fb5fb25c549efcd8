"""Bodies and answers of the roster changes: heads appointed, retired, moved, updated;
households ended, moved, changed."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from geo_api.api.schemas import AssignmentRun

BY = Field(default=None, max_length=100, description="a note on the change; the key says who")
ID = Field(ge=1, le=2**31 - 1)
CAPACITY = Field(default=None, ge=1, le=100_000)


class HeadAppoint(BaseModel):
    """Appoint a head of a unit, building or compound."""

    role: Literal["unit", "building", "compound"]
    place_id: int = Field(ge=1, le=2**31 - 1, description="the unit, building or compound served")
    household_id: int = Field(ge=1, le=2**31 - 1, description="where the head lives")
    name: str | None = Field(default=None, max_length=50, description="else the register's")
    phone: str | None = Field(default=None, max_length=20, description="else the register's")
    capacity: int | None = CAPACITY
    max_capacity: int | None = CAPACITY
    appointed_on: date | None = Field(default=None, description="default today")
    by: str | None = BY


class HeadUpdate(BaseModel):
    """Move a head to another place of their role, or change their contacts or capacity."""

    place_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="move here")
    name: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=20)
    capacity: int | None = CAPACITY
    max_capacity: int | None = CAPACITY
    follow_community: bool = Field(
        default=False, description="a unit head takes the community's capacity again"
    )
    by: str | None = BY


class HouseholdUpdate(BaseModel):
    """Move a household to another room of the city, or change how many live there."""

    unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    room: str | None = Field(default=None, min_length=1, max_length=16, examples=["501"])
    persons: int | None = Field(default=None, ge=1, le=30)
    by: str | None = BY


class RosterChange(BaseModel):
    """What a roster change did, and the re-assignment of the communities it touched."""

    action: Literal["appointed", "retired", "moved", "updated", "ended", "relocated"]
    head_id: int | None = Field(description="the head changed (after a move: the new term)")
    household_id: int | None
    ended_heads: list[int] = Field(description="heads whose term ended with the change")
    communities: list[int] = Field(description="the communities touched (store ids)")
    run: AssignmentRun | None = Field(
        description="the re-assignment of those communities, with its churn; null: none needed"
    )
    notes: list[str]
