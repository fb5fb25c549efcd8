"""Which reads may go to a streaming replica of the store
(``GEO_API_DATABASE_REPLICA_URL``): the busy reads that show no one in full.

Lookups, OGC items, vector tiles and the map pages read there; everything else reads
the primary: writes, and audited reads (a lookup or a map that shows names and phones
in full to an admin or an officer is written to the audit log, and must show what the
primary holds at that moment).

Read-your-writes: a key that wrote in the last ``GEO_API_REPLICA_STICKY_S`` seconds
(5 by default; the store remembers its writes, geo_api.auth.budget, so every worker
knows) reads from the primary, so an officer who moved a household sees the move on
their next lookup or map even while the replica lags. Other keys may see the replica
that much behind; ``gridgov db status`` on the replica, or ``pg_stat_replication`` on
the primary, shows its lag.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine

from geo_api.api.credentials import SAFE_METHODS
from geo_api.auth.budget import WROTE_SQL
from geo_api.auth.roles import Caller
from geo_api.db.engine import make_engine
from geo_api.db.results import WRITER_OPTION
from geo_api.db.statements import StatementPool

REPLICA_APPLICATION = "gridgov-replica"  # how its sessions show in pg_stat_activity


@dataclass
class Replica:
    """The replica's engine (thread-pool reads) and asyncio pool (one-statement reads)."""

    engine: Engine  # stores computed results on the primary (its execution options)
    statements: StatementPool
    base: Engine  # the engine itself, to dispose of


# (method, path template) of the routes whose reads may go to the replica.
REPLICA_ROUTES = frozenset(
    {
        ("GET", "/lookup"),
        ("GET", "/ogc/collections/{collection_id}/items"),
        ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"),
        ("GET", "/tiles/{layer}/{z}/{x}/{y}.mvt"),
        ("GET", "/maps/command-centre"),
        ("GET", "/maps/communities/{code}"),
        ("GET", "/maps/grids/{code}"),
    }
)
# Of those, the ones that never carry personal data: on the replica for every role.
NO_PEOPLE = frozenset(
    {
        ("GET", "/ogc/collections/{collection_id}/items"),
        ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"),
        ("GET", "/tiles/{layer}/{z}/{x}/{y}.mvt"),
    }
)


def on_replica(request: Request) -> bool:
    """Whether this request's reads go to the replica (there is one, the route is one of
    REPLICA_ROUTES, its answer is not an audited one, and its key did not write lately)."""
    if getattr(request.app.state, "replica", None) is None:
        return False
    route = (request.method, getattr(request.scope.get("route"), "path", ""))
    if route not in REPLICA_ROUTES or getattr(request.state, "wrote_lately", True):
        return False
    caller: Caller | None = getattr(request.state, "caller", None)
    return caller is not None and (route in NO_PEOPLE or not caller.reveals)


def open_replica(url: str, primary: Engine) -> Replica:
    """The replica's engine and pool (opened by the caller). Results computed from the
    replica's data (gaps, map pages: geo_api.db.results) are stored on ``primary``."""
    base = make_engine(url, application=REPLICA_APPLICATION)
    engine = base.execution_options(**{WRITER_OPTION: primary})
    return Replica(engine, StatementPool(url, name=REPLICA_APPLICATION), base)


async def remember_write(request: Request) -> None:
    """After a write with a replica in use: its key's reads stay on the primary for the
    next GEO_API_REPLICA_STICKY_S seconds from now (the gate remembered the write's
    start too, which covers a quick write's answer racing this mark)."""
    if request.method in SAFE_METHODS or getattr(request.app.state, "replica", None) is None:
        return
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is not None:
        pool: StatementPool = request.app.state.gate_statements
        await pool.fetch_one(WROTE_SQL, {"name": str(caller.key_id)})
