"""Road levels and per-building entries to the walking network.

Roads carry OpenStreetMap's bridge, tunnel and layer: ways that cross at
different levels (a bridge over a street) are never joined where they cross.
A compound without gates enters the network from each of its buildings
(network_entry.building_id, kind 'building') instead of one point of its edge;
the old 'edge' entries are dropped (the next ``gridgov network build`` makes the
new ones). network_build keeps how the network was last built, so that a
rebuild after an import keeps the choice of noding at crossings.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    false = sa.text("false")
    op.add_column("road", sa.Column("bridge", sa.Boolean(), server_default=false, nullable=False))
    op.add_column("road", sa.Column("tunnel", sa.Boolean(), server_default=false, nullable=False))
    op.add_column("road", sa.Column("layer", sa.SmallInteger(), server_default="0", nullable=False))
    op.execute("DELETE FROM network_entry WHERE kind = 'edge'")
    op.add_column(
        "network_entry",
        sa.Column(
            "building_id",
            sa.Integer(),
            sa.ForeignKey(
                "building.id",
                name=op.f("fk_network_entry_building_id_building"),
                ondelete="CASCADE",
            ),
            nullable=True,
        ),
    )
    op.drop_constraint(op.f("ck_network_entry_kind_known"), "network_entry", type_="check")
    op.create_check_constraint(
        op.f("ck_network_entry_kind_known"),
        "network_entry",
        "kind IN ('gate', 'building', 'station')",
    )
    op.create_check_constraint(
        op.f("ck_network_entry_building_matches_kind"),
        "network_entry",
        "(kind = 'building') = (building_id IS NOT NULL)",
    )
    op.create_table(
        "network_build",
        sa.Column("id", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("node_crossings", sa.Boolean(), nullable=False),
        sa.Column("metric_epsg", sa.Integer(), nullable=False),
        sa.Column(
            "built_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_network_build_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_build")),
    )


def downgrade() -> None:
    op.drop_table("network_build")
    op.execute("DELETE FROM network_entry WHERE kind = 'building'")
    op.drop_constraint(
        op.f("ck_network_entry_building_matches_kind"), "network_entry", type_="check"
    )
    op.drop_constraint(op.f("ck_network_entry_kind_known"), "network_entry", type_="check")
    op.create_check_constraint(
        op.f("ck_network_entry_kind_known"), "network_entry", "kind IN ('gate', 'edge', 'station')"
    )
    op.drop_column("network_entry", "building_id")
    op.drop_column("road", "layer")
    op.drop_column("road", "tunnel")
    op.drop_column("road", "bridge")
