"""gridgov's API against tipg (a well-kept OGC API server for PostGIS), in one run on
the same database, machine and points.

* point lookup   gridgov /lookup (street to unit, with the heads) against tipg's
                 items of the unit table filtered by CQL2 S_INTERSECTS(geom, POINT)
* OGC items      100 units in a 300 m box: gridgov /ogc/collections/units/items
                 against tipg /collections/public.unit/items, same bbox and limit
* vector tiles   buildings at zoom 15 over the city: gridgov /tiles/buildings
                 against tipg /collections/public.building/tiles/WebMercatorQuad

Goals (issue 6): /lookup at least 3 times tipg's requests per second with a p95 no
worse; OGC items and tiles at least 1.0 times tipg's. tipg is in the ``bench``
dependency group: ``make bench-tipg`` or
``uv run --group bench python scripts/bench/tipg_compare.py [--duration 5]``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

from benchkit import (
    Point,
    Result,
    api_server,
    bench_key,
    console,
    prepare,
    run_wrk,
    uvicorn_server,
)
from lookup import SAMPLE, SEED, sample_points
from rich.table import Table
from sqlalchemy import make_url

from geo_api.db.engine import make_engine

Request = Callable[[float, float], tuple[str, dict[str, str]]]  # point -> (path, params)
TILE_Z = 15


@contextmanager
def tipg_server(url: str) -> Iterator[str]:
    """tipg on a free port of 127.0.0.1, over the public schema of ``url``."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": '["public"]'}
    with uvicorn_server(["tipg.main:app"], env, "/collections", "tipg") as base:
        yield base


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The Web Mercator tile (x, y) holding a point."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def box(lon: float, lat: float, metres: float = 300) -> str:
    """A bbox about ``metres`` wide around a point, in degrees (CRS84)."""
    dlat = metres / 2 / 111_320
    dlon = dlat / math.cos(math.radians(lat))
    return f"{lon - dlon},{lat - dlat},{lon + dlon},{lat + dlat}"


WORKLOADS: dict[str, tuple[Request, Request]] = {
    "point lookup": (
        lambda lon, lat: ("/lookup", {"lon": str(lon), "lat": str(lat)}),
        lambda lon, lat: (
            "/collections/public.unit/items",
            {
                "filter": f"S_INTERSECTS(geom,POINT({lon} {lat}))",
                "filter-lang": "cql2-text",
                "limit": "1",
            },
        ),
    ),
    "OGC items": (
        lambda lon, lat: ("/ogc/collections/units/items", {"bbox": box(lon, lat), "limit": "100"}),
        lambda lon, lat: (
            "/collections/public.unit/items",
            {"bbox": box(lon, lat), "limit": "100"},
        ),
    ),
    "vector tiles": (
        lambda lon, lat: (
            "/tiles/buildings/{}/{}/{}.mvt".format(TILE_Z, *tile_of(lon, lat, TILE_Z)),
            {},
        ),
        lambda lon, lat: (
            "/collections/public.building/tiles/WebMercatorQuad/{}/{}/{}".format(
                TILE_Z, *tile_of(lon, lat, TILE_Z)
            ),
            {},
        ),
    ),
}
GOALS = {
    "point lookup": "/lookup at least 3x tipg's req/s, p95 no worse",
    "OGC items": "OGC items at least 1.0x tipg's",
    "vector tiles": "vector tiles at least 1.0x tipg's",
}
OK = (200, 204, 404)  # 404: gridgov's lookup of a point outside the city


def paths(request: Request, points: list[Point]) -> list[str]:
    """The request for each point, as a path with its query string."""
    out = []
    for lon, lat in points:
        path, params = request(lon, lat)
        out.append(f"{path}?{urlencode(params)}" if params else path)
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
    engine.dispose()
    key = bench_key(url)
    levels = sorted({1, args.concurrency})
    rows: list[tuple[str, int, Result, Result]] = []
    with api_server(url, 1) as ours, tipg_server(url) as theirs:
        for name, (mine, tipg) in WORKLOADS.items():
            if args.only and name != args.only:
                continue
            for conc in levels:
                console.print(f"{name}, {conc} connection(s) ...")
                results = []
                for label, base, headers, request in (
                    ("gridgov", ours, {"X-API-Key": key}, mine),
                    ("tipg", theirs, {}, tipg),
                ):
                    listed = paths(request, points)
                    run_wrk(label, base, listed, conc, 1, headers, OK)  # warm-up
                    results.append(run_wrk(label, base, listed, conc, args.duration, headers, OK))
                rows.append((name, conc, results[0], results[1]))
    table = Table(title=f"gridgov against tipg ({len(points):,} points, {os.cpu_count()} cores)")
    for column in ("workload", "conns", "gridgov req/s", "tipg req/s", "ratio",
                   "gridgov p95 ms", "tipg p95 ms", "errors"):  # fmt: skip
        table.add_column(column, justify="right")
    met: dict[str, bool] = {}
    for name, conc, g, t in rows:
        ratio = g.rps / t.rps if t.rps else float("inf")
        table.add_row(name, str(conc), f"{g.rps:,.0f}", f"{t.rps:,.0f}", f"{ratio:.2f}",
                      f"{g.p95:.1f}", f"{t.p95:.1f}", f"{g.errors}/{t.errors}")  # fmt: skip
        need = 3.0 if name == "point lookup" else 1.0
        ok = ratio >= need and (name != "point lookup" or g.p95 <= t.p95)
        met[name] = met.get(name, True) and ok
    console.print(table)
    goals = Table(title="Goals")
    for column in ("goal", "met"):
        goals.add_column(column)
    for name, goal in GOALS.items():
        if name in met:
            goals.add_row(goal, _yes(met[name]))
    console.print(goals)
    errors = sum(g.errors + t.errors for _, _, g, t in rows)
    return 1 if errors else 0


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


if __name__ == "__main__":
    sys.exit(main())
