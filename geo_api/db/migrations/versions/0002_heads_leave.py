"""Heads leave instead of being deleted; runs count households added and dropped.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("fk_assignment_head_id_head"), "assignment", type_="foreignkey")
    op.create_foreign_key(
        op.f("fk_assignment_head_id_head"),
        "assignment",
        "head",
        ["head_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.add_column(
        "assignment_run",
        sa.Column("added", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "assignment_run",
        sa.Column("dropped", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("head", sa.Column("left_on", sa.Date(), nullable=True))
    # The heads serving today. A view with SELECT * keeps the columns it was made
    # with: a migration that adds columns to head must recreate it.
    op.execute(
        "CREATE VIEW active_head AS SELECT * FROM head "
        "WHERE left_on IS NULL OR left_on > current_date"
    )


def downgrade() -> None:
    op.execute("DROP VIEW active_head")
    op.drop_column("head", "left_on")
    op.drop_column("assignment_run", "dropped")
    op.drop_column("assignment_run", "added")
    op.drop_constraint(op.f("fk_assignment_head_id_head"), "assignment", type_="foreignkey")
    op.create_foreign_key(
        op.f("fk_assignment_head_id_head"),
        "assignment",
        "head",
        ["head_id"],
        ["id"],
        ondelete="CASCADE",
    )
