"""Reads of one statement, without a thread: an asyncio pool of read-only
connections in autocommit, for the API's busiest routes.

A sync route costs FastAPI a trip to its thread pool (about a third of a
millisecond on two cores) and a transaction costs BEGIN and COMMIT trips to the
server; a point lookup's own statement takes half a millisecond. Here the
statement is its own transaction and runs on the event loop (psycopg's async
connections, psycopg_pool's pool). The statements are the domain's own
SQLAlchemy ``text()`` clauses, compiled once to psycopg's placeholders, so
the SQL stays in one place and the CLI and tests run the same text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import TextClause, make_url
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

# One row of a statement, or None: what routes depend on (tests swap in their own).
FetchOne = Callable[[TextClause, dict[str, Any]], Awaitable[dict[str, Any] | None]]
APPLICATION = "gridgov-statements"  # how the pool's sessions show in pg_stat_activity
DIALECT = PGDialect_psycopg()  # type: ignore[no-untyped-call]


@cache
def compiled(statement: TextClause) -> str:
    """The statement with psycopg's %(name)s placeholders (compiled once)."""
    return str(statement.compile(dialect=DIALECT))


def conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy URL."""
    plain = make_url(url).set(drivername="postgresql")
    return plain.render_as_string(hide_password=False)


class StatementPool:
    """Read-only autocommit connections for one-statement reads."""

    def __init__(self, url: str, max_size: int = 10) -> None:
        self.pool = AsyncConnectionPool(
            conninfo(url),
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs={
                "autocommit": True,
                "application_name": APPLICATION,
                # One-statement reads take milliseconds: one that runs 10 s is stuck on
                # a loaded store and is cancelled (503) rather than hold a connection.
                "options": "-c jit=off -c default_transaction_read_only=on "
                "-c statement_timeout=10000",
            },
            timeout=10,
            name="gridgov-statements",
        )

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        await self.pool.close()

    async def fetch_one(
        self, statement: TextClause, params: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The first row of ``statement``, as a dict, or None.

        Connections are not pinged before use (a round trip each time); a read is
        safe to repeat, so one the server dropped (say, after a restart) is retried
        once on a fresh connection, the pool having discarded the broken one."""
        try:
            return await self._fetch_one(compiled(statement), params)
        except psycopg.OperationalError:
            return await self._fetch_one(compiled(statement), params)

    async def _fetch_one(self, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
        async with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(sql, params)
            return await cursor.fetchone()
