"""Officers' moves and locks: assignments can be locked, say who made them, and have
the reason 'manual'.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = ["own_unit", "same_building", "same_compound"]
CHECK = "ck_assignment_assign_reason"


def _reasons(values: list[str]) -> None:
    # The reason is a VARCHAR with a CHECK (a non-native enum): widen it by hand,
    # autogenerate does not see CHECK constraints change.
    op.drop_constraint(op.f(CHECK), "assignment", type_="check")
    listed = ", ".join(f"'{v}'" for v in values)
    op.create_check_constraint(op.f(CHECK), "assignment", f"reason IN ({listed})")


def upgrade() -> None:
    op.add_column(
        "assignment",
        sa.Column("locked", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("assignment", sa.Column("changed_by", sa.Text(), nullable=True))
    _reasons([*REASONS, "manual"])


def downgrade() -> None:
    op.execute("DELETE FROM assignment WHERE reason = 'manual'")
    _reasons(REASONS)
    op.drop_column("assignment", "changed_by")
    op.drop_column("assignment", "locked")
