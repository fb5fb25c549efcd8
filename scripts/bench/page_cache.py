"""The command-centre page, first and repeat requests (issue 14): time and bytes on
the wire.

The page was rebuilt on every request (4 to 9 s on the demo city) and sent as
2.4 MB of HTML. It is now built once per data version and options, stored
gzipped, and sent compressed. The anchor is /health in the same run (the cost of
a request that does no work). Goal: a repeat request under 100 ms and under 1 MB
on the wire.

    uv run python scripts/bench/page_cache.py                # the city in the store
    uv run python scripts/bench/page_cache.py --households 5000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import httpx
from benchkit import api_server, bench_key, console, prepare
from rich.table import Table
from sqlalchemy import text

from geo_api.db.engine import make_engine

PAGE = "/maps/command-centre"
REPEATS = 10


def timed(client: httpx.Client, path: str, gzip: bool) -> tuple[float, int, int]:
    """One request: seconds, bytes on the wire (as sent) and bytes of the page."""
    encoding = "gzip" if gzip else "identity"
    started = time.perf_counter()
    with client.stream("GET", path, headers={"Accept-Encoding": encoding}) as answer:
        wire = sum(len(chunk) for chunk in answer.iter_raw())
    took = time.perf_counter() - started
    answer.raise_for_status()
    page = len(client.get(path, headers={"Accept-Encoding": "identity"}).content)
    return took, wire, page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=None)
    args = parser.parse_args()
    url = prepare(args.households)
    engine = make_engine(url)
    with engine.begin() as conn:  # the first request must build the page
        conn.execute(text("DELETE FROM stored_result WHERE kind = 'map'"))
    engine.dispose()
    key = bench_key(url)
    rows: list[tuple[str, float, int, int]] = []
    with (
        api_server(url, 1) as base,
        httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=300) as client,
    ):
        client.get("/health")
        health = statistics.median(timed(client, "/health", True)[0] for _ in range(REPEATS))
        rows.append(("/health (anchor)", health, 0, 0))
        first = timed(client, PAGE, True)
        rows.append(("page, first request (built)", *first))
        repeats = [timed(client, PAGE, True) for _ in range(REPEATS)]
        rows.append(("page, repeat (median), gzip", statistics.median(r[0] for r in repeats),
                     repeats[0][1], repeats[0][2]))  # fmt: skip
        plain = [timed(client, PAGE, False) for _ in range(3)]
        rows.append(("page, repeat, no compression", statistics.median(r[0] for r in plain),
                     plain[0][1], plain[0][2]))  # fmt: skip
    table = Table(title="command-centre page, first and repeat requests")
    for column in ("request", "ms", "on the wire", "page", "vs anchor"):
        table.add_column(column, justify="right")
    for name, secs, wire, page in rows:
        wire_text = f"{wire / 1024**2:.2f} MB" if wire else "-"
        page_text = f"{page / 1024**2:.2f} MB" if page else "-"
        table.add_row(name, f"{secs * 1e3:.1f}", wire_text, page_text, f"{secs / health:.1f}x")
    console.print(table)
    repeat_s, repeat_wire = rows[2][1], rows[2][2]
    met = repeat_s < 0.1 and repeat_wire < 1024**2
    console.print("goal (repeat under 100 ms and 1 MB): " + ("met" if met else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
