"""The walking network: roads, compound gates, the noded network built from them
(pgRouting), where compounds and stations meet it, and stations' service areas.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
    op.create_geospatial_table(
        "road",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=16), server_default=sa.text("'street'"), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTILINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road")),
        sa.UniqueConstraint("ref", name=op.f("uq_road_ref")),
    )
    op.create_geospatial_index(
        "ix_road_geom", "road", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_geospatial_table(
        "road_vertex",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_vertex")),
    )
    op.create_geospatial_index(
        "ix_road_vertex_geom",
        "road_vertex",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "road_edge",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("source", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('road', 'connector')", name=op.f("ck_road_edge_kind_known")),
        sa.ForeignKeyConstraint(
            ["source"],
            ["road_vertex.id"],
            name=op.f("fk_road_edge_source_road_vertex"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target"],
            ["road_vertex.id"],
            name=op.f("fk_road_edge_target_road_vertex"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_edge")),
    )
    op.create_index(op.f("ix_road_edge_source"), "road_edge", ["source"], unique=False)
    op.create_index(op.f("ix_road_edge_target"), "road_edge", ["target"], unique=False)
    op.create_geospatial_index(
        "ix_road_edge_geom",
        "road_edge",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "service_area",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("reach_m", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "method IN ('network', 'straight')", name=op.f("ck_service_area_method_known")
        ),
        sa.CheckConstraint("reach_m > 0", name=op.f("ck_service_area_reach_positive")),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_service_area_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("station_id", "reach_m", name=op.f("pk_service_area")),
    )
    op.create_geospatial_index(
        "ix_service_area_geom",
        "service_area",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "compound_gate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_compound_gate_compound_id_compound"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compound_gate")),
        sa.UniqueConstraint("compound_id", "name", name=op.f("uq_compound_gate_compound_id_name")),
    )
    op.create_geospatial_index(
        "ix_compound_gate_geom",
        "compound_gate",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "network_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("vertex_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(kind = 'station') = (station_id IS NOT NULL) AND "
            "(kind = 'station') = (compound_id IS NULL)",
            name=op.f("ck_network_entry_owner_matches_kind"),
        ),
        sa.CheckConstraint(
            "kind IN ('gate', 'edge', 'station')", name=op.f("ck_network_entry_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_network_entry_compound_id_compound"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_network_entry_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vertex_id"],
            ["road_vertex.id"],
            name=op.f("fk_network_entry_vertex_id_road_vertex"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_entry")),
    )
    op.create_geospatial_index(
        "ix_network_entry_geom",
        "network_entry",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_network_entry_compound_id"), "network_entry", ["compound_id"], unique=False
    )
    op.create_index(
        op.f("ix_network_entry_station_id"), "network_entry", ["station_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_network_entry_station_id"), table_name="network_entry")
    op.drop_index(op.f("ix_network_entry_compound_id"), table_name="network_entry")
    op.drop_geospatial_table("network_entry")
    op.drop_geospatial_index(
        "ix_compound_gate_geom",
        table_name="compound_gate",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("compound_gate")
    op.drop_geospatial_index(
        "ix_service_area_geom",
        table_name="service_area",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("service_area")
    op.drop_geospatial_index(
        "ix_road_edge_geom", table_name="road_edge", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("road_edge")
    op.drop_geospatial_index(
        "ix_road_vertex_geom", table_name="road_vertex", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("road_vertex")
    op.drop_geospatial_index(
        "ix_road_geom", table_name="road", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("road")
    op.execute("DROP EXTENSION IF EXISTS pgrouting")
