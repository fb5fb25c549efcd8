"""At most one generation waits to be made current (issue 19).

geo_api.generations.store.pending refuses a second waiting generation, but two
imports starting two generations at the same moment could each see none waiting
and both insert. A partial unique index makes the store refuse the second.

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE UNIQUE INDEX uq_generation_one_pending ON generation ((true)) "
        "WHERE activated IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX uq_generation_one_pending")
