"""Rate budgets in the store: a key's requests a minute and an address's wrong keys a
minute, one token bucket per key or address shared by every worker of every machine
(geo_api.auth.budget), instead of one per process.

UNLOGGED on purpose: a bucket is rewritten on every request, and writing it to the
WAL would make every request wait for a flush to disk. A crash empties the table,
which only hands every key and address a full minute's budget again; a streaming
replica never sees it (the budgets are spent on the primary).

Revision ID: 0024
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_bucket",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("cap", sa.Float(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("wrote_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind", "name", name=op.f("pk_rate_bucket")),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("rate_bucket")
