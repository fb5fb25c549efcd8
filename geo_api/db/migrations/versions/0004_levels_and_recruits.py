"""The rest of the hierarchy's assignment: capacities per community, the grid level,
grid officers, buildings, compounds and grids covered over time, volunteers, and
members placed by where they live.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = ["own_unit", "same_building", "same_compound", "manual"]
CHECK = "ck_assignment_assign_reason"

# Every head with the capacities that apply to it: a unit head's own, else its
# community's. Lookups, gaps, exports and the engine read capacities from here.
HEAD_EFFECTIVE = """
CREATE VIEW head_effective AS
SELECT h.id, h.role, h.name, h.phone, h.household_id, h.compound_id, h.building_id,
       h.unit_id,
       coalesce(h.capacity, cm.unit_head_target) AS capacity,
       coalesce(h.max_capacity, cm.unit_head_max) AS max_capacity,
       h.left_on
FROM head h
LEFT JOIN unit u ON u.id = h.unit_id
LEFT JOIN building b ON b.id = u.building_id
LEFT JOIN compound cp ON cp.id = b.compound_id
LEFT JOIN community cm ON cm.id = cp.community_id
"""
ACTIVE_HEAD = (
    "CREATE VIEW active_head AS SELECT * FROM head_effective "
    "WHERE left_on IS NULL OR left_on > current_date"
)


def _reasons(values: list[str]) -> None:
    op.drop_constraint(op.f(CHECK), "assignment", type_="check")
    listed = ", ".join(f"'{v}'" for v in values)
    op.create_check_constraint(op.f(CHECK), "assignment", f"reason IN ({listed})")


def upgrade() -> None:
    op.add_column(
        "community",
        sa.Column("unit_head_target", sa.Integer(), server_default=sa.text("18"), nullable=False),
    )
    op.add_column(
        "community",
        sa.Column("unit_head_max", sa.Integer(), server_default=sa.text("25"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_community_unit_head_target_positive"), "community", "unit_head_target > 0"
    )
    op.create_check_constraint(
        op.f("ck_community_unit_head_max_at_least_target"),
        "community",
        "unit_head_max >= unit_head_target",
    )
    op.execute("DROP VIEW active_head")
    op.alter_column("head", "capacity", nullable=True, server_default=None)
    op.alter_column("head", "max_capacity", nullable=True, server_default=None)
    # Unit heads that had the old defaults follow their community from now on.
    op.execute(
        "UPDATE head SET capacity = NULL, max_capacity = NULL "
        "WHERE role = 'unit' AND capacity = 18 AND max_capacity = 25"
    )
    op.create_check_constraint(
        op.f("ck_head_capacity_set_unless_unit"),
        "head",
        "role = 'unit' OR (capacity IS NOT NULL AND max_capacity IS NOT NULL)",
    )
    op.execute(HEAD_EFFECTIVE)
    op.execute(ACTIVE_HEAD)
    _reasons([*REASONS, "same_grid"])

    op.add_column(
        "household",
        sa.Column("volunteer", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.alter_column("member", "community_id", nullable=True)
    op.drop_constraint(op.f("fk_member_community_id_community"), "member", type_="foreignkey")
    op.create_foreign_key(
        op.f("fk_member_community_id_community"),
        "member",
        "community",
        ["community_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column("member", sa.Column("address", sa.Text(), nullable=True))
    op.add_column("member", sa.Column("placed_by", sa.String(length=16), nullable=True))
    op.create_check_constraint(
        op.f("ck_member_placed_by_known"),
        "member",
        "placed_by IN ('point', 'household', 'address')",
    )
    op.create_unique_constraint(op.f("uq_member_name_phone"), "member", ["name", "phone"])
    for role in ("unit", "building", "compound"):
        op.create_index(
            f"uq_head_{role}_household",
            "head",
            [f"{role}_id", "household_id"],
            unique=True,
            postgresql_where=sa.text(f"role = '{role}'"),
        )

    op.create_table(
        "grid_officer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("max_grids", sa.Integer(), server_default=sa.text("3"), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.CheckConstraint("max_grids > 0", name=op.f("ck_grid_officer_max_grids_positive")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_grid_officer_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid.id"],
            name=op.f("fk_grid_officer_grid_id_grid"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_officer")),
    )
    op.create_index(
        op.f("ix_grid_officer_community_id"), "grid_officer", ["community_id"], unique=False
    )
    op.create_table(
        "place_cover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "building",
                "compound",
                "grid",
                name="cover_level",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("head_id", sa.Integer(), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "own",
                "nearest",
                name="cover_reason",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column(
            "valid_from",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(level = 'building' AND building_id IS NOT NULL AND head_id IS NOT NULL) OR "
            "(level = 'compound' AND compound_id IS NOT NULL AND head_id IS NOT NULL) OR "
            "(level = 'grid' AND grid_id IS NOT NULL AND officer_id IS NOT NULL)",
            name=op.f("ck_place_cover_place_matches_level"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_place_cover_building_id_building"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_place_cover_compound_id_compound"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grid.id"], name=op.f("fk_place_cover_grid_id_grid"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["head_id"], ["head.id"], name=op.f("fk_place_cover_head_id_head"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["grid_officer.id"],
            name=op.f("fk_place_cover_officer_id_grid_officer"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["assignment_run.id"],
            name=op.f("fk_place_cover_run_id_assignment_run"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_cover")),
    )
    op.create_index(op.f("ix_place_cover_head_id"), "place_cover", ["head_id"], unique=False)
    op.create_index(op.f("ix_place_cover_officer_id"), "place_cover", ["officer_id"], unique=False)
    for level in ("building", "compound", "grid"):
        op.create_index(
            f"uq_place_cover_current_{level}",
            "place_cover",
            [f"{level}_id"],
            unique=True,
            postgresql_where=sa.text(f"valid_to IS NULL AND level = '{level}'"),
        )


def downgrade() -> None:
    op.drop_table("place_cover")
    op.drop_table("grid_officer")
    for role in ("unit", "building", "compound"):
        op.drop_index(f"uq_head_{role}_household", table_name="head")
    op.drop_constraint(op.f("uq_member_name_phone"), "member", type_="unique")
    op.drop_constraint(op.f("ck_member_placed_by_known"), "member", type_="check")
    op.drop_column("member", "placed_by")
    op.drop_column("member", "address")
    op.execute("DELETE FROM member WHERE community_id IS NULL")
    op.drop_constraint(op.f("fk_member_community_id_community"), "member", type_="foreignkey")
    op.create_foreign_key(
        op.f("fk_member_community_id_community"),
        "member",
        "community",
        ["community_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.alter_column("member", "community_id", nullable=False)
    op.drop_column("household", "volunteer")

    op.execute("UPDATE assignment SET reason = 'same_compound' WHERE reason = 'same_grid'")
    _reasons(REASONS)
    op.execute("DROP VIEW active_head")
    op.execute("DROP VIEW head_effective")
    # Heads following their community get its values written in.
    op.execute(
        "UPDATE head h SET capacity = e.capacity, max_capacity = e.max_capacity "
        "FROM (SELECT id, capacity, max_capacity FROM "
        "(SELECT h2.id, coalesce(h2.capacity, cm.unit_head_target) AS capacity, "
        "coalesce(h2.max_capacity, cm.unit_head_max) AS max_capacity FROM head h2 "
        "JOIN unit u ON u.id = h2.unit_id JOIN building b ON b.id = u.building_id "
        "JOIN compound cp ON cp.id = b.compound_id JOIN community cm ON cm.id = cp.community_id"
        ") r) e WHERE e.id = h.id AND (h.capacity IS NULL OR h.max_capacity IS NULL)"
    )
    op.drop_constraint(op.f("ck_head_capacity_set_unless_unit"), "head", type_="check")
    op.alter_column("head", "capacity", nullable=False, server_default=sa.text("18"))
    op.alter_column("head", "max_capacity", nullable=False, server_default=sa.text("25"))
    op.execute(
        "CREATE VIEW active_head AS SELECT * FROM head "
        "WHERE left_on IS NULL OR left_on > current_date"
    )
    op.drop_constraint(
        op.f("ck_community_unit_head_max_at_least_target"), "community", type_="check"
    )
    op.drop_constraint(op.f("ck_community_unit_head_target_positive"), "community", type_="check")
    op.drop_column("community", "unit_head_max")
    op.drop_column("community", "unit_head_target")
