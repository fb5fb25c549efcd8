"""The party-building systems of the Houma report (issue 17): alliance units and
their agreements, the three lists (resources, demands, projects with milestones),
activities with the "four to" steps, and points. The shared vocabulary of
categories is seeded here (editable afterwards). Every table is city data: it bumps
the data version like the others (migration 0012).

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "list_category",
    "alliance_unit",
    "alliance_agreement",
    "party_resource",
    "party_demand",
    "party_project",
    "project_resource",
    "project_milestone",
    "activity",
    "activity_member",
    "points_rule",
    "points_entry",
)
# The shared vocabulary (code, Chinese, English): the "10+N" kinds of service and
# the usual headings of communities' lists.
CATEGORIES = (
    ("elderly", "养老助老", "Elderly care"),
    ("children", "儿童关爱", "Children"),
    ("environment", "环境整治", "Environment"),
    ("employment", "就业创业", "Employment"),
    ("safety", "平安建设", "Safety"),
    ("culture", "文化体育", "Culture and sport"),
    ("health", "医疗健康", "Health"),
    ("mediation", "矛盾调解", "Dispute mediation"),
    ("disability", "扶弱助残", "Helping the weak and disabled"),
    ("education", "教育培训", "Education and training"),
    ("property", "物业服务", "Property services"),
    ("volunteering", "志愿服务", "Volunteering"),
    ("other", "其他", "Other"),
)
# Points the city gives by default for each step (communities set their own).
DEFAULT_POINTS = (("registered", 10), ("received", 1), ("checked_in", 5), ("feedback", 2))


def upgrade() -> None:
    op.create_geospatial_table(
        "alliance_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "government",
                "institution",
                "state_firm",
                "private_firm",
                "school",
                "hospital",
                "bank",
                "social_org",
                "other",
                name="unit_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("contact_name", sa.Text(), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_unit")),
        sa.UniqueConstraint("name", name=op.f("uq_alliance_unit_name")),
    )
    op.create_geospatial_index(
        "ix_alliance_unit_geom",
        "alliance_unit",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "list_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_category")),
        sa.UniqueConstraint("code", name=op.f("uq_list_category_code")),
    )
    op.create_table(
        "alliance_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(street_id IS NULL) <> (community_id IS NULL)",
            name=op.f("ck_alliance_agreement_street_or_community"),
        ),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= signed_on",
            name=op.f("ck_alliance_agreement_ends_after_signing"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_alliance_agreement_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["street_id"],
            ["street.id"],
            name=op.f("fk_alliance_agreement_street_id_street"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["alliance_unit.id"],
            name=op.f("fk_alliance_agreement_unit_id_alliance_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alliance_agreement")),
    )
    op.create_index(
        op.f("ix_alliance_agreement_community_id"),
        "alliance_agreement",
        ["community_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_alliance_agreement_street_id"), "alliance_agreement", ["street_id"], unique=False
    )
    op.create_index(
        op.f("ix_alliance_agreement_unit_id"), "alliance_agreement", ["unit_id"], unique=False
    )
    op.create_table(
        "points_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_points_rule_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_rule")),
        sa.UniqueConstraint(
            "community_id",
            "action",
            name=op.f("uq_points_rule_community_id_action"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_geospatial_table(
        "party_demand",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("raised_by", sa.Text(), nullable=True),
        sa.Column("raised_on", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
        sa.Column("urgency", sa.SmallInteger(), server_default=sa.text("2"), nullable=False),
        sa.Column(
            "due",
            sa.Enum(
                "start",
                "mid",
                "end",
                name="checkpoint",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            server_default="mid",
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "matched",
                "met",
                "dropped",
                name="demand_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            server_default="open",
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("urgency BETWEEN 1 AND 3", name=op.f("ck_party_demand_urgency_known")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["list_category.id"],
            name=op.f("fk_party_demand_category_id_list_category"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_party_demand_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_party_demand_compound_id_compound"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_demand")),
    )
    op.create_index(
        op.f("ix_party_demand_community_id"), "party_demand", ["community_id"], unique=False
    )
    op.create_index(
        op.f("ix_party_demand_compound_id"), "party_demand", ["compound_id"], unique=False
    )
    op.create_geospatial_index(
        "ix_party_demand_geom",
        "party_demand",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index("ix_party_demand_year_status", "party_demand", ["year", "status"], unique=False)
    op.create_table(
        "party_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("demand_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("lead_unit_id", sa.Integer(), nullable=True),
        sa.Column("owners", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "underway",
                "done",
                "dropped",
                name="project_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            server_default="planned",
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_party_project_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["party_demand.id"],
            name=op.f("fk_party_project_demand_id_party_demand"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lead_unit_id"],
            ["alliance_unit.id"],
            name=op.f("fk_party_project_lead_unit_id_alliance_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_project")),
    )
    op.create_index(
        op.f("ix_party_project_community_id"), "party_project", ["community_id"], unique=False
    )
    op.create_index(
        op.f("ix_party_project_demand_id"), "party_project", ["demand_id"], unique=False
    )
    op.create_index(
        op.f("ix_party_project_lead_unit_id"), "party_project", ["lead_unit_id"], unique=False
    )
    op.create_index(
        "ix_party_project_year_status", "party_project", ["year", "status"], unique=False
    )
    op.create_geospatial_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "ends_at IS NULL OR ends_at >= starts_at", name=op.f("ck_activity_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["list_category.id"],
            name=op.f("fk_activity_category_id_list_category"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_activity_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["party_project.id"],
            name=op.f("fk_activity_project_id_party_project"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    op.create_index(
        "ix_activity_community_starts_at", "activity", ["community_id", "starts_at"], unique=False
    )
    op.create_geospatial_index(
        "ix_activity_geom",
        "activity",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_activity_project_id"), "activity", ["project_id"], unique=False)
    op.create_table(
        "project_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "checkpoint",
            sa.Enum(
                "start",
                "mid",
                "end",
                name="checkpoint",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["party_project.id"],
            name=op.f("fk_project_milestone_project_id_party_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_milestone")),
    )
    op.create_index(
        op.f("ix_project_milestone_project_id"), "project_milestone", ["project_id"], unique=False
    )
    op.create_table(
        "activity_member",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_activity_member_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_activity_member_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "member_id", name=op.f("pk_activity_member")),
    )
    op.create_index(
        op.f("ix_activity_member_member_id"), "activity_member", ["member_id"], unique=False
    )
    op.create_geospatial_table(
        "party_resource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "venue",
                "team",
                "funds",
                "skill",
                "goods",
                "other",
                name="resource_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("measure", sa.Text(), nullable=True),
        sa.Column("capacity", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "(unit_id IS NULL) <> (member_id IS NULL)",
            name=op.f("ck_party_resource_unit_or_member"),
        ),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_party_resource_capacity_positive")),
        sa.CheckConstraint(
            "quantity IS NULL OR quantity > 0", name=op.f("ck_party_resource_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["list_category.id"],
            name=op.f("fk_party_resource_category_id_list_category"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_party_resource_community_id_community"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_party_resource_member_id_member"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["alliance_unit.id"],
            name=op.f("fk_party_resource_unit_id_alliance_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_resource")),
    )
    op.create_index(
        op.f("ix_party_resource_community_id"), "party_resource", ["community_id"], unique=False
    )
    op.create_geospatial_index(
        "ix_party_resource_geom",
        "party_resource",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_party_resource_member_id"), "party_resource", ["member_id"], unique=False
    )
    op.create_index(op.f("ix_party_resource_unit_id"), "party_resource", ["unit_id"], unique=False)
    op.create_index(
        "ix_party_resource_year_category", "party_resource", ["year", "category_id"], unique=False
    )
    op.create_table(
        "points_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_points_entry_activity_id_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_points_entry_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entry")),
    )
    op.create_index(
        op.f("ix_points_entry_activity_id"), "points_entry", ["activity_id"], unique=False
    )
    op.create_index(
        "ix_points_entry_member_id_at", "points_entry", ["member_id", "at"], unique=False
    )
    op.create_table(
        "project_resource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["party_project.id"],
            name=op.f("fk_project_resource_project_id_party_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["party_resource.id"],
            name=op.f("fk_project_resource_resource_id_party_resource"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_resource")),
        sa.UniqueConstraint(
            "project_id", "resource_id", name=op.f("uq_project_resource_project_id_resource_id")
        ),
    )
    op.create_index(
        op.f("ix_project_resource_resource_id"), "project_resource", ["resource_id"], unique=False
    )
    op.bulk_insert(
        sa.table("list_category", sa.column("code"), sa.column("name_zh"), sa.column("name_en")),
        [{"code": c, "name_zh": zh, "name_en": en} for c, zh, en in CATEGORIES],
    )
    op.bulk_insert(
        sa.table("points_rule", sa.column("action"), sa.column("points")),
        [{"action": a, "points": p} for a, p in DEFAULT_POINTS],
    )
    for table in TABLES:
        op.execute(
            "CREATE TRIGGER data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION gridgov_mark_change()'
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_project_resource_resource_id"), table_name="project_resource")
    op.drop_table("project_resource")
    op.drop_index("ix_points_entry_member_id_at", table_name="points_entry")
    op.drop_index(op.f("ix_points_entry_activity_id"), table_name="points_entry")
    op.drop_table("points_entry")
    op.drop_index("ix_party_resource_year_category", table_name="party_resource")
    op.drop_index(op.f("ix_party_resource_unit_id"), table_name="party_resource")
    op.drop_index(op.f("ix_party_resource_member_id"), table_name="party_resource")
    op.drop_geospatial_index(
        "ix_party_resource_geom",
        table_name="party_resource",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_index(op.f("ix_party_resource_community_id"), table_name="party_resource")
    op.drop_geospatial_table("party_resource")
    op.drop_index(op.f("ix_activity_member_member_id"), table_name="activity_member")
    op.drop_table("activity_member")
    op.drop_index(op.f("ix_project_milestone_project_id"), table_name="project_milestone")
    op.drop_table("project_milestone")
    op.drop_index(op.f("ix_activity_project_id"), table_name="activity")
    op.drop_geospatial_index(
        "ix_activity_geom", table_name="activity", postgresql_using="gist", column_name="geom"
    )
    op.drop_index("ix_activity_community_starts_at", table_name="activity")
    op.drop_geospatial_table("activity")
    op.drop_index("ix_party_project_year_status", table_name="party_project")
    op.drop_index(op.f("ix_party_project_lead_unit_id"), table_name="party_project")
    op.drop_index(op.f("ix_party_project_demand_id"), table_name="party_project")
    op.drop_index(op.f("ix_party_project_community_id"), table_name="party_project")
    op.drop_table("party_project")
    op.drop_index("ix_party_demand_year_status", table_name="party_demand")
    op.drop_geospatial_index(
        "ix_party_demand_geom",
        table_name="party_demand",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_index(op.f("ix_party_demand_compound_id"), table_name="party_demand")
    op.drop_index(op.f("ix_party_demand_community_id"), table_name="party_demand")
    op.drop_geospatial_table("party_demand")
    op.drop_table("points_rule")
    op.drop_index(op.f("ix_alliance_agreement_unit_id"), table_name="alliance_agreement")
    op.drop_index(op.f("ix_alliance_agreement_street_id"), table_name="alliance_agreement")
    op.drop_index(op.f("ix_alliance_agreement_community_id"), table_name="alliance_agreement")
    op.drop_table("alliance_agreement")
    op.drop_table("list_category")
    op.drop_geospatial_index(
        "ix_alliance_unit_geom",
        table_name="alliance_unit",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("alliance_unit")
