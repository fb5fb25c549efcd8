"""What household registers carry, kept: head of household, phone, registration date,
remarks; several households in one room (分户) by a household number; floors unknown.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("household", sa.Column("household_no", sa.String(32), server_default="",
                                         nullable=False))  # fmt: skip
    op.add_column("household", sa.Column("head_name", sa.Text(), nullable=True))
    op.add_column("household", sa.Column("phone", sa.String(32), nullable=True))
    op.add_column("household", sa.Column("registered_on", sa.Date(), nullable=True))
    op.add_column("household", sa.Column("remarks", sa.Text(), nullable=True))
    op.drop_constraint("uq_household_unit_id_room", "household", type_="unique")
    op.create_unique_constraint(
        "uq_household_unit_id_room_household_no", "household", ["unit_id", "room", "household_no"]
    )
    op.alter_column("building", "floors", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE building SET floors = 1 WHERE floors IS NULL")
    op.alter_column("building", "floors", existing_type=sa.Integer(), nullable=False)
    op.execute("DELETE FROM household WHERE household_no <> ''")
    op.drop_constraint("uq_household_unit_id_room_household_no", "household", type_="unique")
    op.create_unique_constraint("uq_household_unit_id_room", "household", ["unit_id", "room"])
    for column in ("remarks", "registered_on", "phone", "head_name", "household_no"):
        op.drop_column("household", column)
