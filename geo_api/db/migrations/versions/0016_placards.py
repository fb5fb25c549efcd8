"""Heads who agreed to have their name and phone on the placard (三长信息公示牌,
制牌上墙): ``head.consent_public``, false unless they said yes.

No view needs recreating: head_effective and active_head list head's columns by
name (migration 0004), and the placards read head itself.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "head",
        sa.Column("consent_public", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("head", "consent_public")
