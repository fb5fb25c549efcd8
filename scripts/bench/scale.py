"""Scale beyond one machine (issue 18): a province-sized city, and what runs on it.

One section per part of the issue, each printing its own table with its anchor
measured in the same run (``--sections`` picks them; the API's and the store's
are added by their own work):

* ``assign``: assignment, a task per community, on the Dask LocalCluster against
  the process pool the engine had before (``pool.py``), on the same store state,
  in transactions rolled back. Rows:

  - ``process pool (anchor)``: the writer reads the city in one COPY, then forked
    processes, one a core, solve the communities and return their diffs;
  - ``this process``: the same, one community after another (what a run below
    GEO_API_DASK_FROM_HOUSEHOLDS does);
  - ``Dask, cluster started``: a LocalCluster of one worker a core started for
    the run (what ``gridgov assign`` does on a big city), each worker reading
    its community in the writer's snapshot: the next row plus the cluster's
    start and stop, timed on their own;
  - ``Dask, cluster running``: the same on a cluster started beforehand (what a
    named GEO_API_DASK_SCHEDULER gives): the start-up left out;
  - ``engine, end to end``: ``run_assignment`` (the default path at this size):
    read, solve on the cluster, write the diff, cover places, place members.

  Every row must give the same diff. Peak memory: each Dask worker's and each
  pool process's largest resident set (ru_maxrss), and the writer's. Goals: the
  LocalCluster no slower than the pool on one machine; under 4 GB per worker.

* ``lookup``: ``/lookup`` on 1 and 2 workers of ``gridgov serve`` against pgbench
  running the same POINT_SQL, with each row's CPU a request (``lookup_workers.py``).
  Goals: 2 workers at 1.8 times 1; HTTP at 0.7 of pgbench.
* ``store``: gaps, an export of every layer and the store's reads at this size, in
  seconds and seconds per million households (``scale_store.py``, which compares
  several sizes with years of history). Goal: linear.

Run: ``uv run python scripts/bench/scale.py [--households N] [--sections assign lookup store]``
(default 10,000,000, the generator's upper bound; the city is built once into the
gridgov_scale database and reused).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import lookup_workers
import pandas as pd
import scale_store
from benchkit import console, load_average, prepare
from pool import pool_parts
from rich.table import Table
from sqlalchemy import Connection, text

from geo_api.assign.distributed import cluster_parts
from geo_api.assign.engine import IN_PROCESS, run_assignment, take_run_lock
from geo_api.assign.read import build_tasks, read_frames, run_communities
from geo_api.assign.tasks import Part, part_of
from geo_api.batch.cluster import Batch, batch_client
from geo_api.batch.snapshot import export_snapshot
from geo_api.db.engine import make_engine
from geo_api.demo.city import MAX_HOUSEHOLDS

SCALE_DB = "gridgov_scale"
GB = 1024**3


@dataclass
class Row:
    """One way of solving the city: seconds, the diff it gave, peak memory per process."""

    name: str
    seconds: float
    diff: pd.DataFrame
    peak_bytes: list[int]


def worker_peak() -> int:
    """This process's largest resident set so far, in bytes (ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def children_peak() -> int:
    """The largest resident set of any waited-for child of this process, in bytes."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def diff_of(parts: list[Part]) -> pd.DataFrame:
    """The parts' diffs as one frame in household order, to compare rows."""
    pieces = [p.diff for p in parts if len(p.diff)]
    if not pieces:
        return pd.DataFrame()
    frame = pd.concat(pieces, ignore_index=True).sort_values("household_id")
    return frame.reset_index(drop=True).astype({"household_id": "int64", "head_id": "int64"})


def timed(name: str, work: Callable[[], tuple[list[Part], list[int]]]) -> Row:
    """Run ``work`` once; its parts become the row's diff."""
    console.print(f"{name} ...")
    started = time.perf_counter()
    parts, peaks = work()
    return Row(name, time.perf_counter() - started, diff_of(parts), peaks)


def in_writer(conn: Connection, epsg: int, workers: int) -> tuple[list[Part], list[int]]:
    """The writer reads the whole city, then solves on the pool (or here, with 1)."""
    homes, heads, locked = read_frames(conn, None)
    tasks = build_tasks(homes, heads, epsg, "flow")
    if workers > 1:
        return pool_parts(tasks, locked, workers), [children_peak()]
    parts = [part_of(t.community, t, locked[locked["community"] == t.community]) for t in tasks]
    return parts, [worker_peak()]


def on_cluster(
    batch: Batch, conn: Connection, sizes: dict[int, int], epsg: int
) -> tuple[list[Part], list[int]]:
    """Every community read and solved by the cluster's workers, in the writer's snapshot."""
    snapshot = export_snapshot(conn)
    assert snapshot is not None  # nothing written in this transaction
    url = conn.engine.url.render_as_string(hide_password=False)
    parts = cluster_parts(batch, url, snapshot, sizes, epsg, "flow")
    peaks = batch.client.run(worker_peak)  # each worker's peak, by address
    return parts, [int(v) for v in peaks.values()]


def assign_section(url: str) -> None:
    """Assignment: the Dask LocalCluster against the process pool of before."""
    cores = os.cpu_count() or 1
    engine = make_engine(url, pool_size=2)
    rows: list[Row] = []
    with engine.connect() as conn:
        take_run_lock(conn)
        sizes, epsg = run_communities(conn, None)
        households = sum(sizes.values())
        rows.append(timed("process pool (anchor)", lambda: in_writer(conn, epsg, cores)))
        rows.append(timed(IN_PROCESS, lambda: in_writer(conn, epsg, 1)))

        # One LocalCluster: its start-up timed on its own, then a run on it. (A second
        # cluster started in the same process hung under a load of 17.)
        console.print(f"starting a LocalCluster of {cores} workers ...")
        start = time.perf_counter()
        with batch_client(cores) as batch:
            start_up = time.perf_counter() - start
            running = timed(
                f"Dask, cluster running ({cores} workers)",
                lambda: on_cluster(batch, conn, sizes, epsg),
            )
            closing = time.perf_counter()
        start_up += time.perf_counter() - closing  # stopping it is part of the cost
        started = Row(
            f"Dask, cluster started ({cores} workers)",
            start_up + running.seconds,
            running.diff,
            running.peak_bytes,
        )
        rows += [started, running]
        conn.rollback()
    console.print("engine, end to end ...")
    with engine.connect() as conn:
        begun = time.perf_counter()
        report = run_assignment(conn)
        whole = time.perf_counter() - begun
        conn.rollback()
    engine.dispose()
    assign_table(rows, households, len(sizes), cores, start_up, whole, report.solved_on)


def assign_table(
    rows: list[Row],
    households: int,
    communities: int,
    cores: int,
    start_up: float,
    whole: float,
    solved_on: str,
) -> None:
    """Print the rows against the anchor, the goals, and where a cluster starts to pay."""
    anchor = rows[0]
    table = Table(
        title=f"Assignment: {households:,} households, {communities} communities, "
        f"{cores} cores, load {load_average()}"
    )
    for column in ("solved by", "seconds", "vs anchor", "diff rows", "same diff", "peak GB"):
        table.add_column(column, justify="left" if column == "solved by" else "right")
    for row in rows:
        equal = row.diff.equals(anchor.diff)
        peak = max(row.peak_bytes) / GB if row.peak_bytes else 0.0
        table.add_row(
            row.name,
            f"{row.seconds:.2f}",
            f"{row.seconds / anchor.seconds:.2f}",
            f"{len(row.diff):,}",
            "yes" if equal else "NO",
            f"{peak:.2f}",
        )
    table.add_row(
        f"engine, end to end ({solved_on})", f"{whole:.2f}", f"{whole / anchor.seconds:.2f}"
    )
    console.print(table)
    console.print(
        f"LocalCluster start and stop: {start_up:.2f} s; writer's peak {worker_peak() / GB:.2f} GB"
    )
    single = next(r for r in rows if r.name == IN_PROCESS)
    running = rows[3]
    # Per household, this process costs single/N and a running cluster running/N; a
    # cluster started for the run pays its start-up on top. Linear, so a rough guide.
    saved = (single.seconds - running.seconds) / households
    if saved > 0:
        console.print(
            f"a LocalCluster started for the run pays off from about {start_up / saved:,.0f} "
            "households (GEO_API_DASK_FROM_HOUSEHOLDS)"
        )
    started = rows[2]
    peak = max(max(r.peak_bytes) for r in rows[2:4])
    goals = Table(title="Goals")
    for column in ("goal", "measured", "met"):
        goals.add_column(column)
    ratio = started.seconds / anchor.seconds
    goals.add_row(
        "LocalCluster no slower than the pool", f"{ratio:.2f}", "yes" if ratio <= 1 else "NO"
    )
    goals.add_row(
        "peak memory per worker under 4 GB", f"{peak / GB:.2f} GB", "yes" if peak < 4 * GB else "NO"
    )
    same = all(r.diff.equals(anchor.diff) for r in rows)
    goals.add_row("every row the same diff", str(same), "yes" if same else "NO")
    console.print(goals)


def lookup_section(url: str) -> None:
    """/lookup on 1 and 2 workers against pgbench, with CPU a request (lookup_workers.py)."""
    if lookup_workers.run(url, conc=8, secs=10.0):
        console.print("[red]HTTP rows saw errors[/]")


def store_section(url: str) -> None:
    """Gaps, an export and the store's reads at this size, and seconds per million
    households (scale_store.py; its own runs compare several sizes, with history)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
    measured = scale_store.measure(engine, households, years=1, repeat=1)
    engine.dispose()
    rows = [scale_store.Row(households, name, seconds) for name, seconds in measured.items()]
    scale_store.report(rows, {})


SECTIONS: dict[str, Callable[[str], None]] = {
    "assign": assign_section,
    "lookup": lookup_section,
    "store": store_section,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=MAX_HOUSEHOLDS)
    parser.add_argument("--sections", nargs="+", choices=list(SECTIONS), default=list(SECTIONS))
    parser.add_argument(
        "--database",
        default=SCALE_DB,
        help=f"where the city is built and reused (default {SCALE_DB}; gridgov_bench "
        "reuses the other benchmarks' city of the same size)",
    )
    args = parser.parse_args()
    console.print(f"load average {load_average()}")
    started = time.perf_counter()
    # Built apart: the pool's processes and the Dask workers are forked from this one,
    # and a child inherits its parent's peak memory (ru_maxrss) and maps its pages; a
    # process that had just generated 10,000,000 households (9.8 GB) skewed both.
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as apart:
        url = apart.submit(prepare, args.households, args.database).result()
    console.print(f"city ready in {time.perf_counter() - started:.0f} s")
    for name in args.sections:
        SECTIONS[name](url)
    console.print(f"load average {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
