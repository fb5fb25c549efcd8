"""Response models: what the API promises, and what its OpenAPI document says."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    """The service and its store."""

    status: str
    database: str
    revision: str | None
    expected_revision: str | None


class Area(BaseModel):
    """A street, community, grid or compound."""

    id: int
    code: str
    name: str


class Numbered(BaseModel):
    """A building or unit, numbered within its parent."""

    id: int
    number: int


class HeadOut(BaseModel):
    """A head with masked contacts."""

    id: int
    role: str = Field(description="compound, building or unit")
    name: str = Field(description="masked, e.g. 张*明")
    phone: str = Field(description="masked, e.g. 138****1234")
    capacity: int
    max_capacity: int
    load: int = Field(description="households covered now")
    left_on: date | None = Field(description="the day the head stepped down, if they did")


class GenerationRef(BaseModel):
    """The generation of boundaries an answer for a date comes from."""

    id: int
    name: str
    valid_from: date
    valid_to: date | None = Field(description="the day it ended (exclusive); null: current")


class Lookup(BaseModel):
    """Everything at a point."""

    lon: float
    lat: float
    street: Area
    community: Area | None
    grid: Area | None
    compound: Area | None
    building: Numbered | None
    unit: Numbered | None
    heads: list[HeadOut]
    grid_officers: list[OfficerOut] = Field(description="the grid's officer (网格员)")
    generation: GenerationRef | None = Field(
        None, description="with `at`: the boundaries in force that day"
    )


class CoveredHousehold(BaseModel):
    """A household a head covers."""

    id: int
    address: str
    room: str
    persons: int
    reason: str | None
    distance_m: float | None
    valid_from: datetime | None
    masked: bool = Field(
        False,
        description="address down to its unit and room hidden: the caller's role sees them "
        "masked, or the household lies outside the caller's area",
    )


class HouseholdPage(BaseModel):
    """A page of households."""

    total: int
    limit: int
    offset: int
    items: list[CoveredHousehold]


class Serves(BaseModel):
    """Where a head serves."""

    compound: str | None
    building: int | None
    unit: int | None


class HeadDetail(HeadOut):
    """A head, where they serve and the households they cover."""

    serves: Serves
    households: HouseholdPage


class PlaceCoverage(BaseModel):
    """One level of places after a run."""

    level: Literal["building", "compound", "grid"]
    places: int
    own: int = Field(description="covered by their own head (or officer)")
    nearest: int = Field(description="covered by the nearest head (or officer) with room")
    uncovered: int
    changed: int = Field(description="places whose coverer changed in this run")


class UnplacedMember(BaseModel):
    """A party member no point, household or address could place."""

    member_id: int
    address: str | None
    reason: str
    candidates: list[tuple[str, float]] = Field(description="closest known compounds, scored")


class MemberPlacement(BaseModel):
    """Party members placed in the community where they live."""

    by_household: int
    by_point: int
    by_address: int
    unplaced: list[UnplacedMember]
    per_community: dict[str, int] = Field(description="members per community, by name")


class AssignmentRun(BaseModel):
    """What an assignment run did."""

    run_id: int
    households: int
    assigned: int
    unassigned: int
    kept: int
    moved: int = Field(description="households whose head changed (the churn)")
    added: int = Field(description="households that had no head and have one now")
    dropped: int = Field(description="households that had a head and have none now")
    seconds: float
    by_reason: dict[str, int]
    places: list[PlaceCoverage] = Field(
        description="buildings, compounds and grids: covered by their own, by the nearest, not"
    )
    members: MemberPlacement | None = Field(
        default=None, description="members placed again (a run over the whole city only)"
    )
    communities: list[int] | None = Field(
        default=None, description="the communities solved (store ids); null: the whole city"
    )
    solved_on: str = Field(
        default="this process",
        description="where the communities were solved: this process, or the Dask cluster "
        "(a LocalCluster started for the run, or GEO_API_DASK_SCHEDULER's address)",
    )


class CoveringHead(HeadOut):
    """A unit head as they cover one household: why, how far, since and until when."""

    reason: str
    distance_m: float
    since: datetime
    until: datetime | None
    locked: bool = Field(description="kept by every run until unlocked")
    changed_by: str | None = Field(description="the officer who set it; null: the engine")


class OfficerOut(BaseModel):
    """A grid officer as an officer sees them (contacts masked)."""

    id: int
    name: str = Field(description="masked, e.g. 张*明")
    phone: str = Field(description="masked, e.g. 138****1234")


class HouseholdChain(BaseModel):
    """A household, where it lives, and the heads who cover it."""

    id: int
    address: str
    room: str
    persons: int
    masked: bool = Field(
        False, description="address down to its unit and room hidden for the caller's role"
    )
    unit_id: int
    unit_number: int
    building_id: int
    building_number: int
    compound_id: int
    compound_name: str
    grid_code: str
    community_code: str
    community_name: str
    ended_on: date | None = Field(
        None, description="the day the household moved out (ended); null: it lives here"
    )
    ended_reason: str | None = Field(None, description="why it ended (搬离本市, ...)")
    at: datetime | None = Field(description="the moment asked about; null: now")
    unit_head: CoveringHead | None = Field(
        description="who covers it at ``at``; for an ended household, the last who did "
        "(until: when that ended)"
    )
    building_heads: list[HeadOut]
    compound_heads: list[HeadOut]
    grid_officers: list[OfficerOut] = Field(description="the grid's officer (网格员), masked")


class Move(BaseModel):
    """Make a unit head cover a household."""

    head_id: int = Field(ge=1, le=2**31 - 1)
    by: str | None = Field(
        default=None, max_length=100, description="a note on the change; the key says who"
    )
    lock: bool = Field(default=True, description="keep it through every run until unlocked")


class Lock(BaseModel):
    """Lock or unlock a household's current assignment."""

    locked: bool
    by: str | None = Field(
        default=None, max_length=100, description="a note on the change; the key says who"
    )


class MoveIn(BaseModel):
    """A household moving into a room of a unit."""

    unit_id: int = Field(ge=1, le=2**31 - 1)
    room: str = Field(min_length=1, max_length=16, examples=["501"])
    persons: int = Field(ge=1, le=30)
    by: str | None = Field(
        default=None, max_length=100, description="a note on the move-in; the key says who"
    )


class CommunityCapacity(BaseModel):
    """A community's unit-head target and maximum, in households."""

    target: int = Field(ge=1, le=1000, examples=[18])
    maximum: int = Field(ge=1, le=1000, examples=[25])


class CommunityCapacityOut(CommunityCapacity):
    """The setting as stored."""

    code: str
    name: str


class HeadCapacity(BaseModel):
    """A unit head's own target and maximum; null follows the community's."""

    target: int | None = Field(default=None, ge=1, le=1000)
    maximum: int | None = Field(default=None, ge=1, le=1000)


class HeadCapacityOut(BaseModel):
    """The head's target and maximum as they now apply."""

    head_id: int
    target: int
    maximum: int
    own_setting: bool = Field(description="false: the community's setting applies")


class Proposal(BaseModel):
    """A proposed unit head and the households they would take, per unit."""

    household_id: int
    address: str
    community_code: str
    kind: Literal["member", "volunteer"]
    covers: dict[int, int] = Field(description="unit id -> households")
    households: int


class Recruits(BaseModel):
    """Coverage now and with the proposed heads."""

    households: int
    left_out_before: int
    over_target_before: int
    left_out_after: int
    over_target_after: int
    proposals: list[Proposal]
    optimal: bool = Field(description="the fewest heads is proven, not the best found in time")


class RejectOut(BaseModel):
    """A row that did not land: where and why."""

    row: int = Field(description="the row as the user counts it (CSV line, XLSX row, feature)")
    field: str = Field(description="the layer's field (address, lon/lat ...)")
    value: str | None
    reason: str
    column: str | None = Field(None, description="the file's own header for the field (地址)")
    where: str | None = Field(None, description="the row as the user's program shows it")


class DiffRowOut(BaseModel):
    """A person of a roster diff: new, changed (with what changes) or to retire."""

    kind: str = Field(description="new, changed or retire")
    label: str = Field(description="their name (masked to roles that see masks)")
    id: int | None = Field(description="their id in the store (none for new ones)")
    fields: list[str] = Field(description="the fields that change")
    changes: list[str] = Field(description="old → new per field (admins only)")


class RosterDiffOut(BaseModel):
    """A roster file against the store."""

    full: bool = Field(description="the people left out are retired (left_on today)")
    dry_run: bool = Field(description="compared only: nothing was written")
    new: int
    changed: int
    unchanged: int
    missing: int = Field(description="serving in the store, absent from the file")
    retired: int = Field(description="of those, retired by this import")
    rows: list[DiffRowOut] = Field(description="up to 200 rows of each kind")


class ImportResult(BaseModel):
    """What an import did; rows_in = inserted + updated + unchanged + rejected."""

    layer: str
    file: str
    crs: str
    rows_in: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    rejects: list[RejectOut] = Field(description="the first 1,000 rejected rows")
    notes: list[str] = Field(description="repairs made, e.g. geometries fixed with make_valid")
    warnings: list[str]
    diff: RosterDiffOut | None = Field(
        default=None, description="rosters (heads, officers, members): the diff"
    )


class ParsedParts(BaseModel):
    """The parts of an address the parser found (null where absent)."""

    community: str | None
    compound: str | None
    zone: str | None = Field(
        description="the compound's zone, canonical (B区, 1区 for 一区, 东区); found also "
        "when the store names the compound without it"
    )
    building: int | None
    building_label: str | None = Field(
        description="a lettered building's label (12A for 12A号楼, A for A座), matched on "
        "the building's label"
    )
    unit: int | None
    room: str | None


class CompoundCandidate(BaseModel):
    """A known compound close to the address's, best first."""

    compound_id: int
    compound: str
    community: str
    score: float = Field(description="1.0: the same name; above 0.8: one contains the other")


class AddressLookup(BaseModel):
    """What an address names: the household or the deepest place found, and its heads;
    or only candidates when the compound is not certain."""

    query: str
    parsed: ParsedParts
    candidates: list[CompoundCandidate]
    found: Literal["compound", "building", "unit", "household"] | None = Field(
        description="the deepest level found; null: pick a candidate"
    )
    household: HouseholdChain | None
    place: Lookup | None


class ErrorOut(BaseModel):
    """An error: what went wrong, in words (domain errors), or per field (422 from
    validating the request)."""

    detail: str | list[dict[str, Any]]


class CommunityListed(BaseModel):
    """A community by name and code, with its size and the link to its map."""

    code: str = Field(description="12-digit statistical code")
    name: str = Field(description="its name, which works wherever the code does")
    street: str
    grids: int
    compounds: int
    households: int
    map: str = Field(description="its officers' map: /maps/communities/{code}")
