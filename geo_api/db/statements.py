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

import asyncio
import select
from collections.abc import Awaitable, Callable
from functools import cache
from time import monotonic
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy import TextClause, make_url
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from geo_api.errors import DatabaseUnavailableError

# One row of a statement, or None: what routes depend on (tests swap in their own).
FetchOne = Callable[[TextClause, dict[str, Any]], Awaitable[dict[str, Any] | None]]
APPLICATION = "gridgov-statements"  # how the pool's sessions show in pg_stat_activity
DIALECT = PGDialect_psycopg()  # type: ignore[no-untyped-call]
# While the database is down a request fails at once (503) rather than wait: the
# server is asked again at most once a PROBE_EVERY_S, and a connection waited for
# at most CHECKOUT_TIMEOUT_S (libpq's CONNECT_TIMEOUT_S to reach the server).
PROBE_EVERY_S = 1.0
CHECKOUT_TIMEOUT_S = 2.0
CONNECT_TIMEOUT_S = 2
UNAVAILABLE = "the database is unavailable; check `gridgov db status`"


@cache
def compiled(statement: TextClause) -> str:
    """The statement with psycopg's %(name)s placeholders (compiled once)."""
    return str(statement.compile(dialect=DIALECT))


class DroppedError(psycopg.OperationalError):
    """A connection of the pool that the server had closed (found on checkout)."""


def dropped(conn: psycopg.AsyncConnection[Any]) -> bool:
    """True when the server has closed an idle connection of the pool.

    An idle connection has nothing to read: a restarted, stopped or crashed server
    leaves either its last message (a FATAL error) or the end of the stream on the
    socket. Looking costs no round trip, unlike a ping, which would add one to
    every lookup."""
    if conn.closed or conn.broken:
        return True
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    return bool(readable)


def conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy URL."""
    plain = make_url(url).set(drivername="postgresql")
    return plain.render_as_string(hide_password=False)


class StatementPool:
    """Read-only autocommit connections for one-statement reads (``writes``: writable
    ones, for the rate budgets' one-statement upserts, geo_api.auth.budget).

    Connections are checked on checkout (``dropped``); after a failure the server
    is asked directly whether it answers. While it does not, requests fail at
    once with DatabaseUnavailableError (503, Retry-After); once it does, the pool
    drops every connection of the old server and carries on, with no restart of
    gridgov."""

    def __init__(
        self, url: str, max_size: int = 10, *, writes: bool = False, name: str = APPLICATION
    ) -> None:
        self.conninfo = conninfo(url)
        read_only = "" if writes else " -c default_transaction_read_only=on"
        self.pool = AsyncConnectionPool(
            self.conninfo,
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs={
                "autocommit": True,
                "application_name": name,
                # One-statement reads take milliseconds: one that runs 10 s is stuck on
                # a loaded store and is cancelled (503) rather than hold a connection.
                "options": f"-c jit=off{read_only} -c statement_timeout=10000",
                "connect_timeout": CONNECT_TIMEOUT_S,
            },
            timeout=CHECKOUT_TIMEOUT_S,
            name=name,
        )
        self.down = False
        self._probed_at = -PROBE_EVERY_S
        self._probing = asyncio.Lock()

    async def open(self) -> None:
        """Open the pool (it connects in the background: the database may be down)."""
        await self.pool.open()

    async def close(self) -> None:
        """Close the pool and its connections."""
        await self.pool.close()

    async def fetch_one(
        self, statement: TextClause, params: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The first row of ``statement``, as a dict, or None.

        A read is safe to repeat: one that met a connection the server dropped is
        run again, once the server is known to answer."""
        sql = compiled(statement)
        if self.down:
            await self._recover(None)
        for _ in range(self.pool.max_size + 1):
            try:
                return await self._fetch_one(sql, params)
            except DroppedError as exc:
                # The first dropped connection met: if the server answers, every
                # dead one is dropped at once; if not, a 503 at once.
                await self._recover(exc)
            except (psycopg.OperationalError, PoolTimeout) as exc:
                await self._recover(exc)
                return await self._fetch_one(sql, params)
        raise DatabaseUnavailableError(UNAVAILABLE)

    async def _fetch_one(self, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
        async with self.pool.connection() as conn:
            if dropped(conn):
                await conn.close()  # the pool replaces a closed connection
                raise DroppedError("the server closed a connection of the pool")
            async with conn.cursor(row_factory=dict_row) as cursor:
                await cursor.execute(sql, params)
                return await cursor.fetchone()

    async def _recover(self, cause: BaseException | None) -> None:
        """Ask the server whether it answers (at most once a PROBE_EVERY_S; requests
        arriving meanwhile take the last answer); raise DatabaseUnavailableError
        while it does not. When it answers again, the connections of the server
        that went away are dropped all at once rather than met one by one."""
        async with self._probing:
            if monotonic() - self._probed_at >= PROBE_EVERY_S:
                self._probed_at = monotonic()
                self.down = not await self._server_answers()
                if not self.down:
                    await self.pool.check()
        if self.down:
            raise DatabaseUnavailableError(UNAVAILABLE) from cause

    async def _server_answers(self) -> bool:
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.conninfo, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True
            )
        except psycopg.OperationalError:
            return False
        await conn.close()
        return True
