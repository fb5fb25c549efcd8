"""Run the store's Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, text

from geo_api.db.partitions import ensure_years
from geo_api.errors import InvalidInputError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MISSING_SCHEMA = (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction)
NOT_MIGRATED = "the store's schema is missing or out of date: run `gridgov db up`"


def is_unmigrated(exc: BaseException) -> bool:
    """True when a database error (or what it wraps) means the schema is not there:
    an undefined table, or no PostGIS functions at all."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(getattr(seen, "orig", seen), _MISSING_SCHEMA):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at gridgov's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


def _known(revision: str) -> None:
    try:
        ScriptDirectory.from_config(alembic_config()).get_revisions(revision)
    except CommandError as exc:
        raise InvalidInputError(f"unknown revision {revision!r}: {exc}") from exc


def known_revision(revision: str) -> bool:
    """True when ``revision`` is one of gridgov's migrations (or a name Alembic resolves)."""
    try:
        _known(revision)
    except InvalidInputError:
        return False
    return True


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the store up to ``revision``, creating PostGIS first if needed, and make
    the history's partitions of this year and the next where missing (0025 on)."""
    _known(revision)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        ensure_years(conn)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the store down to ``revision`` (base: an empty schema)."""
    _known(revision)
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


# The revision in Alembic's own table (this module keeps its default name), as one
# plain statement: /health reads it on every probe, on the event loop, where
# MigrationContext inspected the dialect in a thread (5.4 ms of CPU a probe).
REVISION_SQL = text("SELECT version_num FROM alembic_version")


def current_revision(engine: Engine) -> str | None:
    """The revision the store is at, or None for an unmigrated database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@cache
def head_revision() -> str | None:
    """The newest revision gridgov ships (read once: parsing the scripts takes 20 ms,
    and /health asks on every probe)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
