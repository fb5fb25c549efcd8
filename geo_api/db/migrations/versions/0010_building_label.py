"""A text label for lettered buildings (12A号楼, A座, 3号楼B座), unique in its compound.

A building's number stays an integer (1..n in its compound, what units and heads
hang on); a building that people name with a letter also gets ``label``, its
canonical written name: digits then one upper-case letter ("12A", "3B") or the
letter alone ("A"). The address lookup matches lettered addresses on it.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("building", sa.Column("label", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_building_label_form"), "building", "label ~ '^[0-9]{0,4}[A-Z]$'"
    )
    op.create_index(
        "uq_building_compound_label",
        "building",
        ["compound_id", "label"],
        unique=True,
        postgresql_where=sa.text("label IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_building_compound_label", table_name="building")
    op.drop_constraint(op.f("ck_building_label_form"), "building", type_="check")
    op.drop_column("building", "label")
