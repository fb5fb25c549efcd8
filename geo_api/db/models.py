"""The store's schema as SQLAlchemy models. Alembic migrations create it;
these classes only describe it (the app never calls create_all).

Geometry is EPSG:4326 (lon, lat) with GiST indexes; metric work projects to a
metric CRS or casts to geography.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SRID = 4326

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING)


def geometry(kind: str) -> Geometry:
    """A 4326 geometry column; its GiST index is declared explicitly on the table."""
    return Geometry(kind, srid=SRID, spatial_index=False)


def gist(table: str, column: str = "geom") -> Index:
    """The GiST index of a geometry column."""
    return Index(f"ix_{table}_{column}", column, postgresql_using="gist")


class HeadRole(StrEnum):
    """The three heads (三长)."""

    compound = "compound"
    building = "building"
    unit = "unit"


class StationTier(StrEnum):
    """The 1+5+30+N party-mass service station system."""

    city = "city"
    street = "street"
    community = "community"
    outpost = "outpost"


class AssignReason(StrEnum):
    """Why a household is covered by its unit head."""

    own_unit = "own_unit"
    same_building = "same_building"
    same_compound = "same_compound"
    same_grid = "same_grid"  # another compound of the grid: the compound had no room
    manual = "manual"  # set by an officer


class CoverLevel(StrEnum):
    """The places covered as a whole: by building and compound heads, by grid officers."""

    building = "building"
    compound = "compound"
    grid = "grid"


class CoverReason(StrEnum):
    """Why a place is covered by whom."""

    own = "own"  # the head of this very building or compound; the officer of this grid
    nearest = "nearest"  # a place with nobody of its own, covered by the nearest with room
    assigned = "assigned"  # a grid given to an officer by hand; kept while they have room


class Street(Base):
    """街道: a street office's territory, 9-digit statistical code."""

    __tablename__ = "street"
    __table_args__ = (CheckConstraint("code ~ '^[0-9]{9}$'", name="code_9_digits"), gist("street"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(Text)
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTIPOLYGON"))
    # The first generation this version is valid in (geo_api.generations, migration 0022).
    generation_low: Mapped[int] = mapped_column(
        ForeignKey("generation.id"), server_default=text("gridgov_current_generation()")
    )


class Community(Base):
    """社区: 12-digit code, the street's 9 digits + 3."""

    __tablename__ = "community"
    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{12}$'", name="code_12_digits"),
        CheckConstraint("unit_head_target > 0", name="unit_head_target_positive"),
        CheckConstraint("unit_head_max >= unit_head_target", name="unit_head_max_at_least_target"),
        gist("community"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(Text)
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id", ondelete="CASCADE"), index=True)
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTIPOLYGON"))
    # The households a unit head of this community should cover, and at most may;
    # a head's own capacity, when set, overrides them.
    unit_head_target: Mapped[int] = mapped_column(Integer, server_default=text("18"))
    unit_head_max: Mapped[int] = mapped_column(Integer, server_default=text("25"))
    # The first generation this version is valid in (geo_api.generations, migration 0022).
    generation_low: Mapped[int] = mapped_column(
        ForeignKey("generation.id"), server_default=text("gridgov_current_generation()")
    )


class Grid(Base):
    """网格: the community's code + a 3-digit sequence (west→east, north→south)."""

    __tablename__ = "grid"
    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{15}$'", name="code_15_digits"),
        # Lets compound reference (grid, community) so the two can never disagree.
        UniqueConstraint("id", "community_id"),
        gist("grid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    name: Mapped[str] = mapped_column(Text)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTIPOLYGON"))
    # The first generation this version is valid in (geo_api.generations, migration 0022).
    generation_low: Mapped[int] = mapped_column(
        ForeignKey("generation.id"), server_default=text("gridgov_current_generation()")
    )


class Compound(Base):
    """小区: a residential compound inside one grid."""

    __tablename__ = "compound"
    __table_args__ = (
        ForeignKeyConstraint(
            ["grid_id", "community_id"],
            ["grid.id", "grid.community_id"],
            ondelete="CASCADE",
            # A grid moved to another community (a new generation) takes its compounds.
            onupdate="CASCADE",
        ),
        UniqueConstraint("community_id", "name"),
        gist("compound"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(Text)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    geom: Mapped[WKBElement] = mapped_column(geometry("POLYGON"))
    # The first generation this version is valid in (geo_api.generations, migration 0022).
    generation_low: Mapped[int] = mapped_column(
        ForeignKey("generation.id"), server_default=text("gridgov_current_generation()")
    )


class Building(Base):
    """楼栋: numbered 1..n within its compound. A building people name with a letter
    (12A号楼, A座) also has ``label``, its canonical name ("12A", "A"), unique in its
    compound; addresses with a letter are matched on it."""

    __tablename__ = "building"
    __table_args__ = (
        UniqueConstraint("compound_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("floors > 0", name="floors_positive"),
        CheckConstraint("label ~ '^[0-9]{0,4}[A-Z]$'", name="label_form"),
        Index(
            "uq_building_compound_label",
            "compound_id",
            "label",
            unique=True,
            postgresql_where=text("label IS NOT NULL"),
        ),
        gist("building"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(Text)
    floors: Mapped[int | None] = mapped_column(Integer)  # None: not known
    geom: Mapped[WKBElement] = mapped_column(geometry("POLYGON"))


class Unit(Base):
    """单元: a stairwell of a building."""

    __tablename__ = "unit"
    __table_args__ = (
        UniqueConstraint("building_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        gist("unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    geom: Mapped[WKBElement] = mapped_column(geometry("POLYGON"))


class Household(Base):
    """户: a household in a room of a unit."""

    __tablename__ = "household"
    __table_args__ = (
        # Several households may share a room (分户): the register's household number
        # (or head of household) tells them apart; '' where a room holds one.
        # Current households only: a room a household moved out of is free again.
        Index(
            "uq_household_current_room",
            "unit_id",
            "room",
            "household_no",
            unique=True,
            postgresql_where=text("ended_on IS NULL"),
        ),
        CheckConstraint("persons > 0", name="persons_positive"),
        CheckConstraint("(ended_on IS NULL) = (ended_reason IS NULL)", name="ended_with_reason"),
        Index("ix_household_ended_on", "ended_on", postgresql_where=text("ended_on IS NOT NULL")),
        gist("household"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    room: Mapped[str] = mapped_column(String(16))
    persons: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(Text)
    # Someone here offered to serve: a candidate when recruiting new unit heads.
    volunteer: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    household_no: Mapped[str] = mapped_column(String(32), server_default="")
    # From the register; personal data (masked and audited like heads' names and phones).
    head_name: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    registered_on: Mapped[date | None] = mapped_column(Date)
    remarks: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"))
    # A household that moved out is ended, never deleted (its history stays); from
    # then on it is in no current view (migration 0014).
    ended_on: Mapped[date | None] = mapped_column(Date)
    ended_reason: Mapped[str | None] = mapped_column(Text)
    ended_by: Mapped[str | None] = mapped_column(Text)


class Head(Base):
    """A compound, building or unit head (三长), living in one household."""

    __tablename__ = "head"
    __table_args__ = (
        CheckConstraint(
            "(role = 'compound' AND compound_id IS NOT NULL AND building_id IS NULL "
            "AND unit_id IS NULL) OR (role = 'building' AND building_id IS NOT NULL "
            "AND compound_id IS NULL AND unit_id IS NULL) OR (role = 'unit' AND unit_id "
            "IS NOT NULL AND compound_id IS NULL AND building_id IS NULL)",
            name="scope_matches_role",
        ),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("max_capacity >= capacity", name="max_at_least_capacity"),
        # Only a unit head may leave them empty, to follow its community's setting.
        CheckConstraint(
            "role = 'unit' OR (capacity IS NOT NULL AND max_capacity IS NOT NULL)",
            name="capacity_set_unless_unit",
        ),
        Index("ix_head_role", "role"),
        Index("ix_head_household_id", "household_id"),
        # The officer's day reads terms by their dates (migration 0021).
        Index("ix_head_appointed_on", "appointed_on"),
        Index("ix_head_left_on", "left_on", postgresql_where=text("left_on IS NOT NULL")),
        Index("ix_head_moved_from", "moved_from", postgresql_where=text("moved_from IS NOT NULL")),
        CheckConstraint("left_on IS NULL OR left_on >= appointed_on", name="term_in_order"),
        # One serving head per household and place: what imports upsert on. A head
        # who stepped down may be appointed again (a new term, a new row).
        Index(
            "uq_head_unit_household",
            "unit_id",
            "household_id",
            unique=True,
            postgresql_where=text("role = 'unit' AND left_on IS NULL"),
        ),
        Index(
            "uq_head_building_household",
            "building_id",
            "household_id",
            unique=True,
            postgresql_where=text("role = 'building' AND left_on IS NULL"),
        ),
        Index(
            "uq_head_compound_household",
            "compound_id",
            "household_id",
            unique=True,
            postgresql_where=text("role = 'compound' AND left_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[HeadRole] = mapped_column(
        Enum(HeadRole, name="head_role", native_enum=False, create_constraint=True, length=16)
    )
    name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(String(20))
    # RESTRICT: a head's home is ended, never deleted, while the head is on record.
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="RESTRICT"))
    compound_id: Mapped[int | None] = mapped_column(
        ForeignKey("compound.id", ondelete="CASCADE"), index=True
    )
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("building.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("unit.id", ondelete="CASCADE"), index=True
    )
    # Households the head should cover, and the most they may ever cover; for a
    # unit head, empty means the community's unit_head_target and unit_head_max
    # (the view head_effective resolves them).
    capacity: Mapped[int | None] = mapped_column(Integer)
    max_capacity: Mapped[int | None] = mapped_column(Integer)
    # A head who stepped down stays on record (their assignments are history);
    # from this date on they cover nobody. A row is one term at one place.
    left_on: Mapped[date | None] = mapped_column(Date)
    # The head agreed to have their name and phone shown in full on the placards
    # (三长信息公示牌); without it a placard shows them masked.
    consent_public: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    appointed_on: Mapped[date] = mapped_column(Date, server_default=text("china_today()"))
    appointed_by: Mapped[str | None] = mapped_column(Text)
    left_reason: Mapped[str | None] = mapped_column(Text)
    left_by: Mapped[str | None] = mapped_column(Text)
    # The term this one continues at another place (a head who moved).
    moved_from: Mapped[int | None] = mapped_column(ForeignKey("head.id", ondelete="RESTRICT"))


class AssignmentRun(Base):
    """One run of the assignment engine, with its counts and churn."""

    __tablename__ = "assignment_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    households: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    assigned: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    unassigned: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    kept: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    moved: Mapped[int] = mapped_column(Integer, server_default=text("0"))  # changed head
    added: Mapped[int] = mapped_column(Integer, server_default=text("0"))  # had none before
    dropped: Mapped[int] = mapped_column(Integer, server_default=text("0"))  # has none now


class Assignment(Base):
    """A household covered by a unit head from valid_from until valid_to (open: now)."""

    __tablename__ = "assignment"
    __table_args__ = (
        # At most one current assignment per household.
        Index(
            "uq_assignment_current_household",
            "household_id",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index("ix_assignment_current_head", "head_id", postgresql_where=text("valid_to IS NULL")),
        Index("ix_assignment_valid_from", "valid_from"),
        Index("ix_assignment_closed", "valid_to", postgresql_where=text("valid_to IS NOT NULL")),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
        CheckConstraint("distance_m >= 0", name="distance_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: history is never deleted by a cascade. A trigger checks that a
    # new entry names a household that exists; deleting the household closes its
    # open entry and keeps its address here (migration 0008).
    household_id: Mapped[int] = mapped_column(Integer, index=True)
    household_address: Mapped[str | None] = mapped_column(Text)
    # RESTRICT: deleting a head must not erase who covered whom; heads leave via left_on.
    head_id: Mapped[int] = mapped_column(ForeignKey("head.id", ondelete="RESTRICT"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_run.id", ondelete="SET NULL"))
    reason: Mapped[AssignReason] = mapped_column(
        Enum(
            AssignReason, name="assign_reason", native_enum=False, create_constraint=True, length=16
        )
    )
    distance_m: Mapped[float] = mapped_column(Float)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A locked assignment is kept by every run until someone unlocks it.
    locked: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Who made it: the engine's runs leave this empty; officers' moves name them.
    changed_by: Mapped[str | None] = mapped_column(Text)


class Station(Base):
    """党群服务中心/站/驿站: a party-mass service station of one tier."""

    __tablename__ = "station"
    __table_args__ = (
        CheckConstraint("floor_area_m2 > 0", name="floor_area_positive"),
        gist("station"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[StationTier] = mapped_column(
        Enum(StationTier, name="station_tier", native_enum=False, create_constraint=True, length=16)
    )
    name: Mapped[str] = mapped_column(Text, unique=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id", ondelete="SET NULL"))
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL"), index=True
    )
    floor_area_m2: Mapped[float] = mapped_column(Float)
    hours: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"))


class Member(Base):
    """报到党员: a party member registered with the community where they live."""

    __tablename__ = "member"
    __table_args__ = (
        CheckConstraint("placed_by IN ('point', 'household', 'address')", name="placed_by_known"),
        # A member is known by name and phone: what registers list, and what
        # re-imports match on.
        UniqueConstraint("name", "phone"),
        CheckConstraint("status IN ('serving', 'retired')", name="status_known"),
        Index("ix_member_left_on", "left_on", postgresql_where=text("left_on IS NOT NULL")),
        gist("member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(String(20))
    # Where they live, which decides their community: a point, a household, or an
    # address to match (gridgov place-members fills community_id from them).
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL"), index=True
    )
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="SET NULL")
    )
    address: Mapped[str | None] = mapped_column(Text)
    placed_by: Mapped[str | None] = mapped_column(String(16))
    registered_on: Mapped[date] = mapped_column(Date, index=True)
    geom: Mapped[WKBElement | None] = mapped_column(geometry("POINT"), nullable=True)
    # 在职 (serving, with a workplace) or 离退休 (retired).
    status: Mapped[str] = mapped_column(String(16), server_default=text("'serving'"))
    workplace: Mapped[str | None] = mapped_column(Text)
    # The alliance unit (党建联盟单位) they work at, when it is one; the year-end
    # summary goes to it. SET NULL: a unit's record going leaves the member's text.
    workplace_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("alliance_unit.id", ondelete="SET NULL"), index=True
    )
    left_on: Mapped[date | None] = mapped_column(Date)
    left_reason: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GridOfficer(Base):
    """网格员: a community worker in charge of grids (their own, and others left without)."""

    __tablename__ = "grid_officer"
    __table_args__ = (
        CheckConstraint("max_grids > 0", name="max_grids_positive"),
        Index("ix_grid_officer_appointed_on", "appointed_on"),
        Index("ix_grid_officer_left_on", "left_on", postgresql_where=text("left_on IS NOT NULL")),
        # A roster names an officer by name and phone: what re-imports match on.
        UniqueConstraint("name", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(String(20))
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid.id", ondelete="SET NULL"), index=True
    )
    max_grids: Mapped[int] = mapped_column(Integer, server_default=text("3"))
    left_on: Mapped[date | None] = mapped_column(Date)
    part_time: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))  # 兼职
    appointed_on: Mapped[date | None] = mapped_column(Date)
    left_reason: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PlaceCover(Base):
    """A building or compound covered by a head, or a grid by an officer, over time."""

    __tablename__ = "place_cover"
    __table_args__ = (
        CheckConstraint(
            "(level = 'building' AND building_id IS NOT NULL AND head_id IS NOT NULL) OR "
            "(level = 'compound' AND compound_id IS NOT NULL AND head_id IS NOT NULL) OR "
            "(level = 'grid' AND grid_id IS NOT NULL AND officer_id IS NOT NULL)",
            name="place_matches_level",
        ),
        Index(
            "uq_place_cover_current_building",
            "building_id",
            unique=True,
            postgresql_where=text("valid_to IS NULL AND level = 'building'"),
        ),
        Index(
            "uq_place_cover_current_compound",
            "compound_id",
            unique=True,
            postgresql_where=text("valid_to IS NULL AND level = 'compound'"),
        ),
        Index(
            "uq_place_cover_current_grid",
            "grid_id",
            unique=True,
            postgresql_where=text("valid_to IS NULL AND level = 'grid'"),
        ),
        Index("ix_place_cover_valid_from", "valid_from"),
        Index("ix_place_cover_closed", "valid_to", postgresql_where=text("valid_to IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[CoverLevel] = mapped_column(
        Enum(CoverLevel, name="cover_level", native_enum=False, create_constraint=True, length=16)
    )
    # No foreign keys to the places: history is never deleted by a cascade. A
    # trigger checks new entries; deleting the place closes its open entry and keeps
    # its code in place_label (a building's: compound code/number; migration 0008).
    building_id: Mapped[int | None] = mapped_column(Integer, index=True)
    compound_id: Mapped[int | None] = mapped_column(Integer, index=True)
    grid_id: Mapped[int | None] = mapped_column(Integer, index=True)
    place_label: Mapped[str | None] = mapped_column(Text)
    head_id: Mapped[int | None] = mapped_column(
        ForeignKey("head.id", ondelete="RESTRICT"), index=True
    )
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_officer.id", ondelete="RESTRICT"), index=True
    )
    reason: Mapped[CoverReason] = mapped_column(
        Enum(CoverReason, name="cover_reason", native_enum=False, create_constraint=True, length=16)
    )
    distance_m: Mapped[float] = mapped_column(Float)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_run.id", ondelete="SET NULL"))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Road(Base):
    """道路: a street or path people walk along; the walking network is built from these."""

    __tablename__ = "road"
    __table_args__ = (gist("road"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The source's own id, or a hash of the line when the file has none: what
    # re-imports match on.
    ref: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), server_default=text("'street'"))
    # OpenStreetMap's levels: ways at different levels are never joined where they cross.
    bridge: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    tunnel: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    layer: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTILINESTRING"))


class CompoundGate(Base):
    """小区出入口: where people leave a compound for the streets (its only entries)."""

    __tablename__ = "compound_gate"
    __table_args__ = (UniqueConstraint("compound_id", "name"), gist("compound_gate"))

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"))


class RoadVertex(Base):
    """A node of the walking network (built by gridgov network build)."""

    __tablename__ = "road_vertex"
    __table_args__ = (gist("road_vertex"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"))


class RoadEdge(Base):
    """An edge of the walking network, in metres: a noded piece of a road, or the
    connector that joins a gate or a station to its nearest road."""

    __tablename__ = "road_edge"
    __table_args__ = (
        CheckConstraint("kind IN ('road', 'connector')", name="kind_known"),
        gist("road_edge"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    source: Mapped[int] = mapped_column(
        ForeignKey("road_vertex.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[int] = mapped_column(
        ForeignKey("road_vertex.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    length_m: Mapped[float] = mapped_column(Float)
    geom: Mapped[WKBElement] = mapped_column(geometry("LINESTRING"))


class NetworkEntry(Base):
    """Where a compound or a station meets the walking network: a gate, a station,
    or (for a compound with no gate on record) each building's foot on its nearest way."""

    __tablename__ = "network_entry"
    __table_args__ = (
        CheckConstraint("kind IN ('gate', 'building', 'station')", name="kind_known"),
        CheckConstraint(
            "(kind = 'building') = (building_id IS NOT NULL)", name="building_matches_kind"
        ),
        CheckConstraint(
            "(kind = 'station') = (station_id IS NOT NULL) AND "
            "(kind = 'station') = (compound_id IS NULL)",
            name="owner_matches_kind",
        ),
        gist("network_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    compound_id: Mapped[int | None] = mapped_column(
        ForeignKey("compound.id", ondelete="CASCADE"), index=True
    )
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("station.id", ondelete="CASCADE"), index=True
    )
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"))
    vertex_id: Mapped[int] = mapped_column(ForeignKey("road_vertex.id", ondelete="CASCADE"))
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"))


class NetworkBuild(Base):
    """How the walking network was last built (one row): a rebuild after an import
    keeps the choice of noding at crossings."""

    __tablename__ = "network_build"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default=text("1"))
    node_crossings: Mapped[bool] = mapped_column(Boolean)
    metric_epsg: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ServiceArea(Base):
    """服务范围: the ground within a walk of ``reach_m`` metres of a station."""

    __tablename__ = "service_area"
    __table_args__ = (
        CheckConstraint("method IN ('network', 'straight')", name="method_known"),
        CheckConstraint("reach_m > 0", name="reach_positive"),
        gist("service_area"),
    )

    station_id: Mapped[int] = mapped_column(
        ForeignKey("station.id", ondelete="CASCADE"), primary_key=True
    )
    reach_m: Mapped[int] = mapped_column(Integer, primary_key=True)
    method: Mapped[str] = mapped_column(String(16))
    households: Mapped[int] = mapped_column(Integer)
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTIPOLYGON"))


class ApiKey(Base):
    """A key to the API: who holds it, their role, and for officers their community
    or grid. Only a hash of the key is stored; the key is shown once, when made."""

    __tablename__ = "api_key"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'command', 'officer', 'planner')", name="role_known"),
        CheckConstraint(
            "(role = 'officer') = (community_id IS NOT NULL)", name="officer_has_community"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(
        String(12)
    )  # the key's first characters, to tell keys apart
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"))
    per_minute: Mapped[int] = mapped_column(Integer, server_default=text("600"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditLog(Base):
    """Every read of personal data in full: who, when, which records, why."""

    __tablename__ = "audit_log"
    # Partitioned BY RANGE (at), a partition a year (migration 0025): the key has it.
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), primary_key=True
    )
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id", ondelete="SET NULL"))
    key_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(Text)  # the request: method and path
    records: Mapped[str] = mapped_column(Text)  # e.g. "head:12,head:40,officer:3"
    reason: Mapped[str | None] = mapped_column(Text)  # the X-Purpose header, if given


class DataVersion(Base):
    """One row: a number bumped at the commit of every transaction that changes the
    city's data (triggers of migration 0012), the key of every stored result."""

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class DataChange(Base):
    """A transaction that changed data and has not committed yet (its own row only is
    visible to it): the deferred trigger that bumps the version deletes it."""

    __tablename__ = "data_change"

    txid: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class StoredResult(Base):
    """A result computed from one data version (gaps, recruits, a map page), encoded,
    shared by every worker until the data changes."""

    __tablename__ = "stored_result"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EndedSession(Base):
    """A token signed out before its expiry (/logout): refused from then on. Only the
    token's SHA-256 is kept; rows past the expiry are deleted, as the token is dead.
    No foreign key to api_key: a city reload truncates that table with CASCADE."""

    __tablename__ = "ended_session"
    __table_args__ = (Index("ix_ended_session_expires_at", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RateBucket(Base):
    """A token bucket of a key's requests a minute (kind "key", name its id) or of an
    address's wrong keys a minute (kind "address"), shared by every worker
    (geo_api.auth.budget). UNLOGGED: rewritten on every request, never flushed to the
    WAL; a crash empties it, which only refills every bucket."""

    __tablename__ = "rate_bucket"
    __table_args__ = ({"prefixes": ["UNLOGGED"]},)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    cap: Mapped[float] = mapped_column(Float)  # tokens a minute, and the most it holds
    tokens: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # when tokens was true
    granted: Mapped[bool] = mapped_column(Boolean)  # whether the last ask got a token
    # A key's last write (its reads stay on the primary a while: geo_api.api.reads).
    wrote_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Snapshot(Base):
    """The key figures and the open gaps of one place (city, street or community) at
    one time: taken after every data change and at least daily (geo_api.stats)."""

    __tablename__ = "snapshot"
    __table_args__ = (
        CheckConstraint("level IN ('city', 'street', 'community')", name="level_known"),
        Index("ix_snapshot_place_at", "level", "code", "taken_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(BigInteger)  # the data version it was taken from
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(Text)
    households: Mapped[int] = mapped_column(Integer)
    covered: Mapped[int] = mapped_column(Integer)
    heads: Mapped[int] = mapped_column(Integer)
    heads_over_target: Mapped[int] = mapped_column(Integer)
    members: Mapped[int] = mapped_column(Integer)
    stations: Mapped[int] = mapped_column(Integer)
    gaps_high: Mapped[int] = mapped_column(Integer)
    gaps_medium: Mapped[int] = mapped_column(Integer)
    gaps_low: Mapped[int] = mapped_column(Integer)
    gaps: Mapped[dict[str, dict[str, int]]] = mapped_column(JSONB)  # type -> severity -> n


class OpenGap(Base):
    """A gap of the current data and since when it has been open (the wall's alerts)."""

    __tablename__ = "open_gap"

    type: Mapped[str] = mapped_column(String(40), primary_key=True)
    ref_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    ref_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# The party-building tables share this metadata (and the migrations' comparison).
import geo_api.db.party  # noqa: E402,F401


class Generation(Base):
    """One set of the area layers' boundaries and the dates it was valid (as MapIt's
    generations): made current at ``activated``; valid from ``valid_from`` until the
    day before ``valid_to``. Not yet activated: imported, waiting to be made current."""

    __tablename__ = "generation"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
        # At most one generation waits to be made current (migration 0026).
        Index(
            "uq_generation_one_pending",
            text("(true)"),
            unique=True,
            postgresql_where=text("activated IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    activated: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # The area layers imported into this generation; the others carry on unchanged.
    layers: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    changed_by: Mapped[str | None] = mapped_column(Text)


class AreaVersion(Base):
    """A version of an area that is not in the current generation: an old one, valid
        from ``generation_low`` to ``generation_high``, or one of a generation not yet
        made current (low = high = it). Outlines keep their layer's type (compounds are
    polygons). ``area_id`` is the id it had (or will have) in its
        layer's table; parents are named by code, as generations share codes, not ids."""

    __tablename__ = "area_version"
    __table_args__ = (
        CheckConstraint("layer IN ('street', 'community', 'grid', 'compound')", name="area_layer"),
        CheckConstraint("generation_high >= generation_low", name="generation_range"),
        UniqueConstraint("layer", "code", "generation_low"),
        Index("ix_area_version_layer_generation", "layer", "generation_low", "generation_high"),
        gist("area_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    layer: Mapped[str] = mapped_column(Text)
    area_id: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement] = mapped_column(geometry("GEOMETRY"))
    generation_low: Mapped[int] = mapped_column(ForeignKey("generation.id", ondelete="CASCADE"))
    generation_high: Mapped[int] = mapped_column(ForeignKey("generation.id", ondelete="CASCADE"))
