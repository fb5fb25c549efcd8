"""Benchmark: one head retires, and only their community is solved again.

Rows, on the same city, the same head and the same machine, each in a
transaction rolled back (so every row starts from the same store):

* full run (anchor)     the head's term ends (``reassign_now=False``), then
                        ``run_assignment`` over the whole city: what re-assigning
                        after a roster change cost before issue 16;
* retire, incremental   ``rosters.heads.retire``: the term ends and only the
                        head's community is solved, its assignments and covers
                        alone closed or opened (best of three).

Both rows must report the same churn (households moved, added, dropped): the
incremental run leaves the city as the full run does. Goal (issue 16): under 1 s
in a 1,000,000-household city.

Run: ``uv run python scripts/bench/retire_head.py [--households N]`` (default
1,000,000; a city built into the gridgov_bench_rosters database, reused after).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from benchkit import console, prepare
from rich.table import Table
from sqlalchemy import Connection, Engine, text

from geo_api.assign.engine import RunReport, run_assignment
from geo_api.db.engine import make_engine
from geo_api.rosters import heads

BUSIEST = """
SELECT hd.id, cp.community_id,
       (SELECT count(*) FROM household h JOIN unit u ON u.id = h.unit_id
        JOIN building b ON b.id = u.building_id JOIN compound c2 ON c2.id = b.compound_id
        WHERE c2.community_id = cp.community_id AND h.ended_on IS NULL) AS community_size
FROM active_head hd JOIN unit u ON u.id = hd.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id
WHERE hd.role = 'unit'
ORDER BY (SELECT count(*) FROM assignment a WHERE a.head_id = hd.id AND a.valid_to IS NULL)
         DESC, hd.id
LIMIT 1
"""


def timed(engine: Engine, work: Callable[[Connection], RunReport]) -> tuple[float, RunReport]:
    """Seconds of ``work`` in a transaction that is rolled back after."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            started = time.perf_counter()
            report = work(conn)
            return time.perf_counter() - started, report
        finally:
            transaction.rollback()


def full(head_id: int) -> Callable[[Connection], RunReport]:
    def work(conn: Connection) -> RunReport:
        heads.retire(conn, head_id, by="bench", reason="bench", reassign_now=False)
        return run_assignment(conn)

    return work


def incremental(head_id: int) -> Callable[[Connection], RunReport]:
    def work(conn: Connection) -> RunReport:
        change = heads.retire(conn, head_id, by="bench", reason="bench")
        assert change.run is not None
        return change.run

    return work


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    args = parser.parse_args()
    url = prepare(args.households, database="gridgov_bench_rosters")
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        head_id, community, size = conn.execute(text(BUSIEST)).one()
        total = conn.execute(
            text("SELECT count(*) FROM household WHERE ended_on IS NULL")
        ).scalar_one()
    anchor, whole = timed(engine, full(head_id))
    best, part = min((timed(engine, incremental(head_id)) for _ in range(3)), key=lambda r: r[0])
    table = Table(
        title=f"Head {head_id} retires: {total:,} households, community {community} of {size:,}"
    )
    for column in ("run", "seconds", "vs anchor", "households solved", "moved", "added",
                   "dropped"):  # fmt: skip
        table.add_column(column, justify="right" if column != "run" else "left")
    for name, seconds, report in (
        ("full run (anchor)", anchor, whole),
        ("retire, incremental", best, part),
    ):
        table.add_row(
            name, f"{seconds:.3f}", f"{seconds / anchor:.3f}", f"{report.households:,}",
            f"{report.moved:,}", f"{report.added:,}", f"{report.dropped:,}",
        )  # fmt: skip
    console.print(table)
    same = (whole.moved, whole.added, whole.dropped) == (part.moved, part.added, part.dropped)
    console.print(f"same churn as the full run: {'yes' if same else 'NO'}; goal under 1 s: "
                  f"{'met' if best < 1.0 else 'not met'} ({best:.3f} s)")  # fmt: skip
    engine.dispose()
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
