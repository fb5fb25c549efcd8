"""What every benchmark shares: a city to measure, threaded load, the API under
uvicorn, and the table. Benchmarks are scripts, never timed tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError

from geo_api.assign.engine import run_assignment
from geo_api.auth.keys import create_key
from geo_api.db import migrate
from geo_api.db.cluster import free_port
from geo_api.db.engine import database_url, make_engine
from geo_api.demo.city import DEMO_HOUSEHOLDS, DEMO_SEED, generate_city
from geo_api.demo.load import load_city

BENCH_DB = "gridgov_bench"
WARMUP = 20  # untimed calls per worker: connections, prepared statements, caches
PROJECT = Path(__file__).resolve().parents[2]
console = Console(width=None if sys.stdout.isatty() else 120)  # wide when piped
Point = tuple[float, float]
Call = Callable[[float, float], bool]  # one request; True when it answered as expected


@dataclass
class Result:
    """One row of the table; latencies in milliseconds."""

    name: str
    concurrency: int
    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    errors: int
    ratio: float | None = None  # req/s over the SQL-direct anchor at the same concurrency

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load_average() -> str:
    """The machine's load average (1, 5, 15 minutes): a benchmark says how busy it ran."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def from_latencies(name: str, conc: int, lat_s: list[float], secs: float, errs: int) -> Result:
    p50, p95, p99 = np.percentile(np.array(lat_s) * 1e3, [50, 95, 99]) if lat_s else (0, 0, 0)
    return Result(name, conc, len(lat_s), secs, float(p50), float(p95), float(p99), errs)


# -- the database ------------------------------------------------------------------------------
def bench_database(url: str, name: str = BENCH_DB) -> str:
    """The URL of database ``name`` (``gridgov_bench``) on the store's server, created
    if missing."""
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": name})
        if found.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def prepare(households: int | None, database: str = BENCH_DB, revision: str = "head") -> str:
    """The URL to benchmark: the store's city, or a fresh one built in ``database``
    (gridgov_bench; a benchmark comparing sizes keeps each in its own), migrated up to
    ``revision`` (a benchmark of a migration starts from the one before it)."""
    url = database_url()
    if households is None:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                found = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
        except ProgrammingError:  # not migrated: no household table yet
            found = 0
        engine.dispose()
        if found:
            return url
        console.print(f"the store has no city: building the demo city of {DEMO_HOUSEHOLDS:,}")
        households = DEMO_HOUSEHOLDS
    url = bench_database(url, database)
    engine = make_engine(url)  # the same steps as `gridgov demo`
    migrate.upgrade(engine, revision)
    with engine.connect() as conn:
        there = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
    if there == households:  # built by an earlier run (same seed): reuse it
        console.print(f"reusing the city of {households:,} households in {database}")
        engine.dispose()
        return url
    console.print(f"generating a city of {households:,} households into {database} ...")
    load_city(engine, generate_city(households, DEMO_SEED))
    with engine.begin() as conn:
        run_assignment(conn)
    engine.dispose()
    return url


# -- Python load: a thread per connection ------------------------------------------------------
Opener = Callable[[ExitStack], Call]  # opens one worker's connection, closed by the stack


def run_threads(name: str, conc: int, secs: float, points: list[Point], opener: Opener) -> Result:
    """``conc`` threads, each with its own connection, calling in a loop for ``secs``."""
    lats: list[list[float]] = [[] for _ in range(conc)]
    errs = [0] * conc
    ready = threading.Barrier(conc + 1)

    def work(k: int) -> None:
        with ExitStack() as stack:
            try:
                call = opener(stack)
                start = k * len(points) // conc  # threads cycle the points from apart
                mine = points[start:] + points[:start]
                for lon, lat in mine[:WARMUP]:
                    call(lon, lat)
            except Exception:
                ready.abort()  # the main thread must not wait for us forever
                raise
            ready.wait()
            end, i, clock = time.perf_counter() + secs, 0, time.perf_counter
            while (t0 := clock()) < end:
                try:
                    ok = call(*mine[i % len(mine)])
                except Exception:
                    ok = False
                lats[k].append(clock() - t0)
                errs[k] += not ok
                i += 1

    threads = [threading.Thread(target=work, args=(k,)) for k in range(conc)]
    for t in threads:
        t.start()
    ready.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    return from_latencies(name, conc, [x for lat in lats for x in lat], took, sum(errs))


# -- HTTP --------------------------------------------------------------------------------------
# wrk (C, one event loop a core) cycles through the paths: a Python client would spend
# more CPU a request than the server it measures, on the same two cores.
WRK_LUA = """
local paths = {PATHS}
local threads = {}
function setup(thread) thread:set("id", #threads); table.insert(threads, thread) end
function init(args) i = (id * 7919) % #paths; bad = 0 end  -- threads start apart
function request() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
function response(status) if not ({OK})[status] then bad = bad + 1 end end
function done(s, latency)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + t:get("bad") end
  local e = s.errors
  io.write(string.format('BENCH {"requests": %d, "seconds": %f, "errors": %d, '
    .. '"p50": %f, "p95": %f, "p99": %f}\\n', s.requests, s.duration / 1e6,
    bad_total + e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3))
end
"""


def run_wrk(
    name: str,
    base: str,
    paths: list[str],
    conc: int,
    secs: float,
    headers: dict[str, str] | None = None,
    ok: tuple[int, ...] = (200, 204, 404),
) -> Result:
    """wrk cycling through ``paths`` (URL-encoded) with ``conc`` connections for ``secs``;
    errors are socket errors and statuses outside ``ok``."""
    listed = ",".join(json.dumps(p) for p in paths)
    accepted = "{" + ",".join(f"[{code}]=true" for code in ok) + "}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as lua:
        lua.write(WRK_LUA.replace("{PATHS}", "{" + listed + "}").replace("{OK}", accepted))
        lua.flush()
        threads = min(conc, os.cpu_count() or 1)
        opts = f"-t {threads} -c {conc} -d {secs:g}s --timeout 10s -s {lua.name} {base}"
        head = [arg for k, v in (headers or {}).items() for arg in ("-H", f"{k}: {v}")]
        args = ["wrk", *head, *opts.split()]
        out = subprocess.run(args, capture_output=True, text=True, check=True)
    raw = json.loads(next(ln for ln in out.stdout.splitlines() if ln.startswith("BENCH "))[6:])
    keys = ("requests", "seconds", "p50", "p95", "p99", "errors")
    return Result(name, conc, *(raw[k] for k in keys))


BENCH_KEY_NAME = "bench"


def bench_key(url: str) -> str:
    """A command-centre key for the benchmarks' HTTP calls (made anew each run; the
    command centre sees personal data masked, so its reads are not audited)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM api_key WHERE name = :n"), {"n": BENCH_KEY_NAME})
        key = create_key(conn, BENCH_KEY_NAME, "command", per_minute=10**9)
    engine.dispose()
    return key


@contextmanager
def uvicorn_server(app: list[str], env: dict[str, str], ready: str, what: str) -> Iterator[str]:
    """uvicorn serving ``app`` (its arguments) on a free port of 127.0.0.1, with ``env``;
    yields the base URL once ``ready`` (a path) answers 200."""
    port = free_port()
    opts = f"--host 127.0.0.1 --port {port} --log-level warning --no-access-log"
    cmd = [sys.executable, "-m", "uvicorn", *app, *opts.split()]
    with server_process(cmd, port, env, ready, what) as base:
        yield base


@contextmanager
def server_process(
    cmd: list[str], port: int, env: dict[str, str], ready: str, what: str
) -> Iterator[str]:
    """The server ``cmd`` starts on ``port`` of 127.0.0.1; yields its base URL once
    ``ready`` (a path) answers 200, and stops it after."""
    with tempfile.TemporaryFile() as log:  # a file, not a pipe, so the server never blocks
        proc = subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            # Two workers importing geopandas on a busy 2-core machine took over 2 minutes.
            up, deadline = False, time.monotonic() + 300
            while not up and proc.poll() is None and time.monotonic() < deadline:
                with suppress(httpx.TransportError):
                    up = httpx.get(f"{base}{ready}", timeout=5).status_code == 200
                time.sleep(0.1)
            if not up:  # died, or never ready (e.g. the store is not migrated)
                proc.terminate()
                proc.wait()
                log.seek(0)
                sys.exit(f"{what} did not come up:\n{log.read().decode()[-2000:]}")
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def api_server(url: str, workers: int) -> Iterator[str]:
    """uvicorn serving create_app() against ``url`` on 127.0.0.1; yields its base URL."""
    app = ["geo_api.api.main:create_app", "--factory", "--workers", str(workers)]
    env = {**os.environ, "GEO_API_DATABASE_URL": url}  # create_app() reads the URL from here
    with uvicorn_server(app, env, "/health", "the API") as base:
        yield base


COLUMNS = ("measurement", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "vs anchor")


def report(title: str, anchor_name: str, results: list[Result], meta: dict[str, object]) -> None:
    """Print the table: every row's rate also as a ratio to the anchor's at its concurrency."""
    anchor = {r.concurrency: r.rps for r in results if r.name.startswith(anchor_name)}
    table = Table(title=f"{title}: {meta['city']}, {meta['cores']} cores")
    for col in COLUMNS:
        table.add_column(col, justify="left" if col == "measurement" else "right")
    for r in results:
        r.ratio = r.rps / anchor[r.concurrency] if anchor.get(r.concurrency) else None
        cells = [f"{r.requests:,}", f"{r.rps:,.0f}", *(f"{v:.2f}" for v in (r.p50, r.p95, r.p99))]
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        table.add_row(r.name, *cells, str(r.errors), ratio)
    console.print(table)
    for key, value in meta.items():
        console.print(f"{key}: {value}")
