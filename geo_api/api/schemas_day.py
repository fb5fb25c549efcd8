"""Response and request models of the officer's day: /me/heads, /me/changes, consent."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class HeadGapsOut(BaseModel):
    """What is missing around a head."""

    over_target: bool = Field(description="covers more households than they should")
    over_maximum: bool = Field(description="covers more households than they ever may")
    households_without_head: int = Field(
        description="households without a unit head in their unit (unit heads), building "
        "(building heads) or compound (compound heads)"
    )
    units_without_head: int = Field(
        description="units without a unit head in their building (compound heads: compound)"
    )
    buildings_without_head: int = Field(description="buildings without a head in their compound")


class MyHeadOut(BaseModel):
    """A head of the caller's area: contacts in full for officers (audited), else masked."""

    id: int
    role: str = Field(description="compound, building or unit")
    title: str = Field(description="小区长, 楼长 or 单元长")
    name: str
    phone: str
    place: str = Field(description="where they serve, e.g. 水岸明珠3号楼2单元")
    compound_id: int
    load: int = Field(description="households covered now")
    capacity: int
    max_capacity: int
    consent_public: bool = Field(description="agreed to be named in full on the placards")
    gaps: HeadGapsOut


class MyHeads(BaseModel):
    """The heads of an area."""

    community: str = Field(description="the community's 12-digit code")
    grid_id: int | None = Field(description="the grid, when the area is one grid")
    heads: list[MyHeadOut]


class ChangeOut(BaseModel):
    """One thing that changed in the area."""

    kind: str = Field(
        description="household_assigned, household_unassigned, assignment_locked, "
        "assignment_unlocked, place_covered, place_uncovered, assignment_run, "
        "head_appointed, head_left, head_moved, head_moved_away, head_consent, "
        "household_ended, household_relocated, officer_appointed, officer_left, "
        "member_registered, member_left, project_created, activity_held"
    )
    at: datetime
    what: str
    who: str | None = Field(description="who made it, where recorded (a key's holder, a run)")
    place: str | None
    ref: str = Field(description="what it is about: household:40, head:12, building:7, run:3")


class MyChanges(BaseModel):
    """A page of the area's changes, newest first."""

    community: str
    grid_id: int | None
    since: datetime
    total: int
    limit: int
    offset: int
    items: list[ChangeOut]


class Consent(BaseModel):
    """Whether a head agreed to be named, with their phone, on the placards."""

    consent_public: bool


class ConsentOut(Consent):
    """A head's consent as recorded."""

    id: int
    role: str
