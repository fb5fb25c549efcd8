"""Boundaries through time (issue 19): generations, as MapIt keeps them.

A generation is one set of boundaries of the four area layers (streets,
communities, grids, compounds), with the dates it was valid. The current
generation's areas stay where every reader finds them today (street, community,
grid, compound), each with ``generation_low``, the first generation it is valid
in. Versions that are not current live in ``area_version``: an old generation's
areas that were changed or removed (``generation_low`` to ``generation_high``), and a
new generation's areas imported but not yet made current (low = high = that
generation, which has no ``activated`` time yet).

A grid that moves to another community takes its compounds with it: the compound's
(grid, community) key now follows the grid on update.

The store's existing boundaries become generation 1, "initial", valid from the day
of this migration (``gridgov generations dates 1 --from`` moves it back).

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AREA_TABLES = ("street", "community", "grid", "compound")

CURRENT = """
CREATE FUNCTION gridgov_current_generation() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT max(id) FROM generation WHERE activated IS NOT NULL
$$
"""


def upgrade() -> None:
    op.create_table(
        "generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("activated", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("layers", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_generation_valid_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation")),
        sa.UniqueConstraint("name", name=op.f("uq_generation_name")),
    )
    op.execute(
        "INSERT INTO generation (id, name, activated, valid_from) "
        "VALUES (1, 'initial', now(), (now() AT TIME ZONE 'Asia/Shanghai')::date)"
    )
    op.execute("SELECT setval('generation_id_seq', 1)")
    op.execute(CURRENT)
    op.create_geospatial_table(
        "area_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="GEOMETRY",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("generation_low", sa.Integer(), nullable=False),
        sa.Column("generation_high", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "layer IN ('street', 'community', 'grid', 'compound')",
            name=op.f("ck_area_version_area_layer"),
        ),
        sa.CheckConstraint(
            "generation_high >= generation_low", name=op.f("ck_area_version_generation_range")
        ),
        sa.ForeignKeyConstraint(
            ["generation_low"],
            ["generation.id"],
            name=op.f("fk_area_version_generation_low_generation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["generation_high"],
            ["generation.id"],
            name=op.f("fk_area_version_generation_high_generation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_version")),
        sa.UniqueConstraint(
            "layer",
            "code",
            "generation_low",
            name=op.f("uq_area_version_layer_code_generation_low"),
        ),
    )
    op.create_index(
        "ix_area_version_layer_generation",
        "area_version",
        ["layer", "generation_low", "generation_high"],
    )
    op.create_geospatial_index(
        "ix_area_version_geom", "area_version", ["geom"], postgresql_using="gist"
    )
    for table in AREA_TABLES:
        op.add_column(
            table,
            sa.Column(
                "generation_low",
                sa.Integer(),
                server_default=sa.text("gridgov_current_generation()"),
                nullable=False,
            ),
        )
        op.create_foreign_key(
            op.f(f"fk_{table}_generation_low_generation"),
            table,
            "generation",
            ["generation_low"],
            ["id"],
        )
    op.drop_constraint("fk_compound_grid_id_community_id_grid", "compound", type_="foreignkey")
    op.create_foreign_key(
        "fk_compound_grid_id_community_id_grid",
        "compound",
        "grid",
        ["grid_id", "community_id"],
        ["id", "community_id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    for table in ("generation", "area_version"):
        op.execute(
            "CREATE TRIGGER data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION gridgov_mark_change()'
        )


def downgrade() -> None:
    op.drop_constraint("fk_compound_grid_id_community_id_grid", "compound", type_="foreignkey")
    op.create_foreign_key(
        "fk_compound_grid_id_community_id_grid",
        "compound",
        "grid",
        ["grid_id", "community_id"],
        ["id", "community_id"],
        ondelete="CASCADE",
    )
    for table in AREA_TABLES:
        op.drop_constraint(f"fk_{table}_generation_low_generation", table, type_="foreignkey")
        op.drop_column(table, "generation_low")
    op.drop_table("area_version")
    op.execute("DROP FUNCTION gridgov_current_generation()")
    op.drop_table("generation")
