"""Members' service (issue 17): what 0018 left to the steps themselves.

- ``activity.cancelled_at``: a cancelled activity keeps its calls and points (they
  are history) but takes no more steps; deleting it would orphan the points.
- ``activity_member.code``: the member's own check-in code for one activity, sent
  with the notice (预告), given back at the door to check in without an officer.
- Unique indexes on ``points_entry`` that make every step earn its points once, even
  when two officers (or an officer and a re-imported sign-in sheet) record it at the
  same moment: one entry per member, action and activity, and one 'registered'
  entry per member.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("activity", sa.Column("cancelled_at", sa.DateTime(timezone=True)))
    op.add_column("activity_member", sa.Column("code", sa.String(length=8)))
    op.create_index(
        "ux_points_entry_step",
        "points_entry",
        ["member_id", "action", "activity_id"],
        unique=True,
        postgresql_where=sa.text("activity_id IS NOT NULL AND points >= 0"),
    )
    op.create_index(
        "ux_points_entry_registered",
        "points_entry",
        ["member_id"],
        unique=True,
        postgresql_where=sa.text("action = 'registered'"),
    )


def downgrade() -> None:
    op.drop_index("ux_points_entry_registered", table_name="points_entry")
    op.drop_index("ux_points_entry_step", table_name="points_entry")
    op.drop_column("activity_member", "code")
    op.drop_column("activity", "cancelled_at")
