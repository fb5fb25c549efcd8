"""The schema revisions without Alembic: what `gridgov db status` shows, read in
milliseconds. Importing Alembic (and SQLAlchemy, and every migration script with
it) takes seconds on a busy machine; geo_api.db.migrate does the migrating.
"""

from __future__ import annotations

import ast
from pathlib import Path

import psycopg

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


def stored_revision(url: str) -> str | None:
    """The revision the store at a libpq URL is at (None: not migrated)."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
        if not row or not row[0]:
            return None
        found = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    return ", ".join(sorted(str(r[0]) for r in found)) or None
