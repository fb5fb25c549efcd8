"""The schema revisions without Alembic: what `gridgov db status` shows, read in
milliseconds. Importing Alembic (and SQLAlchemy, and every migration script with
it) takes seconds on a busy machine; geo_api.db.migrate does the migrating.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from pathlib import Path

from geo_api.errors import GridgovError

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"


def _assigned(tree: ast.Module, name: str) -> object:
    """The literal a script assigns to ``name`` at its top level (None if it does not)."""
    for node in tree.body:
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == name and value is not None:
            return ast.literal_eval(value)
    return None


def script_heads(folder: Path = VERSIONS) -> list[str]:
    """The revisions no other script builds on (one, unless the history branches)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in folder.glob("*.py"):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        revision = _assigned(tree, "revision")
        if not isinstance(revision, str):
            continue
        revisions.add(revision)
        down = _assigned(tree, "down_revision")
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):  # a merge names several
            parents.update(str(d) for d in down)
    return sorted(revisions - parents)


def libpq_url(sqlalchemy_url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://…) as libpq takes it (postgresql://…)."""
    scheme, sep, rest = sqlalchemy_url.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}"


# The table is read through query_to_xml, run only when it exists: a subquery naming
# it would be planned (and fail) on a store never migrated, whatever the CASE says.
REVISION_SQL = (
    "SELECT CASE WHEN to_regclass('alembic_version') IS NULL THEN '' ELSE "
    "(xpath('/row/v/text()', query_to_xml('SELECT string_agg(version_num, '', '' "
    "ORDER BY version_num) AS v FROM alembic_version', false, true, '')))[1]::text END"
)


class StoreUnreachableError(GridgovError):
    """The store did not answer a status query."""


def stored_revision(url: str) -> str | None:
    """The revision the store at a libpq URL is at (None: not migrated)."""
    return ask(url, REVISION_SQL) or None


DURABILITY_SQL = (
    "SELECT current_setting('fsync') || ',' || current_setting('full_page_writes') || ',' "
    "|| current_setting('synchronous_commit')"
)


def durability(url: str) -> dict[str, str]:
    """The server's fsync, full_page_writes and synchronous_commit, as it runs them."""
    return _settings(ask(url, DURABILITY_SQL))


def _settings(answer: str) -> dict[str, str]:
    fsync, pages, commit = answer.split(",")
    return {"fsync": fsync, "full_page_writes": pages, "synchronous_commit": commit}


def revision_and_durability(url: str) -> tuple[str | None, dict[str, str]]:
    """stored_revision and durability in one question (one psql, not two: status is
    timed in tenths of a second)."""
    answer = ask(url, f"SELECT ({REVISION_SQL}) || '|' || ({DURABILITY_SQL})")
    revision, _, settings = answer.rpartition("|")
    return revision or None, _settings(settings)


def _psql() -> str | None:
    """The newest server's own psql, else the one on PATH: Debian's /usr/bin/psql is
    a Perl wrapper that costs a tenth of a second before psql even starts."""
    own = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/psql"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return str(own[-1]) if own else shutil.which("psql")


def ask(url: str, sql: str) -> str:
    """One value of one query, from the store at a libpq URL.

    Asked through psql when it is installed: importing psycopg costs more than the
    whole of `gridgov db status` may take on a busy machine."""
    psql = _psql()
    if psql is None:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(sql).fetchone()
        return str(row[0]) if row and row[0] is not None else ""
    done = subprocess.run(
        [psql, "-X", "-A", "-t", "-w", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql, url],
        capture_output=True,
        text=True,
        env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        check=False,
    )
    if done.returncode != 0:
        reason = next((line for line in done.stderr.splitlines() if line.strip()), "no answer")
        raise StoreUnreachableError(
            f"the database is unavailable ({reason.removeprefix('psql: ')})"
        )
    return done.stdout.strip()
