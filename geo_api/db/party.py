"""The party-building tables of the Houma report (issue 17): alliance units and their
agreements, the three lists (resources, demands, projects) on a yearly cycle, and the
registered members' service (activities, the "four to" steps, points).

They join ``Base.metadata`` because ``geo_api.db.models`` imports this module.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from geoalchemy2 import WKBElement
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo_api.db.models import Base, geometry, gist


def _enum(kind: type[StrEnum], name: str) -> Enum:
    """A text column held to the enum's values by a check constraint."""
    return Enum(kind, name=name, native_enum=False, create_constraint=True, length=24)


class UnitKind(StrEnum):
    """What kind of organisation an alliance unit is."""

    government = "government"  # 党政机关
    institution = "institution"  # 事业单位
    state_firm = "state_firm"  # 国有企业
    private_firm = "private_firm"  # 非公企业
    school = "school"  # 学校
    hospital = "hospital"  # 医院
    bank = "bank"  # 金融机构
    social_org = "social_org"  # 社会组织
    other = "other"


class Checkpoint(StrEnum):
    """The three checkpoints of the lists' year (年初/年中/年末)."""

    start = "start"
    mid = "mid"
    end = "end"


class ResourceKind(StrEnum):
    """What a resource is: a venue, a volunteer team, funds, a skill, goods."""

    venue = "venue"  # 场地
    team = "team"  # 志愿队伍
    funds = "funds"  # 资金
    skill = "skill"  # 技能服务
    goods = "goods"  # 物资
    other = "other"


# The day (month, day) each checkpoint falls on in the lists' year: the lists drawn up,
# mid-year guidance, the year-end report. Domain, gaps and demo all read it here.
CHECKPOINT_DAYS = {Checkpoint.start: (3, 31), Checkpoint.mid: (6, 30), Checkpoint.end: (12, 31)}


class DemandStatus(StrEnum):
    """Where a demand stands."""

    open = "open"
    matched = "matched"  # a project meets it
    met = "met"
    dropped = "dropped"


class ProjectStatus(StrEnum):
    """Where a project stands."""

    planned = "planned"
    underway = "underway"
    done = "done"
    dropped = "dropped"


class ListCategory(Base):
    """A category of the shared vocabulary of the three lists (养老, 儿童, 环境...); editable."""

    __tablename__ = "list_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    # Retired categories stay for the lists that used them; new items may not take them.
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class AllianceUnit(Base):
    """联盟单位: an organisation based in the city that signed an alliance agreement."""

    __tablename__ = "alliance_unit"
    __table_args__ = (gist("alliance_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind, "unit_kind"))
    address: Mapped[str | None] = mapped_column(Text)
    # The unit's liaison: personal data, masked and audited like heads' names and phones.
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    geom: Mapped[WKBElement | None] = mapped_column(geometry("POINT"), nullable=True)


class AllianceAgreement(Base):
    """联盟协议: a unit bound to a street or a community from signing until it ends."""

    __tablename__ = "alliance_agreement"
    __table_args__ = (
        CheckConstraint(
            "(street_id IS NULL) <> (community_id IS NULL)", name="street_or_community"
        ),
        CheckConstraint("ended_on IS NULL OR ended_on >= signed_on", name="ends_after_signing"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: an agreement is history; units leave by ending it.
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("alliance_unit.id", ondelete="RESTRICT"), index=True
    )
    street_id: Mapped[int | None] = mapped_column(
        ForeignKey("street.id", ondelete="CASCADE"), index=True
    )
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    signed_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)


class PartyResource(Base):
    """资源清单: what a unit or a member offers one year, where, and to how many demands."""

    __tablename__ = "party_resource"
    __table_args__ = (
        CheckConstraint("(unit_id IS NULL) <> (member_id IS NULL)", name="unit_or_member"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        Index("ix_party_resource_year_category", "year", "category_id"),
        gist("party_resource"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[ResourceKind] = mapped_column(_enum(ResourceKind, "resource_kind"))
    category_id: Mapped[int] = mapped_column(ForeignKey("list_category.id", ondelete="RESTRICT"))
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("alliance_unit.id", ondelete="RESTRICT"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="RESTRICT"), index=True
    )
    # What is offered, measured in its own unit (人次, 平方米, 元, 小时...).
    quantity: Mapped[float | None] = mapped_column(Float)
    measure: Mapped[str | None] = mapped_column(Text)
    # How many demands it can serve at once: what the matching respects.
    capacity: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL"), index=True
    )
    address: Mapped[str | None] = mapped_column(Text)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    geom: Mapped[WKBElement | None] = mapped_column(geometry("POINT"), nullable=True)


class PartyDemand(Base):
    """需求清单: what a community or compound needs one year, raised by whom, how urgent."""

    __tablename__ = "party_demand"
    __table_args__ = (
        CheckConstraint("urgency BETWEEN 1 AND 3", name="urgency_known"),
        Index("ix_party_demand_year_status", "year", "status"),
        gist("party_demand"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("list_category.id", ondelete="RESTRICT"))
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    compound_id: Mapped[int | None] = mapped_column(
        ForeignKey("compound.id", ondelete="SET NULL"), index=True
    )
    # Who raised it: a residents' group, a head, the community committee (free text:
    # not personal data when it names a body; masked with the rest when it names a person).
    raised_by: Mapped[str | None] = mapped_column(Text)
    raised_on: Mapped[date] = mapped_column(Date, server_default=func.china_today())
    urgency: Mapped[int] = mapped_column(SmallInteger, server_default=text("2"))  # 1 low .. 3 high
    # The checkpoint of the year by which it should be met; open past it is a gap.
    due: Mapped[Checkpoint] = mapped_column(
        _enum(Checkpoint, "checkpoint"), server_default=Checkpoint.mid.value
    )
    status: Mapped[DemandStatus] = mapped_column(
        _enum(DemandStatus, "demand_status"), server_default=DemandStatus.open.value
    )
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"))


class PartyProject(Base):
    """项目清单: a demand met with resources, with owners and milestones, through the year."""

    __tablename__ = "party_project"
    __table_args__ = (
        Index("ix_party_project_year_status", "year", "status"),
        Index("ix_party_project_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(Text)
    demand_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_demand.id", ondelete="RESTRICT"), index=True
    )
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    # The unit that leads it, if a unit does; the people in charge are in owners.
    lead_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("alliance_unit.id", ondelete="RESTRICT"), index=True
    )
    owners: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ProjectStatus] = mapped_column(
        _enum(ProjectStatus, "project_status"), server_default=ProjectStatus.planned.value
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Who accepted the match or entered it (an officer's key name, cli:<user>, import).
    created_by: Mapped[str | None] = mapped_column(Text)


class ProjectResource(Base):
    """A resource committed to a project (the match, once accepted)."""

    __tablename__ = "project_resource"
    __table_args__ = (UniqueConstraint("project_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("party_project.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("party_resource.id", ondelete="RESTRICT"), index=True
    )
    # The walking distance when matched, in metres (none when entered by hand).
    distance_m: Mapped[float | None] = mapped_column(Float)


class ProjectMilestone(Base):
    """A step of a project due at one of the year's checkpoints; done when done_on is set."""

    __tablename__ = "project_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("party_project.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(Text)
    checkpoint: Mapped[Checkpoint] = mapped_column(_enum(Checkpoint, "checkpoint"))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)


class Activity(Base):
    """A service activity members are called to: a time, a place, a project or community."""

    __tablename__ = "activity"
    __table_args__ = (
        CheckConstraint("ends_at IS NULL OR ends_at >= starts_at", name="ends_after_start"),
        Index("ix_activity_community_starts_at", "community_id", "starts_at"),
        gist("activity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_project.id", ondelete="SET NULL"), index=True
    )
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("list_category.id", ondelete="RESTRICT")
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    place: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement | None] = mapped_column(geometry("POINT"), nullable=True)
    # Cancelled activities keep their calls and points but take no more steps (0019).
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ActivityMember(Base):
    """A member called to an activity, and the "four to" steps after 报到: 预告收到 (the
    notice received), 活动签到 (checked in), 反馈得到 (feedback received)."""

    __tablename__ = "activity_member"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    feedback: Mapped[str | None] = mapped_column(Text)
    # The member's own check-in code for this activity, sent with the notice (0019).
    code: Mapped[str | None] = mapped_column(String(8))


class PointsRule(Base):
    """积分规则: the points one action earns, per community (or the city's default)."""

    __tablename__ = "points_rule"
    __table_args__ = (
        # NULLS NOT DISTINCT: one city default per action, as one rule per community.
        UniqueConstraint("community_id", "action", postgresql_nulls_not_distinct=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    # registered, received, checked_in, feedback, hour (per hour of an activity), exchange...
    action: Mapped[str] = mapped_column(String(24))
    points: Mapped[int] = mapped_column(Integer)


class PointsEntry(Base):
    """One line of a member's points record (红色账户 / 积分存折): earned or exchanged."""

    __tablename__ = "points_entry"
    __table_args__ = (
        Index("ix_points_entry_member_id_at", "member_id", "at"),
        # Each step earns its points once; registration once per member (0019).
        Index(
            "ux_points_entry_step",
            "member_id",
            "action",
            "activity_id",
            unique=True,
            postgresql_where=text("activity_id IS NOT NULL AND points >= 0"),
        ),
        Index(
            "ux_points_entry_registered",
            "member_id",
            unique=True,
            postgresql_where=text("action = 'registered'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    points: Mapped[int] = mapped_column(Integer)  # negative: exchanged (兑换)
    action: Mapped[str] = mapped_column(String(24))
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity.id", ondelete="SET NULL"), index=True
    )
    note: Mapped[str | None] = mapped_column(Text)
