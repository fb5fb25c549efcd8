"""Indexes on the times the officer's day reads (/me/changes): each of its sources
finds a week's events through one of these, not by reading the whole table.

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, table, column, partial condition or None)
INDEXES = (
    ("ix_head_appointed_on", "head", "appointed_on", None),
    ("ix_head_left_on", "head", "left_on", "left_on IS NOT NULL"),
    ("ix_head_moved_from", "head", "moved_from", "moved_from IS NOT NULL"),
    ("ix_household_ended_on", "household", "ended_on", "ended_on IS NOT NULL"),
    ("ix_assignment_valid_from", "assignment", "valid_from", None),
    ("ix_assignment_closed", "assignment", "valid_to", "valid_to IS NOT NULL"),
    ("ix_place_cover_valid_from", "place_cover", "valid_from", None),
    ("ix_place_cover_closed", "place_cover", "valid_to", "valid_to IS NOT NULL"),
    ("ix_grid_officer_appointed_on", "grid_officer", "appointed_on", None),
    ("ix_grid_officer_left_on", "grid_officer", "left_on", "left_on IS NOT NULL"),
    ("ix_member_left_on", "member", "left_on", "left_on IS NOT NULL"),
    ("ix_party_project_created_at", "party_project", "created_at", None),
)


def upgrade() -> None:
    for name, table, column, where in INDEXES:
        op.create_index(
            name,
            table,
            [column],
            unique=False,
            postgresql_where=sa.text(where) if where else None,
        )


def downgrade() -> None:
    for name, table, _column, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
