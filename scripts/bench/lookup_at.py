"""Benchmark /lookup?at= (the boundaries of an old date) against the current /lookup:
the same points, the same database, the same run.

Rows, each at 1 and N threads or connections:

* SQL /lookup (anchor)   POINT_SQL, the current lookup's one statement.
* SQL /lookup?at=old     POINT_AT_SQL with a date in the previous generation: its
                         areas are the tables' unchanged rows plus the kept versions.
* SQL /lookup?at=today   POINT_AT_SQL with today's date (the current generation).
* HTTP /lookup and HTTP /lookup?at=old through uvicorn (httpx keep-alive clients).

Then the goal: the latency (p50 and p95) of ?at=old over the current lookup's, for
SQL and HTTP (issue 19: at most 1.5).

The city needs a past generation. In the benchmark database (``--households N``) one
is made if there is none: the initial generation is moved back to 2025-01-01, and a
redistricting that splits every community with two grids or more (half its grids go
to a new community) is imported through the importer and made current, as
``gridgov import --generation`` and ``gridgov generations activate`` do. A store of
your own is only read: it must already have a past generation.

Run: ``uv run python scripts/bench/lookup_at.py --households 100000``.
Exits 1 if an HTTP request failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from datetime import date
from functools import partial
from pathlib import Path

import geopandas as gpd
import httpx
from benchkit import (
    BENCH_DB,
    Call,
    Result,
    api_server,
    bench_key,
    console,
    load_average,
    plural,
    prepare,
    report,
    run_threads,
)
from lookup import OK, SAMPLE, SEED, sample_points
from rich.table import Table
from sqlalchemy import Connection, Engine, make_url, text

from geo_api.db.engine import make_engine
from geo_api.generations.activate import activate
from geo_api.generations.stage import import_generation
from geo_api.generations.store import current, generations, set_start
from geo_api.lookup.at import POINT_AT_SQL
from geo_api.lookup.point import POINT_SQL

GOAL = 1.5
REDISTRICTING = "bench redistricting"

SPLIT_COMMUNITIES = """
WITH ranked AS (
    SELECT g.code, c.code AS community, c.id AS cid,
           row_number() OVER (PARTITION BY c.id ORDER BY g.code) AS k,
           count(*) OVER (PARTITION BY c.id) AS n,
           dense_rank() OVER (PARTITION BY c.street_id ORDER BY c.code) AS j
    FROM grid g JOIN community c ON c.id = g.community_id
)
SELECT code, community, CASE WHEN n >= 2 AND k > n / 2
       THEN substr(community, 1, 9) || (900 + j)::text END AS moved_to
FROM ranked
"""


def make_past_generation(engine: Engine, folder: Path) -> None:
    """Split every community of two grids or more, as a new generation made current."""
    with engine.begin() as conn:
        set_start(conn, current(conn).id, date(2025, 1, 1))
        rows = conn.execute(text(SPLIT_COMMUNITIES)).all()
        moved = {r.code: r.moved_to for r in rows if r.moved_to}
        grids = gpd.read_postgis(
            text(
                "SELECT g.code, g.name, c.code AS community_code, g.geom FROM grid g "
                "JOIN community c ON c.id = g.community_id ORDER BY g.code"
            ),
            conn,
            geom_col="geom",
        )
        grids["community_code"] = [
            moved.get(c, p) for c, p in grids[["code", "community_code"]].itertuples(index=False)
        ]
        communities = _split_outlines(conn, moved)
        communities.to_file(folder / "communities.geojson")
        grids.to_file(folder / "grids.geojson")
        for layer in ("communities", "grids"):
            import_generation(
                conn, layer, folder / f"{layer}.geojson", REDISTRICTING, accept_overlaps=True
            )
        done = activate(conn, REDISTRICTING, by="bench")
    console.print(
        f"made a past generation: {len(done.diff.areas)} areas changed, "
        f"{len(done.diff.moved('household')):,} households moved community"
    )


def _split_outlines(conn: Connection, moved: dict[str, str]) -> gpd.GeoDataFrame:
    """Each community less its moved grids, and the new ones made of them."""
    return gpd.read_postgis(
        text("""
            WITH m AS (SELECT unnest(CAST(:grids AS text[])) AS grid,
                              unnest(CAST(:targets AS text[])) AS target),
            parts AS (
                SELECT m.target, c.code AS source, c.name,
                       ST_Intersection(c.geom, ST_Union(g.geom)) AS geom
                FROM m JOIN grid g ON g.code = m.grid JOIN community c ON c.id = g.community_id
                GROUP BY m.target, c.code, c.name, c.geom)
            SELECT c.code, c.name, ST_Multi(ST_CollectionExtract(coalesce(
                       ST_Difference(c.geom, p.geom), c.geom), 3)) AS geom
            FROM community c LEFT JOIN parts p ON p.source = c.code
            UNION ALL
            SELECT target, name || '新区', ST_Multi(ST_CollectionExtract(geom, 3)) FROM parts
        """),
        conn,
        params={"grids": list(moved), "targets": list(moved.values())},
        geom_col="geom",
    )


def sql_worker(engine: Engine, day: date | None, stack: ExitStack) -> Call:
    """One statement per call, autocommit: POINT_SQL, or POINT_AT_SQL for ``day``."""
    conn = stack.enter_context(engine.connect()).execution_options(isolation_level="AUTOCOMMIT")
    if day is None:
        return lambda lon, lat: conn.execute(POINT_SQL, {"lon": lon, "lat": lat}).all() is not None
    return lambda lon, lat: (
        conn.execute(POINT_AT_SQL, {"lon": lon, "lat": lat, "day": day}).all() is not None
    )


def http_worker(base: str, key: str, day: date | None, stack: ExitStack) -> Call:
    """GET /lookup (with ``at``) on one keep-alive connection."""
    client = stack.enter_context(
        httpx.Client(base_url=base, timeout=10, headers={"X-API-Key": key})
    )
    extra = {} if day is None else {"at": day.isoformat()}
    return lambda lon, lat: (
        client.get("/lookup", params={"lon": lon, "lat": lat, **extra}).status_code in OK
    )


def goals(results: list[Result], levels: list[int]) -> None:
    """Latency of ?at=old over the current lookup's, per kind and concurrency."""
    by_name = {r.name: r for r in results}
    table = Table(title=f"Goal: /lookup?at= latency at most {GOAL} times /lookup's")
    for col in ("kind", "concurrency", "p50 ratio", "p95 ratio", "met"):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for kind in ("SQL", "HTTP"):
        for conc in levels:
            now = by_name.get(f"{kind} /lookup, {conc}")
            old = by_name.get(f"{kind} /lookup?at=old, {conc}")
            if now is None or old is None:
                continue
            p50, p95 = old.p50 / now.p50, old.p95 / now.p95
            table.add_row(
                kind,
                str(conc),
                f"{p50:.2f}",
                f"{p95:.2f}",
                "yes" if max(p50, p95) <= GOAL else "NO",
            )
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, help=f"build a city of N in {BENCH_DB}")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--concurrency", type=int, default=4, help="threads/connections")
    args = parser.parse_args()

    url = prepare(args.households)
    engine = make_engine(url, pool_size=max(args.concurrency, 2))
    with engine.connect() as conn:
        past = [g for g in generations(conn) if g.valid_to is not None]
    if not past:
        if make_url(url).database != BENCH_DB:
            console.print("[red]the store has no past generation: run with --households N[/]")
            return 1
        with tempfile.TemporaryDirectory() as tmp:
            make_past_generation(engine, Path(tmp))
        with engine.connect() as conn:
            past = [g for g in generations(conn) if g.valid_to is not None]
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    old = past[-1]
    assert old.valid_from is not None
    day = old.valid_from
    with engine.connect() as conn:
        households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
        kept = conn.execute(text("SELECT count(*) FROM area_version")).scalar_one()
    points = sample_points(engine, SAMPLE, SEED)
    levels = sorted({1, args.concurrency})
    today = current_day(engine)

    results: list[Result] = []
    for conc in levels:
        for name, when in (("/lookup", None), ("/lookup?at=old", day), ("/lookup?at=today", today)):
            label = f"SQL {name}, {conc}"
            console.print(f"{label} ({plural(conc, 'thread')}) ...")
            results.append(
                run_threads(label, conc, args.duration, points, partial(sql_worker, engine, when))
            )
    key = bench_key(url)
    with api_server(url, 1) as base:
        for conc in levels:
            for name, when in (("/lookup", None), ("/lookup?at=old", day)):
                label = f"HTTP {name}, {conc}"
                console.print(f"{label} ({plural(conc, 'connection')}) ...")
                opener = partial(http_worker, base, key, when)
                results.append(run_threads(label, conc, args.duration, points, opener))
    engine.dispose()
    meta = {
        "cores": os.cpu_count(),
        "city": f"{households:,} households",
        "database": make_url(url).database,
        "points": f"{len(points):,} (seed {SEED})",
        "old date": f"{day} (generation {old.name!r}, {kept:,} kept area versions)",
        "load average": load_average(),
    }
    report("Point lookup on a date", "SQL /lookup,", results, meta)
    goals(results, levels)
    return 1 if sum(r.errors for r in results if r.name.startswith("HTTP")) else 0


def current_day(engine: Engine) -> date:
    """Today as the current generation sees it (its own start at the latest)."""
    from geo_api.clock import today

    with engine.connect() as conn:
        start = current(conn).valid_from
    return max(today(), start) if start is not None else today()


if __name__ == "__main__":
    sys.exit(main())
