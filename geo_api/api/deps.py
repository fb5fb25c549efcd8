"""Dependencies shared by the routes.

They are ``async def`` on purpose: they do no I/O, and FastAPI runs a sync
dependency in its thread pool, a hand-off that costs more than a point lookup.
A route opens its own transaction (``with tx() as conn`` to write, ``with
read() as conn`` to read), so each request makes exactly one trip to the
thread pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy import Connection, Engine, text

from geo_api.api.auth import CallerDep
from geo_api.api.limits import read_timeout_s
from geo_api.api.reads import on_replica
from geo_api.catalogue.scope import Area
from geo_api.db.statements import FetchOne, StatementPool
from geo_api.errors import ForbiddenError

Transaction = Callable[[], AbstractContextManager[Connection]]


async def get_engine(request: Request) -> Engine:
    """The engine the app's lifespan created."""
    engine: Engine = request.app.state.engine
    return engine


async def get_transaction(engine: Annotated[Engine, Depends(get_engine)]) -> Transaction:
    """Opens a transaction, committed when its block ends and rolled back on error."""
    return engine.begin


TIMEOUT_SQL = text("SELECT set_config('statement_timeout', :ms, true)")


@contextmanager
def read_only(engine: Engine, timeout_s: float | None = None) -> Iterator[Connection]:
    """A read-only transaction; no statement in it runs longer than ``timeout_s``."""
    with engine.connect() as conn:
        conn.execution_options(postgresql_readonly=True)
        try:
            if timeout_s is not None:
                conn.execute(TIMEOUT_SQL, {"ms": str(int(timeout_s * 1000))})
            yield conn
        finally:
            # The server refuses writes in a read-only transaction, so ending it with
            # COMMIT even after an error changes nothing, and unlike ROLLBACK it keeps
            # psycopg's prepared statements (a 404 would otherwise cost a replan).
            conn.commit()


async def get_reader(
    request: Request, engine: Annotated[Engine, Depends(get_engine)]
) -> Transaction:
    """Opens a read-only transaction, with the route's statement timeout
    (geo_api.api.limits), on the replica where the route may read there
    (geo_api.api.reads), else on the primary."""
    timeout_s = read_timeout_s(request)
    if on_replica(request):
        engine = request.app.state.replica.engine
    return lambda: read_only(engine, timeout_s)


async def get_statement_reader(request: Request) -> FetchOne:
    """Runs one statement on the event loop, in its own read-only transaction: for
    the busiest routes, which read with one statement (geo_api.db.statements); on
    the replica where the route may read there."""
    state = request.app.state
    pool: StatementPool = state.replica.statements if on_replica(request) else state.statements
    return pool.fetch_one


async def get_area(caller: CallerDep) -> Area | None:
    """The area an officer's key holds them to (their community, or their grid);
    None for the roles that see the whole city."""
    if not caller.scoped:
        return None
    if caller.community_id is None or caller.community_code is None:
        # The store refuses such a key; were there one, it would see nothing, not all.
        raise ForbiddenError(f"key {caller.name!r} is an officer's without a community")
    return Area(caller.community_id, caller.community_code, caller.grid_id)


async def after_change(tasks: BackgroundTasks, request: Request) -> None:
    """For the routes that change the data: a snapshot of the figures and gaps
    (geo_api.stats) once the answer has gone, so the wall's series and alerts
    follow every assignment run, import and move."""
    # Imported here: the snapshot needs the gaps (geopandas), most routes do not.
    from geo_api.stats.snapshot import snapshot_after_change

    tasks.add_task(snapshot_after_change, request.app.state.engine)


EngineDep = Annotated[Engine, Depends(get_engine)]
Tx = Annotated[Transaction, Depends(get_transaction)]
Read = Annotated[Transaction, Depends(get_reader)]
ReadOne = Annotated[FetchOne, Depends(get_statement_reader)]
AreaDep = Annotated[Area | None, Depends(get_area)]
