"""Backups of the store: pg_dump's custom format, made and restored by the pg_dump,
pg_restore and psql of the server's own major version (an older pg_dump refuses a
newer server, and a newer one writes dumps an older pg_restore cannot read).

A restore replaces the whole store in one transaction (a failed restore leaves it
as it was) and checks the dump's schema revision first: a dump from a revision
this gridgov does not know (a newer gridgov's) is refused; an older one is
restored, then migrated.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, make_url, text
from sqlalchemy.exc import OperationalError

from geo_api.db import migrate
from geo_api.db.cluster import PG_ROOT
from geo_api.errors import DatabaseUnavailableError, GridgovError, InvalidInputError

# The store's own tables: those of the public schema that no extension owns
# (PostGIS's spatial_ref_sys is the extension's); a partitioned table once, not
# again by its partitions (migration 0025).
TABLES_SQL = text("""
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY c.relname
""")
VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class Restored:
    """What a restore did: the dump's revision, and the store's after migrating."""

    dump_revision: str
    revision: str | None
    migrated: bool


def store_tables(conn: Connection) -> list[str]:
    """The names of the store's own tables (the public schema's, not extensions')."""
    return list(conn.execute(TABLES_SQL).scalars())


def tables_with_rows(conn: Connection) -> list[str]:
    """The store's tables that hold at least one row (alembic_version aside)."""
    quoted = conn.dialect.identifier_preparer.quote
    return [
        table
        for table in store_tables(conn)
        if table != VERSION_TABLE
        # Names come from the catalogue, quoted.
        and conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {quoted(table)})")).scalar_one()  # noqa: S608
    ]


def _where(engine: Engine) -> str:
    url = engine.url
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def _connect(engine: Engine) -> Connection:
    try:
        return engine.connect()
    except OperationalError as exc:
        # libpq's first line ends with the cause ("... failed: Connection refused").
        first = (str(exc.orig) if exc.orig else str(exc)).strip().splitlines()[0]
        reason = first.rsplit("failed: ", 1)[-1].strip() or first
        raise DatabaseUnavailableError(
            f"the database at {_where(engine)} is unavailable: {reason}"
        ) from exc


def server_bin(conn: Connection) -> Path:
    """The bin folder of the PostgreSQL tools of the server's major version."""
    number = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    major = number // 10000
    bindir = PG_ROOT / str(major) / "bin"
    missing = [tool for tool in ("pg_dump", "pg_restore", "psql") if not (bindir / tool).exists()]
    if missing:
        raise GridgovError(
            f"the server runs PostgreSQL {major}, but {bindir} has no {', '.join(missing)}: "
            f"install postgresql-client-{major}"
        )
    return bindir


def _env(engine: Engine) -> dict[str, str]:
    """libpq's environment for the engine's database: the password never goes on a
    command line, where ps would show it."""
    url = make_url(engine.url)
    env = dict(os.environ)
    env.update(
        {
            "PGHOST": url.host or "localhost",
            "PGPORT": str(url.port or 5432),
            "PGUSER": url.username or "",
            "PGDATABASE": url.database or "",
            "PGPASSWORD": url.password or "",
            "PGCONNECT_TIMEOUT": "5",
        }
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, check=False)
    if result.returncode != 0:
        said = result.stderr.decode(errors="replace").strip().splitlines()
        raise GridgovError(f"{Path(args[0]).name} failed: {said[0] if said else 'no message'}")


def backup(engine: Engine, path: Path) -> str | None:
    """Write the whole store to ``path`` in pg_dump's custom format; returns its
    schema revision. The file appears only once the dump is complete."""
    with _connect(engine) as conn:
        bindir = server_bin(conn)
        revision = migrate.current_revision(engine)
    target = path.resolve()
    if not target.parent.is_dir():
        raise InvalidInputError(f"cannot write {path}: the folder {target.parent} does not exist")
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        _run([str(bindir / "pg_dump"), "--format=custom", "--file", partial], _env(engine))
        Path(partial).replace(target)
    finally:
        Path(partial).unlink(missing_ok=True)
    return revision


def dump_revision(bindir: Path, path: Path) -> str:
    """The schema revision a dump holds; refuses a file that is not a gridgov dump."""
    if not path.is_file():
        raise InvalidInputError(f"no such backup file: {path}")
    listing = subprocess.run(
        [str(bindir / "pg_restore"), "--list", str(path)], capture_output=True, check=False
    )
    if listing.returncode != 0:
        said = listing.stderr.decode(errors="replace").strip().splitlines()
        reason = said[0].removeprefix("pg_restore: error: ") if said else "unreadable"
        raise InvalidInputError(f"{path} is not a pg_dump custom-format backup ({reason})")
    script = subprocess.run(
        [str(bindir / "pg_restore"), "--data-only", "--table", VERSION_TABLE, "-f", "-", str(path)],
        capture_output=True,
        check=False,
    ).stdout.decode(errors="replace")
    lines = script.splitlines()
    for n, line in enumerate(lines):
        if line.startswith(f"COPY public.{VERSION_TABLE} ") and n + 1 < len(lines):
            revision = lines[n + 1].strip()
            if revision and revision != "\\.":
                return revision
    raise InvalidInputError(f"{path} is a PostgreSQL dump, not of a gridgov store (no revision)")


def _replace(bindir: Path, path: Path, env: dict[str, str]) -> None:
    """Drop the store and load the dump, in one transaction committed only once
    pg_restore has written the whole dump: a dump that breaks halfway, or a
    statement that fails, leaves the store as it was."""
    with tempfile.TemporaryFile() as dump_err, tempfile.TemporaryFile() as psql_err:
        psql = subprocess.Popen(
            [str(bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
        )
        dump = subprocess.Popen(
            [str(bindir / "pg_restore"), "--no-owner", "--no-privileges", "-f", "-", str(path)],
            stdout=subprocess.PIPE,
            stderr=dump_err,
        )
        assert psql.stdin is not None and dump.stdout is not None  # asked for above
        complete = False
        try:
            psql.stdin.write(b"BEGIN;\nDROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n")
            shutil.copyfileobj(dump.stdout, psql.stdin)
            complete = dump.wait() == 0
            if complete:
                psql.stdin.write(b"COMMIT;\n")
            psql.stdin.close()  # without COMMIT, psql's end rolls everything back
        except BrokenPipeError:
            pass  # psql stopped at an error: it says which below
        finally:
            dump.stdout.close()
            dump.wait()
            psql.wait()
        for process, said, tool in ((dump, dump_err, "pg_restore"), (psql, psql_err, "psql")):
            said.seek(0)
            lines = said.read().decode(errors="replace").strip().splitlines()
            if process.returncode != 0 or (tool == "psql" and not complete):
                first = lines[0] if lines else f"exit status {process.returncode}"
                raise GridgovError(f"restoring {path} failed, the store is unchanged: {first}")


def restore(engine: Engine, path: Path, *, force: bool = False) -> Restored:
    """Replace the store with the dump at ``path``, then migrate it to this gridgov's
    schema. Refuses a dump of a schema newer than this gridgov, and a store holding
    data unless ``force``."""
    with _connect(engine) as conn:
        bindir = server_bin(conn)
        revision = dump_revision(bindir, path)
        head = migrate.head_revision()
        if not migrate.known_revision(revision):
            raise InvalidInputError(
                f"{path} is at schema revision {revision}, which this gridgov does not know "
                f"(its newest is {head}): restore it with the gridgov that made it, or a newer one"
            )
        holding = tables_with_rows(conn)
    if holding and not force:
        raise InvalidInputError(
            f"the store at {_where(engine)} holds data ({len(holding)} tables with rows, "
            f"e.g. {', '.join(holding[:3])}): add --force to replace it with {path}"
        )
    engine.dispose()  # no idle session of ours lingers through the replacement
    _replace(bindir, path, _env(engine))
    migrated = revision != head
    if migrated:
        migrate.upgrade(engine)
    return Restored(revision, migrate.current_revision(engine), migrated)
