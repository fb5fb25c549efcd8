"""Snapshots (issue 15): a year of daily snapshots of the city, its streets and its
30 communities, their size on disk, and the time to answer /stats and /wall.json.

One run, one city (built in its own database, gridgov_bench_stats; the number of
households does not change the number of places, 1 + 5 + 30). A real snapshot is
taken, then copied to each of the 365 days before it (figures drifting a little),
with one SQL statement. Measured in the same run:

* anchor            SELECT 1 on the same connection (a round trip doing no work).
* series (SQL)      geo_api.stats.series.stats for a community over 365 days.
* /stats            over HTTP, the same question, with the app's auth and JSON.
* /wall.json        over HTTP, the wall's figures (stored per data version).
* /health           over HTTP, the anchor of the HTTP rows.

    uv run python scripts/bench/stats.py [--households 5000] [--days 365]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
from benchkit import api_server, bench_key, console, prepare
from rich.table import Table
from sqlalchemy import text

from geo_api.db.engine import make_engine
from geo_api.stats.series import stats, today
from geo_api.stats.snapshot import take_snapshot

REPEATS = 50
COPY_SQL = text("""
INSERT INTO snapshot (taken_at, version, level, code, name, households, covered, heads,
                      heads_over_target, members, stations, gaps_high, gaps_medium, gaps_low,
                      gaps)
SELECT s.taken_at - make_interval(days => d), s.version, s.level, s.code, s.name,
       s.households, greatest(0, s.covered - (d % 17)), s.heads, s.heads_over_target + d % 3,
       s.members, s.stations, s.gaps_high + d % 4, s.gaps_medium + d % 5, s.gaps_low, s.gaps
FROM snapshot s CROSS JOIN generate_series(1, :days) AS d
""")
SIZE_SQL = text("""
SELECT count(*) AS rows, pg_table_size('snapshot') AS table_bytes,
       pg_indexes_size('snapshot') AS index_bytes
FROM snapshot
""")


def median_ms(call: Callable[[], object], repeats: int = REPEATS) -> float:
    """The median of ``repeats`` calls, in milliseconds (after one to warm up)."""
    call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=5_000, help="size of the city")
    parser.add_argument("--days", type=int, default=365, help="days of snapshots")
    args = parser.parse_args()
    url = prepare(args.households, "gridgov_bench_stats")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM snapshot"))
    take_snapshot(engine, force=True)
    with engine.begin() as conn:
        conn.execute(COPY_SQL, {"days": args.days})
        conn.execute(text("ANALYZE snapshot"))
    with engine.connect() as conn:
        size = conn.execute(SIZE_SQL).mappings().one()
        community = conn.execute(
            text("SELECT code FROM snapshot WHERE level = 'community' ORDER BY code LIMIT 1")
        ).scalar_one()
        last = today(conn)
        first = last - timedelta(days=args.days)
        rows = [
            ("anchor: SELECT 1", median_ms(lambda: conn.execute(text("SELECT 1")).scalar_one())),
            (
                f"series: community, {args.days + 1} days",
                median_ms(lambda: stats(conn, "community", community, first, last)),
            ),
        ]
        days = len(stats(conn, "community", community, first, last)["days"])
    key = bench_key(url)
    with (
        api_server(url, workers=1) as base,
        httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=300) as client,
    ):
        query = f"/stats?level=community&code={community}&from={first}&to={last}"
        wall_bytes = len(client.get("/wall.json").content)
        stats_bytes = len(client.get(query).content)
        rows += [
            ("anchor: GET /health", median_ms(lambda: client.get("/health"))),
            (f"GET /stats ({stats_bytes:,} B)", median_ms(lambda: client.get(query))),
            (f"GET /wall.json ({wall_bytes:,} B)", median_ms(lambda: client.get("/wall.json"))),
        ]
    engine.dispose()
    table = Table(title=f"Snapshots: {size['rows']:,} rows, {days} days of one community")
    for column in ("measurement", "median ms", "vs anchor"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    for i, (name, ms) in enumerate(rows):
        anchor = rows[0][1] if i < 2 else rows[2][1]
        table.add_row(name, f"{ms:.2f}", f"{ms / anchor:.1f}")
    console.print(table)
    console.print(
        f"snapshot table {size['table_bytes'] / 1e6:.2f} MB, indexes "
        f"{size['index_bytes'] / 1e6:.2f} MB ({size['rows']:,} rows: 36 places a day for "
        f"{args.days + 1} days); median of {REPEATS} calls each"
    )


if __name__ == "__main__":
    main()
