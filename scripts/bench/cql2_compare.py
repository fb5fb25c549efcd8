"""CQL2 filters on the households layer: gridgov's OGC API against tipg's, in one run,
on the same database, machine and query points.

Each workload sends the same CQL2 text filter to both servers, 100 features a page:

* comparison     ``persons >= 3 AND unit_id BETWEEN u AND u + 40`` (a stretch of units)
* spatial        ``S_INTERSECTS(geom, POLYGON(a 300 m box)) AND persons >= 2``
* in + or        ``persons IN (1, 2) AND (unit_id = u OR unit_id = u + 1)``
* sorted         ``S_INTERSECTS(...box...)`` with ``sortby=-persons``

gridgov answers /ogc/collections/households/items (the published layer: households
with their unit head, no names or rooms); tipg /collections/public.household/items
(the table itself). gridgov's geometry queryable is ``geometry``, tipg's is the
column, ``geom``. Both count numberMatched on each first page, as they do by default.

Goal (issue 19): at least 1.0 times tipg's requests per second. tipg is in the
``bench`` dependency group: ``uv run --group bench python scripts/bench/cql2_compare.py
--households 100000 [--duration 5] [--concurrency 8]``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from urllib.parse import urlencode

import numpy as np
from benchkit import (
    Point,
    Result,
    api_server,
    bench_key,
    console,
    load_average,
    prepare,
    run_wrk,
)
from lookup import SAMPLE, SEED, sample_points
from rich.table import Table
from sqlalchemy import text
from tipg_compare import tipg_server

from geo_api.db.engine import make_engine

# point and a unit id -> (the filter, extra parameters), given the geometry's name
Workload = Callable[[Point, int, str], tuple[str, dict[str, str]]]
HALF_BOX_M = 150.0


def polygon(lon: float, lat: float, half: float = HALF_BOX_M) -> str:
    """A WKT box about ``2 * half`` metres wide around a point (lon/lat)."""
    dlat = half / 111_320
    dlon = dlat / np.cos(np.radians(lat))
    x1, y1, x2, y2 = lon - dlon, lat - dlat, lon + dlon, lat + dlat
    return f"POLYGON(({x1} {y1},{x2} {y1},{x2} {y2},{x1} {y2},{x1} {y1}))"


WORKLOADS: dict[str, Workload] = {
    "comparison": lambda p, u, g: (f"persons >= 3 AND unit_id BETWEEN {u} AND {u + 40}", {}),
    "spatial": lambda p, u, g: (f"S_INTERSECTS({g}, {polygon(*p)}) AND persons >= 2", {}),
    "in + or": lambda p, u, g: (
        f"persons IN (1, 2) AND (unit_id = {u} OR unit_id = {u + 1})",
        {},
    ),
    "sorted": lambda p, u, g: (f"S_INTERSECTS({g}, {polygon(*p)})", {"sortby": "-persons"}),
}
OK = (200,)


def paths(
    base: str, workload: Workload, points: list[Point], units: list[int], geom: str
) -> list[str]:
    """Each point's request: the filter, 100 features, as a path with its query."""
    out = []
    for point, unit in zip(points, units, strict=True):
        cql, extra = workload(point, unit, geom)
        query = {"filter": cql, "filter-lang": "cql2-text", "limit": "100", **extra}
        out.append(f"{base}?{urlencode(query)}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=None)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--only", choices=list(WORKLOADS), help="run one workload")
    args = parser.parse_args()
    url = prepare(args.households)
    engine = make_engine(url)
    points: list[Point] = sample_points(engine, SAMPLE, SEED)
    with engine.connect() as conn:
        low, high, households = conn.execute(
            text("SELECT min(id), max(id), (SELECT count(*) FROM household) FROM unit")
        ).one()
    engine.dispose()
    units = [int(u) for u in np.random.default_rng(SEED).integers(low, high + 1, len(points))]
    key = bench_key(url)
    levels = sorted({1, args.concurrency})
    rows: list[tuple[str, int, Result, Result]] = []
    with api_server(url, 1) as ours, tipg_server(url) as theirs:
        for name, workload in WORKLOADS.items():
            if args.only and name != args.only:
                continue
            for conc in levels:
                console.print(f"{name}, {conc} connection(s) ...")
                results = []
                for label, base, headers, listed in (
                    ("gridgov", ours, {"X-API-Key": key},
                     paths("/ogc/collections/households/items", workload, points, units,
                           "geometry")),
                    ("tipg", theirs, {},
                     paths("/collections/public.household/items", workload, points, units,
                           "geom")),
                ):  # fmt: skip
                    run_wrk(label, base, listed, conc, 1, headers, OK)  # warm-up
                    results.append(run_wrk(label, base, listed, conc, args.duration, headers, OK))
                rows.append((name, conc, results[0], results[1]))
    table = Table(
        title=f"CQL2 filters on households: gridgov against tipg ({households:,} households, "
        f"{len(points):,} points, {os.cpu_count()} cores, load {load_average()})"
    )
    for column in ("workload", "conns", "gridgov req/s", "tipg req/s", "ratio",
                   "gridgov p95 ms", "tipg p95 ms", "errors"):  # fmt: skip
        table.add_column(column, justify="right")
    met = True
    for name, conc, g, t in rows:
        ratio = g.rps / t.rps if t.rps else float("inf")
        table.add_row(name, str(conc), f"{g.rps:,.0f}", f"{t.rps:,.0f}", f"{ratio:.2f}",
                      f"{g.p95:.1f}", f"{t.p95:.1f}", f"{g.errors}/{t.errors}")  # fmt: skip
        met = met and ratio >= 1.0
    console.print(table)
    console.print(f"Goal, at least 1.0 times tipg's requests per second: {'yes' if met else 'NO'}")
    errors = sum(g.errors + t.errors for _, _, g, t in rows)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
