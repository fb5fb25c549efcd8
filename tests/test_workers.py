"""`gridgov serve --workers 2`: two uvicorn worker processes behave as one server. A
key gets its requests a minute once, not once per worker; an address's wrong keys are
counted across them; a revoked key fails on every worker at once."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import Engine, text

from geo_api.auth.keys import create_key, revoke_key
from geo_api.db.cluster import free_port
from geo_api.demo.city import City

FAILURES_PER_MINUTE = 40
T = TypeVar("T")
GATE_SESSIONS = """
SELECT DISTINCT application_name FROM pg_stat_activity
WHERE application_name LIKE 'gridgov-gate %' AND query_start >= :since
"""


@contextmanager
def serving(db_url: str, workers: int) -> Iterator[str]:
    """`gridgov serve --workers N` on a free port, as a user starts it."""
    port = free_port()
    gridgov = Path(sys.executable).with_name("gridgov")
    env = {
        **os.environ,
        "GEO_API_DATABASE_URL": db_url,
        "GEO_API_AUTH_FAILURES_PER_MINUTE": str(FAILURES_PER_MINUTE),
    }
    args = [str(gridgov), "serve", "--port", str(port), "--workers", str(workers)]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 240  # two workers importing on a busy machine
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            else:
                log.seek(0)
                pytest.fail(f"gridgov serve did not come up:\n{log.read().decode()[-3000:]}")
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def two_workers(db_url: str, city: City) -> Iterator[str]:
    with serving(db_url, 2) as base:
        yield base


def burst(base: str, path: str, key: str, n: int, source: str = "127.0.0.1") -> list[int]:
    """``n`` requests from 8 threads, each on a new connection (so the kernel hands them
    to either worker), from the address ``source``; their statuses."""

    def one(_: int) -> int:
        transport = httpx.HTTPTransport(local_address=source)
        with httpx.Client(base_url=base, transport=transport, timeout=30) as client:
            return client.get(path, headers={"X-API-Key": key}).status_code

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(n)))


def workers_seen(engine: Engine, since: object) -> int:
    """How many worker processes checked a key since ``since`` (the store's clock): each
    names its gate pool's sessions with its pid."""
    with engine.connect() as conn:
        names = conn.execute(text(GATE_SESSIONS), {"since": since}).scalars().all()
    return len({name.split()[-1] for name in names} - {str(os.getpid())})


def now(engine: Engine) -> object:
    with engine.connect() as conn:
        return conn.execute(text("SELECT clock_timestamp()")).scalar_one()


def spread(engine: Engine, attempt: Callable[[int], T]) -> T:
    """``attempt(i)``'s result from a try that both workers served (at most 3 tries).
    On a loaded machine (the tests run in parallel) the kernel may hand every new
    connection of a burst to one worker: such a burst shows nothing of two workers
    sharing, and is tried again, with a fresh key or address."""
    for i in range(3):
        since = now(engine)
        result = attempt(i)
        if workers_seen(engine, since) == 2:
            return result
    pytest.fail("three bursts each went to one worker only")


def test_a_key_gets_its_budget_once_across_workers(two_workers: str, engine: Engine) -> None:
    def attempt(_: int) -> tuple[list[int], float]:
        with engine.begin() as conn:
            key = create_key(conn, f"budget {time.monotonic_ns()}", "planner", per_minute=20)
        started = time.monotonic()
        return burst(two_workers, "/communities", key, 60), time.monotonic() - started

    statuses, took = spread(engine, attempt)
    assert set(statuses) <= {200, 429}
    # 20 at once, and the bucket refills at 20 a minute while the burst runs; per
    # worker budgets would have let up to 40 through.
    assert 20 <= statuses.count(200) <= 20 + took * 20 / 60 + 1, (statuses, took)


def test_wrong_keys_are_counted_across_workers(two_workers: str, engine: Engine) -> None:
    def attempt(i: int) -> tuple[list[int], float]:
        started = time.monotonic()
        statuses = burst(two_workers, "/communities", "gg_wrong", 60, source=f"127.0.0.{3 + i}")
        return statuses, time.monotonic() - started

    statuses, took = spread(engine, attempt)
    assert set(statuses) <= {401, 429}
    most = FAILURES_PER_MINUTE + took * FAILURES_PER_MINUTE / 60 + 1
    assert FAILURES_PER_MINUTE <= statuses.count(401) <= most, (statuses, took)


def test_a_revoked_key_fails_on_every_worker(two_workers: str, engine: Engine) -> None:
    name = f"revoked {time.monotonic_ns()}"
    with engine.begin() as conn:
        key = create_key(conn, name, "planner", per_minute=10**6)

    def asked(i: int) -> list[int]:  # each try from its own address: its own budget
        return burst(two_workers, "/communities", key, 24, source=f"127.0.0.{10 + i}")

    assert spread(engine, asked) == [200] * 24
    with engine.begin() as conn:
        revoke_key(conn, name)
    assert spread(engine, asked) == [401] * 24


@pytest.mark.parametrize(("workers", "size"), [(1, 10), (2, 10), (4, 5), (8, 2), (64, 2)])
def test_the_workers_pools_fit_the_embedded_cluster_s_connections(workers: int, size: int) -> None:
    """Each worker opens about four times its pool size: with 100 connections, four
    workers at the single process's 10 would need 160 and fail under load."""
    from geo_api.cli.serve import CONNECTIONS_PER_POOL_UNIT, RESERVED_CONNECTIONS, worker_pool_size

    assert worker_pool_size(100, workers) == size
    if size > 2:  # above the floor, all the workers fit beside the reserved connections
        assert workers * size * CONNECTIONS_PER_POOL_UNIT <= 100 - RESERVED_CONNECTIONS
