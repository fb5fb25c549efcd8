"""A member's workplace among the alliance units: the foreign key the rosters' column
(0015) waited for until the alliance units' table existed (0018).

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A number naming no unit (set before this key existed) would block it: clear it.
    op.execute(
        "UPDATE member SET workplace_unit_id = NULL WHERE workplace_unit_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM alliance_unit u WHERE u.id = workplace_unit_id)"
    )
    op.create_foreign_key(
        op.f("fk_member_workplace_unit_id_alliance_unit"),
        "member",
        "alliance_unit",
        ["workplace_unit_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        op.f("ix_member_workplace_unit_id"), "member", ["workplace_unit_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_member_workplace_unit_id"), table_name="member")
    op.drop_constraint(
        op.f("fk_member_workplace_unit_id_alliance_unit"), "member", type_="foreignkey"
    )
