"""Benchmark importing households from CSV against PostgreSQL's own COPY, in one run.

Rows, on the same CSV file (every household of the city: compound, building,
unit, room, persons, lon, lat, with Chinese headers) and the same server:

* COPY, bare table      COPY of the file into a table of text columns: no
                        checks, no keys, no indexes. The anchor.
* COPY, indexed table   COPY of the same households, already placed in their
                        units (unit id, room, persons, point), into a table
                        like ``household`` with its keys and indexes: no checks
                        at all. What landing the rows costs by itself, and so
                        the most any importer could reach.
* gridgov import        ``import_file(conn, "households", …)`` into an empty
                        household table (the city's households truncated in a
                        transaction that is rolled back afterwards): read in
                        chunks, every row checked and placed in its unit,
                        upserted on (unit, room).

Goal (issue 7): at least 0.5 of COPY's rows per second, with validation on.
Run: ``uv run python scripts/bench/import_households.py [--households N]``
(default: the city in the store; with N, the city of N in gridgov_bench).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from benchkit import console, prepare
from rich.table import Table
from sqlalchemy import text

from geo_api.db.engine import make_engine
from geo_api.importer.run import import_file

EXPORT = """
SELECT cp.name AS 小区, b.number AS 楼栋, u.number AS 单元, h.room AS 门牌号,
       h.persons AS 人数, ST_X(h.geom) AS 经度, ST_Y(h.geom) AS 纬度
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id ORDER BY h.id
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, help="the city of N in gridgov_bench")
    args = parser.parse_args()
    url = prepare(args.households)
    engine = make_engine(url, pool_size=2)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "households.csv"
        with engine.connect() as conn:
            frame = pd.read_sql_query(text(EXPORT), conn)
        frame.to_csv(path, index=False)
        rows = len(frame)
        del frame
        console.print(f"{rows:,} households in {path.stat().st_size / 1e6:,.0f} MB of CSV")
        copy_s = _copy(engine, path)
        indexed_s = _copy_indexed(engine)
        import_s, landed = _import(engine, path)
    table = Table(title=f"Importing {rows:,} households from CSV")
    for column in ("method", "seconds", "rows/s", "vs COPY"):
        table.add_column(column, justify="left" if column == "method" else "right")
    table.add_row("COPY, bare table (anchor)", f"{copy_s:.2f}", f"{rows / copy_s:,.0f}", "1.00")
    table.add_row(
        "COPY, indexed table (no checks)",
        f"{indexed_s:.2f}",
        f"{rows / indexed_s:,.0f}",
        f"{copy_s / indexed_s:.2f}",
    )
    table.add_row(
        f"gridgov import ({landed:,} landed)",
        f"{import_s:.2f}",
        f"{rows / import_s:,.0f}",
        f"{copy_s / import_s:.2f}",
    )
    console.print(table)
    goal = copy_s / import_s >= 0.5
    console.print(f"goal, at least 0.5 of COPY's rows/s: {'met' if goal else 'NOT met'}")
    engine.dispose()
    return 0


def _copy(engine: object, path: Path) -> float:
    """Seconds to COPY the file into a bare table of text columns (rolled back)."""
    with engine.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(
            text(
                "CREATE TEMP TABLE bare (compound text, building text, unit text, room text, "
                "persons text, lon text, lat text)"
            )
        )
        raw = conn.connection.driver_connection
        started = time.perf_counter()
        with (
            raw.cursor() as cur,
            cur.copy("COPY bare FROM STDIN (FORMAT csv, HEADER)") as copy,
            path.open("rb") as source,
        ):
            while block := source.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        conn.rollback()
    return seconds


def _copy_indexed(engine: object) -> float:
    """Seconds to COPY the placed households into a copy of the household table with
    its keys and indexes (rolled back)."""
    with engine.connect() as conn:  # type: ignore[attr-defined]
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            buffer = io.BytesIO()
            placed = (
                "COPY (SELECT unit_id, room, persons, address, volunteer, "
                "encode(ST_AsEWKB(geom), 'hex') FROM household) TO STDOUT"
            )
            with cur.copy(placed) as copy:
                for block in copy:
                    buffer.write(block)
            cur.execute(
                "CREATE TEMP TABLE landed (LIKE household INCLUDING DEFAULTS "
                "INCLUDING CONSTRAINTS INCLUDING INDEXES)"
            )
            columns = "unit_id, room, persons, address, volunteer, geom"
            started = time.perf_counter()
            with cur.copy(f"COPY landed ({columns}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
            seconds = time.perf_counter() - started
        conn.rollback()
    return seconds


def _import(engine: object, path: Path) -> tuple[float, int]:
    """Seconds of gridgov's import into an empty household table (rolled back)."""
    with engine.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text("TRUNCATE household CASCADE"))
        started = time.perf_counter()
        report = import_file(conn, "households", path)
        seconds = time.perf_counter() - started
        conn.rollback()
    return seconds, report.rows_landed


if __name__ == "__main__":
    sys.exit(main())
