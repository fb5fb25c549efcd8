"""Rosters of grid officers and party members kept with their history: an officer's
appointment, part-time flag and why they left; a member's status (serving or
retired), workplace and leaving; who changed each row last, and when.

``workplace_unit_id`` names an alliance unit (党建联盟单位) without a foreign key
yet: that table comes with the party-building systems, and the key with it.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels = None
depends_on = None


def _changed(table: str) -> None:
    op.add_column(table, sa.Column("left_reason", sa.Text(), nullable=True))
    op.add_column(table, sa.Column("changed_by", sa.Text(), nullable=True))
    op.add_column(table, sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))


COVER_CHECK = "ck_place_cover_cover_reason"


def _cover_reasons(values: list[str]) -> None:
    # A VARCHAR with a CHECK (a non-native enum): autogenerate does not see it change.
    op.drop_constraint(op.f(COVER_CHECK), "place_cover", type_="check")
    listed = ", ".join(f"'{v}'" for v in values)
    op.create_check_constraint(op.f(COVER_CHECK), "place_cover", f"reason IN ({listed})")


def upgrade() -> None:
    # A grid given to an officer by hand (gridgov officers assign), kept by every run
    # while the officer has room.
    _cover_reasons(["own", "nearest", "assigned"])
    op.add_column(
        "grid_officer",
        sa.Column("part_time", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("grid_officer", sa.Column("appointed_on", sa.Date(), nullable=True))
    _changed("grid_officer")
    # A roster names an officer by name and phone: what re-imports and diffs match on.
    op.create_unique_constraint("uq_grid_officer_name_phone", "grid_officer", ["name", "phone"])
    op.add_column(
        "member",
        sa.Column("status", sa.String(16), server_default=sa.text("'serving'"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_member_status_known"), "member", "status IN ('serving', 'retired')"
    )
    op.add_column("member", sa.Column("workplace", sa.Text(), nullable=True))
    op.add_column("member", sa.Column("workplace_unit_id", sa.Integer(), nullable=True))
    op.add_column("member", sa.Column("left_on", sa.Date(), nullable=True))
    _changed("member")
    op.create_index("ix_member_registered_on", "member", ["registered_on"])


def downgrade() -> None:
    op.execute("UPDATE place_cover SET reason = 'nearest' WHERE reason = 'assigned'")
    # The update marked the transaction as a change of data (migration 0012's deferred
    # trigger): fire that now, before a further downgrade drops its table.
    op.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _cover_reasons(["own", "nearest"])
    op.drop_index("ix_member_registered_on", table_name="member")
    for column in ("changed_at", "changed_by", "left_reason", "left_on", "workplace_unit_id",
                   "workplace"):  # fmt: skip
        op.drop_column("member", column)
    op.drop_constraint(op.f("ck_member_status_known"), "member", type_="check")
    op.drop_column("member", "status")
    op.drop_constraint("uq_grid_officer_name_phone", "grid_officer", type_="unique")
    for column in ("changed_at", "changed_by", "left_reason", "appointed_on", "part_time"):
        op.drop_column("grid_officer", column)
