"""Signed-out tokens: /logout ends a session at once, on every worker.

No foreign key to api_key on purpose: reloading a city truncates api_key with
CASCADE (and puts the keys back, geo_api.auth.kept), which would otherwise empty
this table and bring signed-out tokens back to life.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ended_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "ended_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_ended_session")),
    )
    op.create_index("ix_ended_session_expires_at", "ended_session", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ended_session_expires_at", table_name="ended_session")
    op.drop_table("ended_session")
