"""Rosters change: heads' terms, households that end, history that outlives both.

A head's row is one term at one place: appointed_on, left_on and why they left
(left_reason), who appointed (appointed_by) and who ended it (left_by). A move to
another place ends the term and starts a new row (moved_from names the old one),
so the assignment history, which names head rows, keeps saying where each head
served then. The one-head-per-household-and-place indexes now hold for serving
heads only, so a head who stepped down can be appointed again later.

A household that moves out is ended (ended_on, ended_reason, ended_by) rather
than deleted: its history stays, and it leaves every current view. The room it
held is free again (the register's unique key counts current households only).
A head's home can no longer be deleted from under them: head.household_id is
RESTRICT (heads are never deleted; they leave through left_on).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACES = ("unit", "building", "compound")


def upgrade() -> None:
    # active_head and head_effective (0004) name their columns: the new ones, which
    # only the roster's history reads, need not be in them.
    # Heads already serving are appointed on China's day the column comes (not the
    # session's current_date: UTC's is the day before from 16:00 to 24:00); 0027 makes
    # china_today() the default for later ones.
    op.add_column(
        "head",
        sa.Column(
            "appointed_on",
            sa.Date(),
            server_default=sa.text("((now() AT TIME ZONE 'Asia/Shanghai')::date)"),
            nullable=False,
        ),
    )
    op.add_column("head", sa.Column("appointed_by", sa.Text(), nullable=True))
    op.add_column("head", sa.Column("left_reason", sa.Text(), nullable=True))
    op.add_column("head", sa.Column("left_by", sa.Text(), nullable=True))
    op.add_column(
        "head",
        sa.Column(
            "moved_from",
            sa.Integer(),
            sa.ForeignKey("head.id", name=op.f("fk_head_moved_from_head"), ondelete="RESTRICT"),
            nullable=True,
        ),
    )
    op.create_check_constraint(
        op.f("ck_head_term_in_order"), "head", "left_on IS NULL OR left_on >= appointed_on"
    )
    for place in PLACES:
        op.drop_index(f"uq_head_{place}_household", table_name="head")
        op.create_index(
            f"uq_head_{place}_household",
            "head",
            [f"{place}_id", "household_id"],
            unique=True,
            postgresql_where=sa.text(f"role = '{place}' AND left_on IS NULL"),
        )
    op.drop_constraint(op.f("fk_head_household_id_household"), "head", type_="foreignkey")
    op.create_foreign_key(
        op.f("fk_head_household_id_household"),
        "head",
        "household",
        ["household_id"],
        ["id"],
        ondelete="RESTRICT",
    )

    op.add_column("household", sa.Column("ended_on", sa.Date(), nullable=True))
    op.add_column("household", sa.Column("ended_reason", sa.Text(), nullable=True))
    op.add_column("household", sa.Column("ended_by", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_household_ended_with_reason"),
        "household",
        "(ended_on IS NULL) = (ended_reason IS NULL)",
    )
    op.drop_constraint(op.f("uq_household_unit_id_room_household_no"), "household", type_="unique")
    op.create_index(
        "uq_household_current_room",
        "household",
        ["unit_id", "room", "household_no"],
        unique=True,
        postgresql_where=sa.text("ended_on IS NULL"),
    )


def downgrade() -> None:
    # The old schema cannot hold ended households or a second term at the same
    # place: refuse rather than delete history.
    op.execute("""
        DO $$ BEGIN
          IF EXISTS (SELECT 1 FROM household WHERE ended_on IS NOT NULL) OR EXISTS (
               SELECT 1 FROM head GROUP BY role, unit_id, building_id, compound_id, household_id
               HAVING count(*) > 1) THEN
            RAISE EXCEPTION 'ended households or repeated head terms: cannot go below 0014';
          END IF;
        END $$""")
    op.drop_index("uq_household_current_room", table_name="household")
    op.create_unique_constraint(
        op.f("uq_household_unit_id_room_household_no"),
        "household",
        ["unit_id", "room", "household_no"],
    )
    op.drop_constraint(op.f("ck_household_ended_with_reason"), "household", type_="check")
    for column in ("ended_by", "ended_reason", "ended_on"):
        op.drop_column("household", column)
    op.drop_constraint(op.f("fk_head_household_id_household"), "head", type_="foreignkey")
    op.create_foreign_key(
        op.f("fk_head_household_id_household"),
        "head",
        "household",
        ["household_id"],
        ["id"],
        ondelete="CASCADE",
    )
    for place in PLACES:
        op.drop_index(f"uq_head_{place}_household", table_name="head")
        op.create_index(
            f"uq_head_{place}_household",
            "head",
            [f"{place}_id", "household_id"],
            unique=True,
            postgresql_where=sa.text(f"role = '{place}'"),
        )
    op.drop_constraint(op.f("ck_head_term_in_order"), "head", type_="check")
    for column in ("moved_from", "left_by", "left_reason", "appointed_by", "appointed_on"):
        op.drop_column("head", column)
