"""An index on the grid officers' own grid: a point lookup asks for the officers of
the grid it finds, on every request.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_grid_officer_grid_id"), "grid_officer", ["grid_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_grid_officer_grid_id"), table_name="grid_officer")
