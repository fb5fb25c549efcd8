"""Benchmark `/lookup` on one and on two uvicorn workers against pgbench's POINT_SQL,
in one run on one database (issue 18: the API on several processes).

Rows, all at the same concurrency (``--concurrency``, 8 by default), on the same points:

* pgbench             POINT_SQL from pgbench's C clients: the anchor, what the database
                      does without gridgov.
* HTTP, 1 worker      `gridgov serve --workers 1`, loaded by wrk.
* HTTP, 2 workers     `gridgov serve --workers 2` (the rate budgets shared in the store).

Goals: 2 workers serve 1.8 times 1 worker's requests a second; the HTTP route reaches
0.7 of pgbench's rate. The table also gives the machine's load average before each row:
on a shared machine the rows are comparable only at similar loads.

Run: ``uv run python scripts/bench/lookup_workers.py [--households 100000]
[--duration 10] [--concurrency 8]``. Exits 1 if an HTTP row saw errors.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchkit import (
    Result,
    bench_key,
    console,
    load_average,
    plural,
    prepare,
    report,
    run_wrk,
    server_process,
)
from cputime import children_cpu, postmaster_pid, server_pid, tree_cpu
from lookup import SAMPLE, SEED, lookup_paths, measure_pgbench, sample_points
from rich.table import Table
from sqlalchemy import make_url, text

from geo_api.db.cluster import free_port
from geo_api.db.engine import make_engine

GOAL_WORKERS, GOAL_PGBENCH = 1.8, 0.7


@contextmanager
def gridgov_serve(url: str, workers: int) -> Iterator[tuple[str, int | None]]:
    """`gridgov serve --workers N` against ``url`` on a free port; yields its base URL
    and its process (for its CPU time)."""
    port = free_port()
    gridgov = Path(sys.executable).with_name("gridgov")
    env = {**os.environ, "GEO_API_DATABASE_URL": url}
    args = [str(gridgov), "serve", "--port", str(port), "--workers", str(workers)]
    with server_process(args, port, env, "/health", "gridgov serve") as base:
        yield base, server_pid(port)


class CpuMeter:
    """CPU milliseconds a request of each row, of the server, the database and the load
    generator (wrk, pgbench), from /proc (cputime); empty where a party is not here."""

    def __init__(self, postmaster: int | None) -> None:
        self.postmaster = postmaster
        self.rows: dict[str, tuple[float | None, float | None, float]] = {}

    def _now(self, server: int | None) -> tuple[float | None, float | None, float]:
        db = tree_cpu(self.postmaster) if self.postmaster else None
        return (tree_cpu(server) if server else None), db, children_cpu()

    def start(self, server: int | None = None) -> tuple[float | None, float | None, float]:
        return self._now(server)

    def stop(self, result: Result, began: tuple[float | None, float | None, float],
             server: int | None = None) -> None:  # fmt: skip
        ended = self._now(server)
        per = 1000 / max(result.requests, 1)
        self.rows[result.name] = tuple(  # type: ignore[assignment]
            None if a is None or b is None else (b - a) * per
            for a, b in zip(began, ended, strict=True)
        )

    def report(self) -> None:
        table = Table(title="CPU a request, ms (the cores are shared by all three)")
        for column in ("measurement", "server", "database", "load generator", "all"):
            table.add_column(column, justify="left" if column == "measurement" else "right")
        for name, parts in self.rows.items():
            known = [p for p in parts if p is not None]
            cells = ["-" if p is None else f"{p:.2f}" for p in parts]
            table.add_row(name, *cells, f"{sum(known):.2f}")
        console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, help="build a city of N in gridgov_bench")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per row")
    parser.add_argument("--concurrency", type=int, default=8, help="clients / connections")
    args = parser.parse_args()
    return run(prepare(args.households), args.concurrency, args.duration)


def run(url: str, conc: int, secs: float) -> int:
    """Every row on the city at ``url``, the tables and the goals; 1 if an HTTP row saw
    errors (scale.py runs this on its own city)."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (apt-get install wrk): a Python client would take the cores")
    engine = make_engine(url, pool_size=2)
    with engine.connect() as conn:
        households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
    points = sample_points(engine, SAMPLE, SEED)
    paths, key = lookup_paths(points), bench_key(url)
    loads: dict[str, str] = {}

    console.print(f"pgbench, {plural(conc, 'client')} ...")
    loads["pgbench"] = load_average()
    cpu = CpuMeter(postmaster_pid(engine))
    began = cpu.start()
    results: list[Result] = measure_pgbench(engine, url, points, [conc], secs)
    if results:  # its table's filling is in the database's time: a small share
        cpu.stop(results[0], began)
    engine.dispose()
    for workers in (1, 2):
        name = f"HTTP /lookup, {plural(workers, 'worker')}"
        with gridgov_serve(url, workers) as (base, pid):
            console.print(f"{name}, {plural(conc, 'connection')} ...")
            headers = {"X-API-Key": key}
            run_wrk(name, base, paths, conc, 2, headers)  # warm-up: imports, pools, plans
            loads[name] = load_average()
            began = cpu.start(pid)
            results.append(run_wrk(name, base, paths, conc, secs, headers))
            cpu.stop(results[-1], began, pid)
    for r in results:
        r.concurrency = conc  # one anchor for every row

    meta = {
        "cores": os.cpu_count(),
        "city": f"{households:,} households",
        "database": make_url(url).database,
        "points": f"{len(points):,} (seed {SEED})",
        "load average (1/5/15 min) before each row": "; ".join(
            f"{k}: {v}" for k, v in loads.items()
        ),
    }
    if not any(r.name.startswith("pgbench") for r in results):
        console.print("[yellow]pgbench did not run: no anchor[/]")
        report("/lookup on workers", "HTTP /lookup, 1 worker", results, meta)
    else:
        report("/lookup on workers against pgbench", "pgbench", results, meta)
    cpu.report()
    rate = {r.name: r.rps for r in results}
    one, two = rate.get("HTTP /lookup, 1 worker", 0.0), rate.get("HTTP /lookup, 2 workers", 0.0)
    anchor = next((r.rps for r in results if r.name.startswith("pgbench")), 0.0)
    if one:
        mark = "met" if two / one >= GOAL_WORKERS else "NOT met"
        console.print(f"2 workers / 1 worker: {two / one:.2f} (goal {GOAL_WORKERS}: {mark})")
    if anchor:
        best = max(one, two)
        mark = "met" if best / anchor >= GOAL_PGBENCH else "NOT met"
        console.print(f"best HTTP / pgbench: {best / anchor:.2f} (goal {GOAL_PGBENCH}: {mark})")
    return 1 if sum(r.errors for r in results if r.name.startswith("HTTP")) else 0


if __name__ == "__main__":
    sys.exit(main())
