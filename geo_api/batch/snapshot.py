"""One view of the store for every worker of a run.

The writer exports its transaction's snapshot (pg_export_snapshot) and each
worker reads inside it (SET TRANSACTION SNAPSHOT): every community is read as of
the same instant, the one the writer's transaction sees, whichever worker (or
machine) reads it and however often a lost worker's task is read again. A
transaction that has already written cannot share what it wrote this way; then
the caller works in its own process.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from geo_api.db.engine import CONNECT_TIMEOUT_S
from geo_api.errors import InvalidInputError

# What pg_export_snapshot returns: hex numbers joined by dashes (00000003-0000001B-1).
SNAPSHOT_ID = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")


def export_snapshot(conn: Connection) -> str | None:
    """The caller's snapshot for workers to read in, valid until its transaction ends;
    None when the transaction has written already (workers could not see it)."""
    wrote = conn.execute(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")).scalar_one()
    if wrote:
        return None
    return str(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())


@contextmanager
def snapshot_reader(url: str, snapshot: str) -> Iterator[Connection]:
    """A read-only connection to the store at ``url`` that sees what the transaction
    that exported ``snapshot`` saw; closed (and its transaction ended) after the block."""
    if not SNAPSHOT_ID.fullmatch(snapshot):
        raise InvalidInputError(f"snapshot {snapshot!r} is not one pg_export_snapshot made")
    # A connection a task, none kept: a worker may live on for other work.
    engine = create_engine(
        url,
        poolclass=NullPool,
        isolation_level="REPEATABLE READ",  # importing a snapshot needs it
        connect_args={"options": "-c jit=off", "connect_timeout": CONNECT_TIMEOUT_S},
    )
    try:
        with engine.connect() as conn:
            # The first statement of the transaction; an id cannot be a bound parameter
            # here, hence the pattern above.
            conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield conn
            conn.rollback()
    finally:
        engine.dispose()
