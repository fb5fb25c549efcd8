"""A mixed load of many clients (issue 20): lookups, households, OGC items (gap
collections included), vector tiles and gaps, all at once, from wrk.

Before issue 20, 200 clients on this mix timed out 356 requests: every /gaps and
every page of the gap collections found the gaps again, for seconds, holding a
worker thread and a connection each. Now the gaps are found once per data
version and served from the store, and expensive routes take a few slots each.

The anchor is /health (no store) at the same number of connections, in the same
run. The goal: 0 errors and 0 timeouts (wrk's 10 s) at 200 connections for 60 s.

    uv run python scripts/bench/mixed_load.py                 # the city in the store
    uv run python scripts/bench/mixed_load.py --households 5000 --connections 50 --duration 10
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from urllib.parse import urlencode

from benchkit import Point, api_server, bench_key, console, prepare
from lookup import SAMPLE, SEED, sample_points
from rich.table import Table
from sqlalchemy import text
from tipg_compare import TILE_Z, box, tile_of

from geo_api.db.engine import make_engine

# Counts timeouts apart from other errors, and statuses by class.
LUA = """
local paths = {PATHS}
local threads = {}
function setup(thread) thread:set("id", #threads); table.insert(threads, thread) end
function init(args) i = (id * 7919) % #paths; bad = 0; busy = 0 end
function request() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
function response(status)
  if status == 503 then busy = busy + 1
  elseif status ~= 200 and status ~= 204 and status ~= 404 then bad = bad + 1 end
end
function done(s, latency)
  local bad_total, busy_total = 0, 0
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad"); busy_total = busy_total + t:get("busy")
  end
  local e = s.errors
  io.write(string.format('BENCH {"requests": %d, "seconds": %f, "status_errors": %d, '
    .. '"busy": %d, "socket_errors": %d, "timeouts": %d, "p50": %f, "p99": %f, "max": %f}\\n',
    s.requests, s.duration / 1e6, bad_total, busy_total, e.connect + e.read + e.write,
    e.timeout, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
"""


def wrk(base: str, paths: list[str], conns: int, secs: float, key: str) -> dict[str, float]:
    """wrk over ``paths`` with ``conns`` connections for ``secs`` seconds."""
    listed = "{" + ",".join(json.dumps(p) for p in paths) + "}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as lua:
        lua.write(LUA.replace("{PATHS}", listed))
        lua.flush()
        threads = min(conns, os.cpu_count() or 1)
        args = ["wrk", "-H", f"X-API-Key: {key}", "-H", "Accept-Encoding: gzip"]
        args += f"-t {threads} -c {conns} -d {secs:g}s --timeout 10s -s {lua.name} {base}".split()
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH "))
    result: dict[str, float] = json.loads(line[6:])
    return result


def mixed_paths(points: list[Point], household_ids: list[int]) -> list[str]:
    """The mix: per point a lookup, a household, OGC items of units and of a gap
    collection, a tile; and /gaps every fifth point (two parameter sets)."""
    out: list[str] = []
    for n, (lon, lat) in enumerate(points):
        x, y = tile_of(lon, lat, TILE_Z)
        out += [
            "/lookup?" + urlencode({"lon": lon, "lat": lat}),
            f"/households/{household_ids[n % len(household_ids)]}",
            "/ogc/collections/units/items?" + urlencode({"bbox": box(lon, lat), "limit": 100}),
            f"/ogc/collections/gap_areas/items?limit=10&offset={n % 50 * 10}",
            f"/tiles/buildings/{TILE_Z}/{x}/{y}.mvt",
        ]
        if n % 5 == 0:
            out.append("/gaps?severity=high" if n % 10 else "/gaps?type=unit_without_head")
    random.Random(SEED).shuffle(out)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=None)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    args = parser.parse_args()
    url = prepare(args.households)
    engine = make_engine(url)
    points = sample_points(engine, SAMPLE, SEED)
    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM household ORDER BY random() LIMIT 500")))
    engine.dispose()
    key = bench_key(url)
    paths = mixed_paths(points, [int(i) for (i,) in ids])
    rows = []
    with api_server(url, args.workers) as base:
        console.print("warming up (the first gaps are found and stored) ...")
        wrk(base, paths, 4, 10, key)
        for name, listed in (("/health (anchor)", ["/health"]), ("mixed load", paths)):
            console.print(f"{name}: {args.connections} connections, {args.duration:g} s ...")
            rows.append((name, wrk(base, listed, args.connections, args.duration, key)))
    table = Table(title=f"mixed load, {args.connections} connections, {os.cpu_count()} cores")
    for column in ("measurement", "requests", "req/s", "p50 ms", "p99 ms", "max ms",
                   "errors", "timeouts", "503 busy", "vs anchor"):  # fmt: skip
        table.add_column(column, justify="right")
    anchor = rows[0][1]["requests"] / rows[0][1]["seconds"]
    for name, r in rows:
        rps = r["requests"] / r["seconds"]
        errors = int(r["status_errors"] + r["socket_errors"])
        table.add_row(name, f"{int(r['requests']):,}", f"{rps:,.0f}", f"{r['p50']:.1f}",
                      f"{r['p99']:.1f}", f"{r['max']:.0f}", str(errors), str(int(r["timeouts"])),
                      str(int(r["busy"])), f"{rps / anchor:.2f}")  # fmt: skip
    console.print(table)
    console.print(f"mix: {len(paths):,} paths over {len(points):,} points; workers: {args.workers}")
    mixed = rows[1][1]
    failed = mixed["status_errors"] + mixed["socket_errors"] + mixed["timeouts"]
    console.print("goal (0 errors, 0 timeouts): " + ("met" if not failed else "NOT met"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
