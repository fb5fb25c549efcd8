"""Assignment on a Dask cluster (issue 18): a LocalCluster of two worker processes
gives the same assignment as a run in this process, through a named scheduler and
through the LocalCluster a run starts itself; a worker killed mid-run costs time,
not correctness; a transaction that wrote first is solved in its own process.

The tests commit in a database of their own: workers read in the writer's
snapshot, which shows only what was committed.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster
from sqlalchemy import Engine, text

from geo_api.assign.engine import IN_PROCESS, RunReport, run_assignment
from geo_api.assign.manual import move_household
from geo_api.batch import cluster as batch_cluster
from geo_api.batch.cluster import start_method
from geo_api.db import migrate
from geo_api.db.engine import make_engine
from geo_api.demo.city import generate_city
from geo_api.demo.load import load_city
from geo_api.errors import BatchClusterError
from tests.conftest import _recreate_database
from tests.dask_kill import KillOnce

CURRENT = """
SELECT household_id, head_id, reason, round(distance_m::numeric, 2) AS metres, locked
FROM assignment WHERE valid_to IS NULL ORDER BY household_id
"""
COUNTS = ("households", "assigned", "unassigned", "kept", "moved", "added", "dropped")


@pytest.fixture(scope="module")
def batch_url(server_url: str) -> Iterator[str]:
    """A city assigned once, then changed and committed, so that the next run has work:
    a tenth of the unit heads left, two households locked to another head."""
    url = _recreate_database(server_url, "gridgov_batch")
    engine = make_engine(url, pool_size=2)
    migrate.upgrade(engine)
    load_city(engine, generate_city(1_500, 11))
    with engine.begin() as conn:
        run_assignment(conn, workers=1)
        conn.execute(
            text("UPDATE head SET left_on = china_today() WHERE role = 'unit' AND id % 10 = 3")
        )
        pairs = conn.execute(
            text("""
            SELECT DISTINCT ON (a.household_id) a.household_id, other.id
            FROM assignment a
            JOIN household h ON h.id = a.household_id JOIN unit u ON u.id = h.unit_id
            JOIN building b ON b.id = u.building_id
            JOIN active_head other ON other.role = 'unit' AND other.id <> a.head_id
            JOIN unit ou ON ou.id = other.unit_id
            JOIN building ob ON ob.id = ou.building_id AND ob.compound_id = b.compound_id
            WHERE a.valid_to IS NULL ORDER BY a.household_id, other.id LIMIT 2""")
        ).all()
        assert len(pairs) == 2
        for household, head in pairs:
            move_household(conn, household, head, by="test")
    engine.dispose()
    yield url


@pytest.fixture(scope="module")
def batch_engine(batch_url: str) -> Iterator[Engine]:
    engine = make_engine(batch_url, pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def cluster(batch_url: str) -> Iterator[LocalCluster]:
    """Two worker processes with little memory, as a scheduler on other machines would
    have them: they know the store's URL from their own environment."""
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit="1GiB",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        host="127.0.0.1",
        env={"GEO_API_DATABASE_URL": batch_url},
    ) as local:
        yield local


@pytest.fixture
def named(cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch) -> str:
    """GEO_API_DASK_SCHEDULER names the cluster, and every run goes to it."""
    address = str(cluster.scheduler_address)
    monkeypatch.setenv("GEO_API_DASK_SCHEDULER", address)
    monkeypatch.setenv("GEO_API_DASK_FROM_HOUSEHOLDS", "0")
    return address


def run(engine: Engine, **options: Any) -> tuple[RunReport, list[tuple[Any, ...]]]:
    """A run and the assignment it leaves, rolled back."""
    with engine.connect() as conn:
        report = run_assignment(conn, **options)
        rows = [tuple(r) for r in conn.execute(text(CURRENT))]
        twice = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT household_id FROM assignment "
                "WHERE valid_to IS NULL GROUP BY household_id HAVING count(*) > 1) d"
            )
        ).scalar_one()
        written = conn.execute(
            text("SELECT count(*) FROM assignment WHERE run_id = :r"), {"r": report.run_id}
        ).scalar_one()
        conn.rollback()
    assert twice == 0, f"{twice} households with two current assignments"
    assert written == report.moved + report.added, "each new assignment written once"
    return report, rows


@pytest.fixture(scope="module")
def in_process(batch_engine: Engine) -> tuple[RunReport, list[tuple[Any, ...]]]:
    """The run in this process: what every cluster run must equal."""
    report, rows = run(batch_engine, workers=1)
    assert report.solved_on == IN_PROCESS
    # The run has work to do, of every kind the diff carries.
    assert report.moved > 0 and report.kept > 0 and report.by_reason.get("manual", 0) == 2
    return report, rows


def same(a: RunReport, b: RunReport) -> None:
    assert {k: getattr(a, k) for k in COUNTS} == {k: getattr(b, k) for k in COUNTS}
    assert a.by_reason == b.by_reason


def test_the_named_scheduler_gives_the_in_process_assignment(
    batch_engine: Engine, named: str, in_process: tuple[RunReport, list[tuple[Any, ...]]]
) -> None:
    report, rows = run(batch_engine)
    assert report.solved_on == named
    same(report, in_process[0])
    assert rows == in_process[1]


def test_a_run_starts_its_own_local_cluster(
    batch_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    in_process: tuple[RunReport, list[tuple[Any, ...]]],
) -> None:
    monkeypatch.delenv("GEO_API_DASK_SCHEDULER", raising=False)
    # Forked, as from the CLI, whatever threads pytest's workers run (the spawned
    # workers are the cluster fixture's): the writer writes its run after they end.
    monkeypatch.setattr(batch_cluster, "start_method", lambda: "fork")
    report, rows = run(batch_engine, workers=2)
    assert report.solved_on == "LocalCluster of 2 workers"
    same(report, in_process[0])
    assert rows == in_process[1]


def test_a_worker_killed_mid_run_changes_nothing(
    batch_engine: Engine,
    cluster: LocalCluster,
    named: str,
    tmp_path: Path,
    in_process: tuple[RunReport, list[tuple[Any, ...]]],
) -> None:
    marker = tmp_path / "kill"
    marker.write_text("the first worker to start a task dies", encoding="utf-8")
    with Client(cluster, set_as_default=False) as client:
        client.register_plugin(KillOnce(marker))
        try:
            report, rows = run(batch_engine)
        finally:
            client.unregister_worker_plugin(KillOnce.name)
    assert not marker.exists(), "no worker was killed"
    assert marker.with_suffix(".killed").read_text(encoding="utf-8")  # the task it held
    same(report, in_process[0])
    assert rows == in_process[1]


def test_a_transaction_that_wrote_first_is_solved_in_its_own_process(
    batch_engine: Engine, named: str
) -> None:
    """Workers read what was committed; a run after a write of its own transaction (a
    roster change) must see that write, so it is solved here."""
    with batch_engine.connect() as conn:
        head = conn.execute(
            text("SELECT head_id FROM assignment WHERE valid_to IS NULL AND NOT locked LIMIT 1")
        ).scalar_one()
        conn.execute(text("UPDATE head SET left_on = china_today() WHERE id = :h"), {"h": head})
        report = run_assignment(conn)
        left = conn.execute(
            text("SELECT count(*) FROM assignment WHERE valid_to IS NULL AND head_id = :h"),
            {"h": head},
        ).scalar_one()
        conn.rollback()
    assert report.solved_on == IN_PROCESS and left == 0


def test_an_unreachable_scheduler_is_named(
    batch_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEO_API_DASK_SCHEDULER", "tcp://127.0.0.1:9")
    monkeypatch.setenv("GEO_API_DASK_FROM_HOUSEHOLDS", "0")
    monkeypatch.setenv("GEO_API_DASK_CONNECT_TIMEOUT_S", "2")
    with batch_engine.connect() as conn, pytest.raises(BatchClusterError, match=r"127\.0\.0\.1:9"):
        run_assignment(conn)


def test_workers_are_forked_only_from_a_process_of_one_thread() -> None:
    """The CLI (one thread) forks its LocalCluster's workers; a process with other
    threads (a server) spawns them, so that no child inherits a lock held elsewhere."""
    forked = subprocess.run(
        [sys.executable, "-c", "from geo_api.assign import engine; "
         "from geo_api.batch.cluster import start_method; print(start_method())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert forked.stdout.strip() == "fork"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert start_method() == "spawn"
    finally:
        stop.set()
        other.join()


def test_small_runs_do_not_load_dask(batch_url: str) -> None:
    """Below GEO_API_DASK_FROM_HOUSEHOLDS nothing of Dask is imported: a small city (and
    every roster change) pays neither its import nor a cluster's start."""
    code = (
        "import sys\n"
        "from geo_api.assign.engine import run_assignment\n"
        "from geo_api.db.engine import make_engine\n"
        f"engine = make_engine({batch_url!r})\n"
        "with engine.connect() as conn:\n"
        "    print(run_assignment(conn).solved_on)\n"
        "    conn.rollback()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.splitlines()[-2:] == [IN_PROCESS, "[]"], done.stderr[-2000:]
