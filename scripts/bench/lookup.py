"""Benchmark the point lookup: the SQL alone, then the real HTTP API, in one run.

Every row of the table runs on the same database, machine and query points:

* SQL direct       POINT_SQL on N threads, one autocommit connection each: the anchor.
* lookup_point()   the whole function the route calls (POINT_SQL with the heads), in
                   a read-only transaction per call from a pool, as the API does it.
* pgbench          POINT_SQL from C clients (only if pgbench is installed and works).
* HTTP /lookup     uvicorn serving create_app() on 127.0.0.1, loaded by wrk (if
                   installed) or a Python httpx client with keep-alive connections.

Which database: by default the city already in the store (GEO_API_DATABASE_URL or
the embedded cluster), read-only apart from a scratch table ``bench_points`` that
pgbench needs and that is dropped again. With ``--households N``, or when the
store holds no households, the demo city is generated into a separate database
``gridgov_bench`` on the same server (created if missing, migrated, replaced on
every such run), so a user's own city is never overwritten.

Run: ``uv run python scripts/bench/lookup.py [--duration 10] [--concurrency 8]``.
Exits 1 if the HTTP runs saw errors (anything but 200, or 404 for points outside).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack, suppress
from dataclasses import asdict
from functools import partial
from pathlib import Path

import httpx
import numpy as np
from benchkit import (
    BENCH_DB,
    Call,
    Point,
    Result,
    api_server,
    bench_key,
    console,
    from_latencies,
    plural,
    prepare,
    report,
    run_threads,
    run_wrk,
)
from sqlalchemy import Engine, make_url, text

from geo_api.api.deps import read_only
from geo_api.db.engine import make_engine
from geo_api.errors import OutsideCityError
from geo_api.lookup.point import POINT_SQL, lookup_point

SAMPLE, SEED = 2_000, 20_240_601  # query points, and the seed that picks them
OK = {200, 404}  # HTTP statuses that are right answers: 404 for points outside the city


# -- the query points --------------------------------------------------------------------------
# Random candidates kept only where a condition holds, in their original order.
KEEP_SQL = """
SELECT t.x, t.y FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY
  AS t(x, y, n), LATERAL (SELECT ST_SetSRID(ST_MakePoint(t.x, t.y), 4326) AS g) p
WHERE {cond} ORDER BY t.n
"""
IN_STREET = "EXISTS (SELECT 1 FROM street s WHERE ST_Intersects(s.geom, p.g))"
IN_COMPOUND = "EXISTS (SELECT 1 FROM compound c WHERE ST_Intersects(c.geom, p.g))"
BOX_SQL = (
    "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
    "(SELECT ST_Extent(geom) e FROM street) b"
)
HOMES_SQL = "SELECT ST_X(geom), ST_Y(geom) FROM household WHERE id = ANY(:ids) ORDER BY id"


def sample_points(engine: Engine, n: int, seed: int) -> list[Point]:
    """~70% household locations, ~20% in the city outside compounds, ~10% outside the city."""
    rng = np.random.default_rng(seed)
    n_in, n_out = n // 5, n // 10
    with engine.connect() as conn:
        lo, hi = conn.execute(text("SELECT min(id), max(id) FROM household")).one()
        ids = sorted(int(i) + lo for i in rng.choice(hi - lo + 1, n - n_in - n_out, replace=False))
        homes = [tuple(r) for r in conn.execute(text(HOMES_SQL), {"ids": ids})]
        x0, y0, x1, y1 = conn.execute(text(BOX_SQL)).one()

        def keep(cond: str, want: int, pad: float) -> list[Point]:
            # Rejection sampling in the streets' bounding box, padded to reach outside.
            out: list[Point] = []
            while len(out) < want:
                xs = rng.uniform(x0 - pad * (x1 - x0), x1 + pad * (x1 - x0), 4 * want)
                ys = rng.uniform(y0 - pad * (y1 - y0), y1 + pad * (y1 - y0), 4 * want)
                params = {"xs": xs.tolist(), "ys": ys.tolist()}
                out += [tuple(r) for r in conn.execute(text(KEEP_SQL.format(cond=cond)), params)]
            return out[:want]

        inside = keep(f"{IN_STREET} AND NOT {IN_COMPOUND}", n_in, 0.0)
        outside = keep(f"NOT {IN_STREET}", n_out, 0.25)
    points = homes + inside + outside
    return [points[i] for i in rng.permutation(len(points))]


def sql_worker(engine: Engine, stack: ExitStack) -> Call:
    """POINT_SQL alone, each statement its own transaction (as pgbench runs it)."""
    conn = stack.enter_context(engine.connect()).execution_options(isolation_level="AUTOCOMMIT")
    # Any answer is a success: no row is the right answer for a point outside the city.
    return lambda lon, lat: conn.execute(POINT_SQL, {"lon": lon, "lat": lat}).all() is not None


def lookup_worker(engine: Engine, stack: ExitStack) -> Call:
    """The route's work without HTTP: a pooled connection, a read-only transaction."""

    def call(lon: float, lat: float) -> bool:
        with suppress(OutsideCityError), read_only(engine) as conn:  # the API's expected 404
            lookup_point(conn, lon, lat)
        return True

    return call


def http_worker(base: str, key: str, stack: ExitStack) -> Call:
    """GET /lookup on one keep-alive connection; 404 is the answer for points outside."""
    client = stack.enter_context(
        httpx.Client(base_url=base, timeout=10, headers={"X-API-Key": key})
    )
    return lambda lon, lat: client.get("/lookup", params={"lon": lon, "lat": lat}).status_code in OK


# -- pgbench -----------------------------------------------------------------------------------
def run_pgbench(exe: str, url: str, points: int, conc: int, secs: float) -> Result | None:
    """POINT_SQL from pgbench's C clients, the point picked by number from bench_points."""
    u = make_url(url)
    sub = "(SELECT {} FROM bench_points WHERE i = :i)"
    sql = POINT_SQL.text.replace(":lon", sub.format("lon")).replace(":lat", sub.format("lat"))
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "lookup.sql"
        script.write_text(f"\\set i random(1, {points})\n{sql.strip()};\n", encoding="utf-8")
        jobs = min(conc, os.cpu_count() or 1)
        opts = (
            f"-n -M prepared -T {max(1, round(secs))} -c {conc} -j {jobs} -l --log-prefix {tmp}/log"
        )
        cmd = [exe, *opts.split(), "-f", str(script), "-h", u.host or "127.0.0.1"]
        cmd += ["-p", str(u.port or 5432), "-U", u.username or "postgres", u.database or ""]
        env = {**os.environ, "PGPASSWORD": u.password or ""}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            console.print(f"[yellow]pgbench failed, skipped:[/] {proc.stderr.strip()[-400:]}")
            return None
        # One log line per transaction: client, transaction number, latency in µs, ...
        logs = (f.read_text(encoding="utf-8").splitlines() for f in Path(tmp).glob("log.*"))
        lat = [int(line.split()[2]) / 1e6 for lines in logs for line in lines]
    failed = re.search(r"number of failed transactions: (\d+)", proc.stdout)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", proc.stdout)
    took = len(lat) / float(tps.group(1)) if tps else secs  # leave out connecting, as pgbench
    name = f"pgbench, {plural(conc, 'client')}"
    return from_latencies(name, conc, lat, took, int(failed.group(1)) if failed else 0)


def measure_pgbench(
    engine: Engine, url: str, points: list[Point], levels: list[int], secs: float
) -> list[Result]:
    exe = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    if not Path(exe).exists():
        console.print("[yellow]pgbench is not installed: skipped[/]")
        return []
    # pgbench cannot pick random coordinates itself: it draws a number, the table has the point.
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_points"))
        conn.execute(text("CREATE TABLE bench_points (i int PRIMARY KEY, lon float8, lat float8)"))
        rows = [{"i": i + 1, "lon": x, "lat": y} for i, (x, y) in enumerate(points)]
        conn.execute(text("INSERT INTO bench_points VALUES (:i, :lon, :lat)"), rows)
    results = []
    try:
        for conc in levels:
            console.print(f"pgbench, {plural(conc, 'client')} ...")
            if (r := run_pgbench(exe, url, len(points), conc, secs)) is None:
                break
            results.append(r)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_points"))
    return results


def lookup_paths(points: list[Point]) -> list[str]:
    return [f"/lookup?lon={lon!r}&lat={lat!r}" for lon, lat in points]


def measure_http(
    url: str, points: list[Point], levels: list[int], secs: float, workers: int, wrk: bool
) -> list[Result]:
    results = []
    key = bench_key(url)
    with api_server(url, workers) as base:
        for conc in levels:
            console.print(f"HTTP, {plural(conc, 'connection')} ({'wrk' if wrk else 'httpx'}) ...")
            if wrk:
                name = f"HTTP /lookup (wrk), {plural(conc, 'conn')}"
                headers = {"X-API-Key": key}
                paths = lookup_paths(points)
                run_wrk(name, base, paths, conc, 1, headers)  # warm-up: imports, pool, plans
                results.append(run_wrk(name, base, paths, conc, secs, headers))
            else:
                name = f"HTTP /lookup (httpx), {plural(conc, 'conn')}"
                opener = partial(http_worker, base, key)
                results.append(run_threads(name, conc, secs, points, opener))
    return results


# -- the run -----------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, help=f"build a city of N in {BENCH_DB}")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--concurrency", type=int, default=8, help="threads/connections")
    # Above 1, uvicorn's pre-bound socket loses TCP_NODELAY (uvicorn issue #3149): +40 ms.
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    url = prepare(args.households)
    levels, secs = sorted({1, args.concurrency}), args.duration
    engine = make_engine(url, pool_size=max(levels))
    with engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("household", "unit", "compound")
        }
    points = sample_points(engine, SAMPLE, SEED)

    results: list[Result] = []
    for conc in levels:
        for name, worker in (("SQL direct", sql_worker), ("lookup_point()", lookup_worker)):
            console.print(f"{name}, {plural(conc, 'thread')} ...")
            opener = partial(worker, engine)
            results.append(
                run_threads(f"{name}, {plural(conc, 'thread')}", conc, secs, points, opener)
            )
    results += measure_pgbench(engine, url, points, levels, secs)
    use_wrk = shutil.which("wrk") is not None
    results += measure_http(url, points, levels, secs, args.workers, use_wrk)
    engine.dispose()

    meta = {
        "cores": os.cpu_count(),
        "city": ", ".join(f"{n:,} {t}s" for t, n in counts.items()),
        "database": make_url(url).database,
        "points": f"{len(points):,} (seed {SEED})",
        "load generator": "wrk" if use_wrk else "httpx (wrk not installed)",
        "pgbench": "used" if any(r.name.startswith("pgbench") for r in results) else "skipped",
        "uvicorn workers": args.workers,
    }
    report("Point lookup", "SQL direct", results, meta)
    if args.json:
        rows = [{**asdict(r), "rps": r.rps} for r in results]
        args.json.write_text(json.dumps({**meta, "results": rows}, indent=2), encoding="utf-8")
    return 1 if sum(r.errors for r in results if r.name.startswith("HTTP")) else 0


if __name__ == "__main__":
    sys.exit(main())
