"""Snapshots of the key figures and the open gaps, per city, street and community,
taken after every data change and at least daily (issue 15: the command-centre wall).

``snapshot`` holds one row per place and time: figures as integers and the gap
counts by type and severity as one small jsonb (``{"unit_without_head": {"medium":
3}}``), so that a year of daily rows for 36 places stays a few MB. ``open_gap``
remembers since when each gap of the current data has been open, for the wall's
alerts. Neither is city data: they are derived from it and must not bump the data
version (tests/test_load.py NOT_DATA).

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "snapshot",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("covered", sa.Integer(), nullable=False),
        sa.Column("heads", sa.Integer(), nullable=False),
        sa.Column("heads_over_target", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("stations", sa.Integer(), nullable=False),
        sa.Column("gaps_high", sa.Integer(), nullable=False),
        sa.Column("gaps_medium", sa.Integer(), nullable=False),
        sa.Column("gaps_low", sa.Integer(), nullable=False),
        sa.Column("gaps", postgresql.JSONB(), nullable=False),
        sa.CheckConstraint(
            "level IN ('city', 'street', 'community')", name=op.f("ck_snapshot_level_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshot")),
    )
    op.create_index("ix_snapshot_place_at", "snapshot", ["level", "code", "taken_at"])
    op.create_table(
        "open_gap",
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("ref_type", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.BigInteger(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("type", "ref_type", "ref_id", name=op.f("pk_open_gap")),
    )


def downgrade() -> None:
    op.drop_table("open_gap")
    op.drop_index("ix_snapshot_place_at", table_name="snapshot")
    op.drop_table("snapshot")
