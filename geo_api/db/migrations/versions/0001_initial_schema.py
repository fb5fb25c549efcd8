"""Initial schema: the hierarchy, heads, assignments, stations and members.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignment_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("households", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("assigned", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("unassigned", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("kept", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("moved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_run")),
    )
    op.create_geospatial_table(
        "street",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("code ~ '^[0-9]{9}$'", name=op.f("ck_street_code_9_digits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street")),
        sa.UniqueConstraint("code", name=op.f("uq_street_code")),
    )
    op.create_geospatial_index(
        "ix_street_geom",
        "street",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "community",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("code ~ '^[0-9]{12}$'", name=op.f("ck_community_code_12_digits")),
        sa.ForeignKeyConstraint(
            ["street_id"],
            ["street.id"],
            name=op.f("fk_community_street_id_street"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community")),
        sa.UniqueConstraint("code", name=op.f("uq_community_code")),
    )
    op.create_geospatial_index(
        "ix_community_geom",
        "community",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_community_street_id"), "community", ["street_id"], unique=False)
    op.create_geospatial_table(
        "grid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("code ~ '^[0-9]{15}$'", name=op.f("ck_grid_code_15_digits")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_grid_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid")),
        sa.UniqueConstraint("code", name=op.f("uq_grid_code")),
        sa.UniqueConstraint("id", "community_id", name=op.f("uq_grid_id_community_id")),
    )
    op.create_index(op.f("ix_grid_community_id"), "grid", ["community_id"], unique=False)
    op.create_geospatial_index(
        "ix_grid_geom", "grid", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_geospatial_table(
        "station",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "tier",
            sa.Enum(
                "city",
                "street",
                "community",
                "outpost",
                name="station_tier",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("floor_area_m2", sa.Float(), nullable=False),
        sa.Column("hours", sa.Text(), nullable=True),
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
        sa.CheckConstraint("floor_area_m2 > 0", name=op.f("ck_station_floor_area_positive")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_station_community_id_community"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["street_id"],
            ["street.id"],
            name=op.f("fk_station_street_id_street"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station")),
        sa.UniqueConstraint("name", name=op.f("uq_station_name")),
    )
    op.create_index(op.f("ix_station_community_id"), "station", ["community_id"], unique=False)
    op.create_geospatial_index(
        "ix_station_geom",
        "station",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "compound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_compound_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id", "community_id"],
            ["grid.id", "grid.community_id"],
            name=op.f("fk_compound_grid_id_community_id_grid"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compound")),
        sa.UniqueConstraint("code", name=op.f("uq_compound_code")),
        sa.UniqueConstraint("community_id", "name", name=op.f("uq_compound_community_id_name")),
    )
    op.create_index(op.f("ix_compound_community_id"), "compound", ["community_id"], unique=False)
    op.create_geospatial_index(
        "ix_compound_geom",
        "compound",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_compound_grid_id"), "compound", ["grid_id"], unique=False)
    op.create_geospatial_table(
        "building",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("floors", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("floors > 0", name=op.f("ck_building_floors_positive")),
        sa.CheckConstraint("number > 0", name=op.f("ck_building_number_positive")),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_building_compound_id_compound"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building")),
        sa.UniqueConstraint("compound_id", "number", name=op.f("uq_building_compound_id_number")),
    )
    op.create_geospatial_index(
        "ix_building_geom",
        "building",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("number > 0", name=op.f("ck_unit_number_positive")),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_unit_building_id_building"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("building_id", "number", name=op.f("uq_unit_building_id_number")),
    )
    op.create_geospatial_index(
        "ix_unit_geom", "unit", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_geospatial_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("room", sa.String(length=16), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
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
        sa.CheckConstraint("persons > 0", name=op.f("ck_household_persons_positive")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_household_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("unit_id", "room", name=op.f("uq_household_unit_id_room")),
    )
    op.create_geospatial_index(
        "ix_household_geom",
        "household",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "compound",
                "building",
                "unit",
                name="head_role",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), server_default=sa.text("18"), nullable=False),
        sa.Column("max_capacity", sa.Integer(), server_default=sa.text("25"), nullable=False),
        sa.CheckConstraint(
            "(role = 'compound' AND compound_id IS NOT NULL AND building_id IS NULL "
            "AND unit_id IS NULL) OR (role = 'building' AND building_id IS NOT NULL "
            "AND compound_id IS NULL AND unit_id IS NULL) OR (role = 'unit' AND unit_id "
            "IS NOT NULL AND compound_id IS NULL AND building_id IS NULL)",
            name=op.f("ck_head_scope_matches_role"),
        ),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_head_capacity_positive")),
        sa.CheckConstraint("max_capacity >= capacity", name=op.f("ck_head_max_at_least_capacity")),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_head_building_id_building"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_head_compound_id_compound"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_head_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_head_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_head")),
    )
    op.create_index(op.f("ix_head_building_id"), "head", ["building_id"], unique=False)
    op.create_index(op.f("ix_head_compound_id"), "head", ["compound_id"], unique=False)
    op.create_index("ix_head_household_id", "head", ["household_id"], unique=False)
    op.create_index("ix_head_role", "head", ["role"], unique=False)
    op.create_index(op.f("ix_head_unit_id"), "head", ["unit_id"], unique=False)
    op.create_geospatial_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_member_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_member_household_id_household"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
    )
    op.create_index(op.f("ix_member_community_id"), "member", ["community_id"], unique=False)
    op.create_geospatial_index(
        "ix_member_geom",
        "member",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("head_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "own_unit",
                "same_building",
                "same_compound",
                name="assign_reason",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column(
            "valid_from",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("distance_m >= 0", name=op.f("ck_assignment_distance_non_negative")),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_assignment_valid_range")
        ),
        sa.ForeignKeyConstraint(
            ["head_id"], ["head.id"], name=op.f("fk_assignment_head_id_head"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_assignment_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["assignment_run.id"],
            name=op.f("fk_assignment_run_id_assignment_run"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
    )
    op.create_index(
        "ix_assignment_current_head",
        "assignment",
        ["head_id"],
        unique=False,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_index(
        "uq_assignment_current_household",
        "assignment",
        ["household_id"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_assignment_current_household",
        table_name="assignment",
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.drop_index(
        "ix_assignment_current_head",
        table_name="assignment",
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.drop_table("assignment")
    op.drop_geospatial_index(
        "ix_member_geom", table_name="member", postgresql_using="gist", column_name="geom"
    )
    op.drop_index(op.f("ix_member_community_id"), table_name="member")
    op.drop_geospatial_table("member")
    op.drop_index(op.f("ix_head_unit_id"), table_name="head")
    op.drop_index("ix_head_role", table_name="head")
    op.drop_index("ix_head_household_id", table_name="head")
    op.drop_index(op.f("ix_head_compound_id"), table_name="head")
    op.drop_index(op.f("ix_head_building_id"), table_name="head")
    op.drop_table("head")
    op.drop_geospatial_index(
        "ix_household_geom", table_name="household", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("household")
    op.drop_geospatial_index(
        "ix_unit_geom", table_name="unit", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("unit")
    op.drop_geospatial_index(
        "ix_building_geom", table_name="building", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("building")
    op.drop_index(op.f("ix_compound_grid_id"), table_name="compound")
    op.drop_geospatial_index(
        "ix_compound_geom", table_name="compound", postgresql_using="gist", column_name="geom"
    )
    op.drop_index(op.f("ix_compound_community_id"), table_name="compound")
    op.drop_geospatial_table("compound")
    op.drop_geospatial_index(
        "ix_station_geom", table_name="station", postgresql_using="gist", column_name="geom"
    )
    op.drop_index(op.f("ix_station_community_id"), table_name="station")
    op.drop_geospatial_table("station")
    op.drop_geospatial_index(
        "ix_grid_geom", table_name="grid", postgresql_using="gist", column_name="geom"
    )
    op.drop_index(op.f("ix_grid_community_id"), table_name="grid")
    op.drop_geospatial_table("grid")
    op.drop_index(op.f("ix_community_street_id"), table_name="community")
    op.drop_geospatial_index(
        "ix_community_geom", table_name="community", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("community")
    op.drop_geospatial_index(
        "ix_street_geom", table_name="street", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("street")
    op.drop_table("assignment_run")
