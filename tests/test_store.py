"""The store: the embedded cluster, migrations up and down, integrity."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from geo_api.db import migrate
from geo_api.db.engine import database_url
from geo_api.db.integrity import children_outside_parents
from geo_api.db.models import Base
from geo_api.demo.load import CITY_TABLES
from geo_api.settings import DatabaseSettings


def test_migrations_up_down_up(scratch_url: str) -> None:
    engine = create_engine(scratch_url)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    tables = set(inspect(engine).get_table_names())
    assert tables >= set(CITY_TABLES)
    with engine.connect() as conn:
        gist = (
            conn.execute(
                text("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%'")
            )
            .scalars()
            .all()
        )
        srids = dict(conn.execute(text("SELECT f_table_name, srid FROM geometry_columns")).all())
    spatial = {t.name for t in Base.metadata.tables.values() if "geom" in t.c}
    assert set(gist) == spatial and len(spatial) == 20
    assert set(srids.values()) == {4326}
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert not set(CITY_TABLES) & set(inspect(engine).get_table_names())
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_models_and_migrations_agree(conn: Connection) -> None:
    # The yearly partitions of migration 0025 are the store's, not the models'.
    partitions = set(
        conn.execute(text("SELECT relname FROM pg_class WHERE relispartition")).scalars()
    )

    def include(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        if kind == "table" and name in partitions:
            return False
        return bool(alembic_helpers.include_object(obj, name, kind, reflected, other))

    context = MigrationContext.configure(
        conn, opts={"include_object": include, "compare_type": True}
    )
    assert compare_metadata(context, Base.metadata) == []


def test_external_server_is_used_as_is() -> None:
    url = "postgresql+psycopg://someone:secret@db.example:5432/city"
    assert database_url(DatabaseSettings(database_url=url)) == url


def test_loaded_city_is_nested(conn: Connection) -> None:
    assert children_outside_parents(conn) == []


def test_child_outside_parent_is_reported(conn: Connection) -> None:
    conn.execute(text("UPDATE building SET geom = ST_Translate(geom, 0.05, 0) WHERE id = 1"))
    conn.execute(text("UPDATE household SET geom = ST_Translate(geom, 0, 0.001) WHERE id = 5"))
    problems = {(p.table, p.id): p for p in children_outside_parents(conn)}
    assert ("building", 1) in problems and problems[("building", 1)].outside > 100
    assert ("household", 5) in problems and 100 < problems[("household", 5)].outside < 120
    assert "lies outside its compound" in problems[("building", 1)].message()


def test_codes_are_unique(conn: Connection) -> None:
    with pytest.raises(IntegrityError, match="uq_street_code"):
        conn.execute(
            text(
                "INSERT INTO street (code, name, geom) "
                "SELECT code, 'copy', geom FROM street LIMIT 1"
            )
        )


def test_compound_cannot_disagree_with_its_grid(conn: Connection) -> None:
    other = conn.execute(
        text("SELECT g.id, c.id FROM grid g, community c WHERE c.id <> g.community_id LIMIT 1")
    ).one()
    with pytest.raises(IntegrityError, match="fk_compound_grid_id_community_id_grid"):
        conn.execute(
            text("UPDATE compound SET grid_id = :g, community_id = :c WHERE id = 1"),
            {"g": other[0], "c": other[1]},
        )


def test_head_scope_must_match_role(conn: Connection) -> None:
    with pytest.raises(IntegrityError, match="scope_matches_role"):
        conn.execute(
            text(
                "UPDATE head SET building_id = 1 "
                "WHERE id = (SELECT min(id) FROM head WHERE role = 'unit')"
            )
        )
