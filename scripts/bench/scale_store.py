"""Benchmark the store as it grows (issue 18): gaps and exports per million households
at several city sizes, on the store as it is (the audit log partitioned by year,
migration 0025); and whether partitioning households by community would pay.

Each size is built in its own database (gridgov_bench_scale_<N>) and given the
history a store that ran for --years years would hold: each year, every
household's assignment closed once (a closed row per household a year) and an
audit row per household a year (in that year's partition, made as
`gridgov db up` makes them).

The partitions' before and after (0024 against 0025) were measured when 0025 was
new, at 250,000 and 500,000 households (docs/scale.md); today's loader writes a
schema past 0024, so that comparison is no longer run.

Measurements (median of --repeat runs):
* gaps                      find_gaps, every type, as `gridgov gaps` and /gaps
* export                    export_layers to GeoParquet, every layer (gaps included)
* current assignments       the engine's read of every household with its current
                            assignment (HOUSEHOLDS_SQL), counted in the database
* households' history       200 households' unit head at a past moment (/households/{id}?at=)
* audit: newest 100         `gridgov audit` (audit_rows)
* audit: newest 100 of a key with none   `gridgov audit --key` for a key with no rows
* audit: last 7 days        the rows of a week (the officer's day reads a week)
* audit: drop oldest year   retention: DELETE of the oldest year's rows before, DROP of
                            its partition (rolled back)

The anchor of each measurement is its time per million households at the smallest
size; "per M vs anchor" is each row's time per million over it: linear growth keeps
it at 1.00 (the goal: within 20%).

Households by community: copies of the household table with the community's id,
plain (indexed on it) and partitioned BY LIST (community_id), against the real
table (joined to its compound), for one community's households with their current
assignment (an officer's view) and the whole city counted per community. Dropped
afterwards. Usage:
    uv run python scripts/bench/scale_store.py --households 1000000 2000000
    uv run python scripts/bench/scale_store.py --households 1000000 --prepare-only
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table
from sqlalchemy import Connection, Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import bench_database, console, load_average, prepare

from geo_api.assign.read import HOUSEHOLDS_SQL
from geo_api.auth.audit import audit_rows
from geo_api.clock import today
from geo_api.db import migrate
from geo_api.db.engine import database_url, make_engine
from geo_api.db.partitions import ensure_years, year_bound
from geo_api.export.layers import export_layers
from geo_api.gaps.finder import find_gaps

MARK = "bench:history"  # the synthetic rows, found again and replaced on a rerun
HISTORY_SQL = """
INSERT INTO assignment (household_id, head_id, reason, distance_m, valid_from, valid_to,
                        changed_by)
SELECT a.household_id, a.head_id, a.reason, a.distance_m,
       CAST(:start AS timestamptz) + (a.household_id % 180) * interval '1 day',
       CAST(:start AS timestamptz) + (181 + a.household_id % 180) * interval '1 day', :mark
FROM assignment a WHERE a.valid_to IS NULL
"""
AUDIT_SQL = """
INSERT INTO audit_log (at, key_name, role, action, records)
SELECT CAST(:start AS timestamptz)
       + (now() - CAST(:start AS timestamptz)) * (g::float8 / :n), :mark,
       'officer', 'GET /households/' || g, 'household:' || g
FROM generate_series(1, :n) g
"""
CURRENT_SQL = f"""
SELECT count(*), sum(CASE WHEN q.previous >= 0 THEN 1 ELSE 0 END)
FROM ({HOUSEHOLDS_SQL.format(scope="TRUE")}) q
"""
AT_SQL = """
SELECT a.head_id FROM assignment a
WHERE a.household_id = :id AND a.valid_from <= CAST(:at AS timestamptz)
  AND (a.valid_to IS NULL OR a.valid_to > CAST(:at AS timestamptz))
"""
WEEK_SQL = "SELECT count(*) FROM audit_log WHERE at >= now() - interval '7 days'"

# Households by community: the copies, and the two questions asked of each.
COPY_SQL = """
CREATE TABLE {name} {spec} AS
SELECT h.*, c.community_id FROM household h JOIN unit u ON u.id = h.unit_id
JOIN building b ON b.id = u.building_id JOIN compound c ON c.id = b.compound_id
"""
ONE_COMMUNITY = {
    "real table, joined": """
        SELECT count(*), sum(h.persons), count(a.id) FROM household h
        JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
        JOIN compound c ON c.id = b.compound_id
        LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
        WHERE c.community_id = :c AND h.ended_on IS NULL""",
    "copy with community_id": """
        SELECT count(*), sum(h.persons), count(a.id) FROM bench_household_plain h
        LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
        WHERE h.community_id = :c AND h.ended_on IS NULL""",
    "copy partitioned by community": """
        SELECT count(*), sum(h.persons), count(a.id) FROM bench_household_parted h
        LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
        WHERE h.community_id = :c AND h.ended_on IS NULL""",
}
LARGEST_SQL = "SELECT community_id FROM bench_household_plain GROUP BY 1 ORDER BY count(*) DESC"
PER_COMMUNITY = {
    "real table, joined": """
        SELECT c.community_id, count(*) FROM household h JOIN unit u ON u.id = h.unit_id
        JOIN building b ON b.id = u.building_id JOIN compound c ON c.id = b.compound_id
        GROUP BY 1""",
    "copy with community_id": "SELECT community_id, count(*) FROM bench_household_plain GROUP BY 1",
    "copy partitioned by community": (
        "SELECT community_id, count(*) FROM bench_household_parted GROUP BY 1"
    ),
}


@dataclass
class Row:
    """One measurement at one size."""

    households: int
    name: str
    seconds: float


def timed(fn: Callable[[], object], repeat: int) -> float:
    """The median seconds of ``repeat`` runs."""
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


# -- the city and its history ---------------------------------------------------------------
def city(households: int, years: int) -> str:
    """The URL of a city of ``households``, with ``years`` of history."""
    name = f"gridgov_bench_scale_{households}"
    engine = make_engine(bench_database(database_url(), name))
    if migrate.current_revision(engine) not in (None, migrate.head_revision()):
        console.print(f"{name}: built by an older gridgov, built again")
        migrate.downgrade(engine, "base")
    engine.dispose()
    url = prepare(households, name)
    engine = make_engine(url)
    first = today().year - years
    with engine.connect() as conn:
        there = [
            conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE {column} = :m"), {"m": MARK}
            ).scalar_one()
            for table, column in (("assignment", "changed_by"), ("audit_log", "key_name"))
        ]
    if there == [households * years] * 2:  # an earlier run's (a --prepare-only run's)
        console.print(f"reusing its {years} years of history")
        engine.dispose()
        return url
    with engine.begin() as conn:
        ensure_years(conn, since=first)  # the history's years, as a store that ran then has
        conn.execute(text("DELETE FROM assignment WHERE changed_by = :m"), {"m": MARK})
        conn.execute(text("DELETE FROM audit_log WHERE key_name = :m"), {"m": MARK})
        # The check that a household exists is the same for every copied row.
        conn.execute(text("ALTER TABLE assignment DISABLE TRIGGER assignment_household_exists"))
        for year in range(first, first + years):
            conn.execute(text(HISTORY_SQL), {"start": year_bound(year), "mark": MARK})
        conn.execute(text("ALTER TABLE assignment ENABLE TRIGGER assignment_household_exists"))
        conn.execute(
            text(AUDIT_SQL), {"start": year_bound(first), "n": households * years, "mark": MARK}
        )
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE assignment, audit_log")
        )
    engine.dispose()
    return url


# -- the measurements -----------------------------------------------------------------------
def drop_oldest_year(conn: Connection, first: int) -> None:
    """Retention of the audit log's oldest year, rolled back: a DELETE of its rows on
    the plain table, a DROP of its partition on the partitioned one."""
    with conn.begin_nested() as nested:
        parted = conn.execute(
            text("SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = :p)"),
            {"p": f"audit_log_y{first}"},
        ).scalar_one()
        if parted:
            conn.execute(text(f"DROP TABLE audit_log_y{first}"))
        else:
            conn.execute(
                text("DELETE FROM audit_log WHERE at < CAST(:end AS timestamptz)"),
                {"end": year_bound(first + 1)},
            )
        nested.rollback()


def measure(engine: Engine, households: int, years: int, repeat: int) -> dict[str, float]:
    """Every measurement's median seconds on the store at ``engine``."""
    first = today().year - years
    ids = list(range(1, households, max(1, households // 200)))[:200]
    at = f"{first}-09-01 00:00:00+08"  # inside the closed rows of that year of some households
    out: dict[str, float] = {}
    with engine.connect() as conn, tempfile.TemporaryDirectory(prefix="gridgov-scale-") as tmp:
        find_gaps(conn)  # warm the caches once
        steps: dict[str, Callable[[], object]] = {
            "gaps, every type": lambda: find_gaps(conn),
            "export, every layer (GeoParquet)": lambda: export_layers(
                conn, "parquet", Path(tmp) / f"out{time.monotonic_ns()}"
            ),
            "current assignments, whole city": lambda: conn.execute(text(CURRENT_SQL)).one(),
            "200 households' head at a past moment": lambda: [
                conn.execute(text(AT_SQL), {"id": i, "at": at}).all() for i in ids
            ],
            "audit: newest 100": lambda: audit_rows(conn, 100),
            "audit: newest 100 of a key with none": lambda: audit_rows(conn, 100, "nobody"),
            "audit: last 7 days": lambda: conn.execute(text(WEEK_SQL)).scalar_one(),
            "audit: drop the oldest year": lambda: drop_oldest_year(conn, first),
        }
        for name, step in steps.items():
            out[name] = timed(step, repeat)
            console.print(f"  {name}: {out[name]:.3f} s")
        conn.rollback()
    return out


def by_community(engine: Engine, repeat: int) -> dict[str, tuple[float, float]]:
    """Seconds of one community's households (the five largest, summed) and of the
    city counted per community: the real table, a copy with community_id, and a
    copy partitioned by it."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_household_plain, bench_household_parted"))
        conn.execute(text(COPY_SQL.format(name="bench_household_plain", spec="")))
        conn.execute(text("CREATE INDEX ON bench_household_plain (community_id)"))
        conn.execute(text("CREATE INDEX ON bench_household_plain (unit_id)"))
        conn.execute(
            text(
                "CREATE TABLE bench_household_parted (LIKE bench_household_plain) "
                "PARTITION BY LIST (community_id)"
            )
        )
        for (cid,) in conn.execute(text("SELECT id FROM community")).all():
            conn.execute(
                text(
                    f"CREATE TABLE bench_household_parted_{cid} PARTITION OF "
                    f"bench_household_parted FOR VALUES IN ({cid})"
                )
            )
        conn.execute(text("INSERT INTO bench_household_parted SELECT * FROM bench_household_plain"))
        conn.execute(text("CREATE INDEX ON bench_household_parted (unit_id)"))
        conn.execute(text("ANALYZE bench_household_plain, bench_household_parted"))
    out: dict[str, tuple[float, float]] = {}
    with engine.connect() as conn:
        largest = conn.execute(text(LARGEST_SQL)).scalars().all()[:5]
        for name, sql in ONE_COMMUNITY.items():
            one = timed(
                lambda s=sql: [conn.execute(text(s), {"c": c}).one() for c in largest], repeat
            )
            whole = timed(lambda n=name: conn.execute(text(PER_COMMUNITY[n])).all(), repeat)
            out[name] = (one, whole)
            console.print(f"  {name}: five communities {one:.3f} s, per community {whole:.3f} s")
        conn.rollback()
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE bench_household_plain, bench_household_parted"))
    return out


# -- the run --------------------------------------------------------------------------------
def report(rows: list[Row], parts: dict[int, dict[str, tuple[float, float]]]) -> None:
    """The tables: each measurement per size, with time per million against the anchor."""
    smallest = min(r.households for r in rows)
    anchor = {r.name: r.seconds / (smallest / 1e6) for r in rows if r.households == smallest}
    table = Table(title="the store as it grows: seconds, and seconds per million households")
    for column in ("households", "measurement", "s", "s/M", "per M vs anchor"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    for r in rows:
        per_million = r.seconds / (r.households / 1e6)
        base = anchor.get(r.name)
        vs = f"{per_million / base:.2f}" if base else ""
        table.add_row(f"{r.households:,}", r.name, f"{r.seconds:.3f}", f"{per_million:.3f}", vs)
    console.print(table)
    if not parts:
        return
    split = Table(title="households by community: seconds (five largest communities; whole city)")
    for column in ("households", "table", "five communities", "per community, whole city"):
        split.add_column(column, justify="left" if column == "table" else "right")
    for n, found in parts.items():
        for name, (one, whole) in found.items():
            split.add_row(f"{n:,}", name, f"{one:.3f}", f"{whole:.3f}")
    console.print(split)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, nargs="+", default=[1_000_000, 2_000_000])
    parser.add_argument("--years", type=int, default=2, help="years of history (default 2)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--prepare-only", action="store_true", help="build the cities, no timing")
    parser.add_argument(
        "--no-split", action="store_true", help="skip the households-by-community copies"
    )
    args = parser.parse_args()
    rows: list[Row] = []
    parts: dict[int, dict[str, tuple[float, float]]] = {}
    for households in sorted(set(args.households)):
        console.print(f"{households:,} households: building (load average {load_average()})")
        url = city(households, args.years)
        if args.prepare_only:
            continue
        engine = make_engine(url)
        console.print(f"{households:,} households: measuring (load average {load_average()})")
        measured = measure(engine, households, args.years, args.repeat)
        if not args.no_split:
            parts[households] = by_community(engine, args.repeat)
        engine.dispose()
        rows += [Row(households, name, seconds) for name, seconds in measured.items()]
        console.print(f"{households:,} households: done (load average {load_average()})")
    if rows:
        report(rows, parts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
