"""Request bodies of the party-building routes (alliance units, the three lists,
matches): validated here, checked against the store by geo_api.party."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Lon = Field(default=None, ge=-180, le=180)
Lat = Field(default=None, ge=-90, le=90)
Day = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")
Year = Field(ge=2000, le=2100)


class CategoryIn(BaseModel):
    """A new category of the lists' vocabulary."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(min_length=1, max_length=80)


class CategoryRename(BaseModel):
    """New names for a category (its code stays)."""

    name_zh: str | None = Field(default=None, min_length=1, max_length=40)
    name_en: str | None = Field(default=None, min_length=1, max_length=80)


class UnitIn(BaseModel):
    """An alliance unit."""

    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(description="government, institution, state_firm, private_firm, school...")
    address: str | None = Field(default=None, max_length=300)
    contact_name: str | None = Field(default=None, max_length=50)
    contact_phone: str | None = Field(default=None, max_length=32)
    lon: float | None = Lon
    lat: float | None = Lat


class UnitChange(BaseModel):
    """Fields of a unit to change (those given)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: str | None = None
    address: str | None = Field(default=None, max_length=300)
    contact_name: str | None = Field(default=None, max_length=50)
    contact_phone: str | None = Field(default=None, max_length=32)
    lon: float | None = Lon
    lat: float | None = Lat


class AgreementIn(BaseModel):
    """An agreement binding a unit to a street or a community (code or name)."""

    street: str | None = Field(default=None, max_length=60)
    community: str | None = Field(default=None, max_length=60)
    signed_on: str | None = Day
    notes: str | None = Field(default=None, max_length=500)


class EndIn(BaseModel):
    """The day something ends (today when absent)."""

    on: str | None = Day


class ResourceIn(BaseModel):
    """A resource of the year's list, offered by a unit or a member."""

    year: int = Year
    title: str = Field(min_length=1, max_length=200)
    kind: str = Field(description="venue, team, funds, skill, goods, other")
    category: str = Field(min_length=1, max_length=40)
    unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    member_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    quantity: float | None = Field(default=None, gt=0)
    measure: str | None = Field(default=None, max_length=20)
    capacity: int = Field(default=1, ge=1, le=10_000)
    community: str | None = Field(default=None, max_length=60)
    address: str | None = Field(default=None, max_length=300)
    lon: float | None = Lon
    lat: float | None = Lat


class DemandIn(BaseModel):
    """A demand of the year's list, in a community."""

    year: int = Year
    title: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=40)
    community: str = Field(min_length=1, max_length=60)
    compound_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    raised_by: str | None = Field(default=None, max_length=100)
    raised_on: str | None = Day
    urgency: int = Field(default=2, ge=1, le=3)
    due: Literal["start", "mid", "end"] = "mid"
    lon: float | None = Lon
    lat: float | None = Lat


class StatusIn(BaseModel):
    """A new status."""

    status: str = Field(min_length=1, max_length=24)


class ProjectIn(BaseModel):
    """A project entered by hand (a match accepted comes through /matches/accept)."""

    year: int = Year
    title: str = Field(min_length=1, max_length=200)
    community: str = Field(min_length=1, max_length=60)
    demand_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    lead_unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    owners: str | None = Field(default=None, max_length=300)
    resource_ids: list[int] = Field(default_factory=list, max_length=50)


class MilestoneIn(BaseModel):
    """A milestone due at a checkpoint (on its day unless due_on says otherwise)."""

    title: str = Field(min_length=1, max_length=200)
    checkpoint: Literal["start", "mid", "end"]
    due_on: str | None = Day


class AcceptIn(BaseModel):
    """A proposed match accepted: the demand and the resources that will meet it."""

    demand_id: int = Field(ge=1, le=2**31 - 1)
    resource_ids: list[int] = Field(min_length=1, max_length=20)
    title: str | None = Field(default=None, max_length=200)
    owners: str | None = Field(default=None, max_length=300)
    reach_m: float = Field(default=1000.0, ge=10, le=10_000)
