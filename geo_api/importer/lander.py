"""Where one import's checked rows go, chunk by chunk: upserted, or copied into an empty table.

Into a table that holds rows, each chunk is upserted on the layer's key
(upsert.py). Into an empty one (a city's first load) nothing can conflict, and
maintaining its indexes and foreign keys row by row costs several times the
rows themselves (a GiST insert, two B-tree inserts and a foreign-key lookup per
row). So, as pg_restore does, the empty table's unique constraints, foreign keys
and plain indexes are dropped, the rows copied straight in, and each is built
again once at the end, in one pass that checks every row as the row-by-row
path would have. The whole load runs in a savepoint: a failure leaves the table
and its definitions as they were. The table is locked (ACCESS EXCLUSIVE) until
the caller's transaction ends: there is nothing in it to read meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Connection, text
from sqlalchemy.engine import NestedTransaction
from sqlalchemy.exc import IntegrityError

from geo_api.db.bulk import copy_frame
from geo_api.errors import InvalidInputError
from geo_api.importer.layer import Landing
from geo_api.importer.upsert import Landed, upsert

# What an empty table's load builds once at the end. Kept: the primary key (serial
# ids arrive in order: cheap to maintain), check and exclusion constraints, and any
# index another table's foreign key points at (it cannot be dropped).
DEFERRED_SQL = """
SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS definition
FROM pg_constraint c
WHERE c.conrelid = CAST(:table AS regclass)
  AND (c.contype = 'f' OR (c.contype = 'u' AND NOT EXISTS (
      SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid)))
UNION ALL
SELECT i.relname, pg_get_indexdef(x.indexrelid)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = CAST(:table AS regclass) AND NOT x.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
"""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Empty:
    """An empty table being loaded: what was dropped, to build again."""

    table: str
    constraints: list[tuple[str, str]] = field(default_factory=list)  # name, definition
    indexes: list[tuple[str, str]] = field(default_factory=list)  # name, CREATE INDEX


def rows_of(landing: Landing, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of a chunk that land in ``landing`` (all, or its part of them)."""
    return rows if landing.part is None else rows[rows[landing.part[0]] == landing.part[1]]


class Lander:
    """One import's landings: ``land`` each checked chunk, then ``finish`` (or ``abort``)."""

    def __init__(self, conn: Connection, landings: list[Landing]) -> None:
        self.conn = conn
        self.landings = landings
        self.empty: dict[str, _Empty] = {}
        self.savepoint: NestedTransaction | None = None
        for table in dict.fromkeys(landing.table for landing in landings):
            if self._is_empty(table):
                if self.savepoint is None:
                    self.savepoint = conn.begin_nested()
                conn.execute(text(f"LOCK TABLE {_quoted(table)} IN ACCESS EXCLUSIVE MODE"))
                if self._is_empty(table):  # still, now that no one else can write
                    self.empty[table] = self._drop(table)

    def _is_empty(self, table: str) -> bool:
        sql = f"SELECT NOT EXISTS (SELECT 1 FROM {_quoted(table)})"  # noqa: S608 - quoted
        return bool(self.conn.execute(text(sql)).scalar_one())

    def _drop(self, table: str) -> _Empty:
        """Drop what the table's load builds again at the end; say what it was."""
        empty = _Empty(table)
        for name, definition in self.conn.execute(text(DEFERRED_SQL), {"table": table}):
            if definition.startswith("CREATE "):
                empty.indexes.append((name, definition))
                self.conn.execute(text(f"DROP INDEX {_quoted(name)}"))
            else:
                empty.constraints.append((name, definition))
                self.conn.execute(
                    text(f"ALTER TABLE {_quoted(table)} DROP CONSTRAINT {_quoted(name)}")
                )
        return empty

    def land(self, rows: pd.DataFrame) -> Landed:
        """Land one chunk's checked rows in every landing (each its part of them)."""
        landed = Landed()
        for landing in self.landings:
            part = rows_of(landing, rows)
            if landing.table in self.empty:
                count = copy_frame(
                    self.conn, landing.table, part, landing.columns, not_null=landing.key
                )
                landed.add(Landed(inserted=count))
            else:
                landed.add(
                    upsert(
                        self.conn,
                        landing.table,
                        list(landing.key),
                        list(landing.columns),
                        list(landing.updates),
                        part,
                        landing.reset,
                        landing.where,
                    )
                )
        return landed

    def finish(self) -> None:
        """Build again what the empty tables' loads dropped, checking every row; a row
        that breaks a constraint fails the import, naming it and the values."""
        if self.savepoint is None:
            return
        steps = [
            (name, f"ALTER TABLE {_quoted(e.table)} ADD CONSTRAINT {_quoted(name)} {definition}")
            for e in self.empty.values()
            for name, definition in e.constraints
        ] + [index for e in self.empty.values() for index in e.indexes]
        built = "?"
        try:
            for step in steps:
                built = step[0]  # named if it fails
                self.conn.execute(text(step[1]))
        except IntegrityError as error:
            self.abort()
            diag = getattr(error.orig, "diag", None)
            detail = getattr(diag, "message_detail", None) or getattr(diag, "message_primary", "")
            raise InvalidInputError(
                f"the rows clash with each other or the store ({built}): {detail or error.orig}"
            ) from error
        self.savepoint.commit()
        self.savepoint = None

    def abort(self) -> None:
        """Undo the load (rows and dropped definitions alike), if it is still open."""
        if self.savepoint is not None and self.savepoint.is_active:
            self.savepoint.rollback()
        self.savepoint = None
