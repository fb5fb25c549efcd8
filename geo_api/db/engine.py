"""Engines and sessions. Nothing connects at import time: callers build the
engine (the API in its lifespan, the CLI per command, tests per fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from geo_api.db.cluster import Cluster, cluster_root
from geo_api.settings import DatabaseSettings


def cluster_for(settings: DatabaseSettings) -> Cluster:
    """The embedded cluster the settings point at."""
    return Cluster(cluster_root(settings.cluster_dir))


def database_url(settings: DatabaseSettings | None = None, *, start: bool = True) -> str:
    """The store's URL: GEO_API_DATABASE_URL, else the embedded cluster (started if asked)."""
    settings = settings or DatabaseSettings()
    if settings.database_url:
        return settings.database_url
    cluster = cluster_for(settings)
    return cluster.up() if start else cluster.url()


# Seconds to reach the server (libpq's connect_timeout; 2 is its smallest useful
# value), and to wait for a free connection of the pool: a request fails with 503
# within a couple of seconds while the database is down, never hangs.
CONNECT_TIMEOUT_S = 2
POOL_TIMEOUT_S = 5.0


def make_engine(url: str, *, pool_size: int = 10, application: str | None = None) -> Engine:
    """An engine for the store with a pool sized for the API's worker threads.

    JIT is off: gridgov's queries are short, and PostgreSQL's JIT spends more
    compiling them (half a second for a gap query) than it saves. Connections are
    pinged on checkout, so those a restarted server dropped are replaced, not used.
    ``application``: the name its sessions show in pg_stat_activity.
    """
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={
            "options": "-c jit=off",
            "connect_timeout": CONNECT_TIMEOUT_S,
            **({"application_name": application} if application else {}),
        },
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    with make_sessionmaker(engine)() as session, session.begin():
        yield session
