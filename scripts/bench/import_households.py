"""Benchmark importing households from CSV against ogr2ogr, in one run.

Rows, on the same CSV file (every household of the city: compound, building,
unit, room, persons, lon, lat, with Chinese headers) and the same server:

* ogr2ogr (anchor)      what a user would pick instead: ``ogr2ogr -f PostgreSQL``
                        with ``PG_USE_COPY=YES`` of the same file into a table with
                        the same keys (compound, building, unit, room unique) and a
                        GiST index on its points. Rolled back (dropped) afterwards.
* gridgov import        ``import_file(conn, "households", …)`` into an empty
                        household table (the city's households truncated in a
                        transaction that is rolled back afterwards), in a child
                        process that reports its own peak memory (VmHWM): read
                        in chunks, every row checked and placed in its unit,
                        upserted on (unit, room, household number).

Goal (issue 13): at least 0.5 of ogr2ogr's rows per second at 1,000,000 rows,
with every check on, in bounded memory (peak RSS under 1 GB).
Run: ``uv run python scripts/bench/import_households.py [--households N]``
(default: the city in the store; with N, the city of N in gridgov_bench).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from benchkit import console, prepare
from rich.table import Table
from sqlalchemy import text

from geo_api.db.engine import make_engine

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
        ogr_s = _ogr2ogr(engine, path)
        import_s, landed, peak_mb = _import(url, path)
    table = Table(title=f"Importing {rows:,} households from CSV")
    for column in ("method", "seconds", "rows/s", "vs ogr2ogr", "peak RSS MB"):
        table.add_column(column, justify="left" if column == "method" else "right")
    table.add_row("ogr2ogr -f PostgreSQL, COPY (anchor)", f"{ogr_s:.2f}", f"{rows / ogr_s:,.0f}",
                  "1.00", "-")  # fmt: skip
    table.add_row(
        f"gridgov import ({landed:,} landed)",
        f"{import_s:.2f}",
        f"{rows / import_s:,.0f}",
        f"{ogr_s / import_s:.2f}",
        f"{peak_mb:,.0f}",
    )
    console.print(table)
    goal = ogr_s / import_s >= 0.5 and peak_mb < 1024
    console.print(
        f"goal, at least 0.5 of ogr2ogr's rows/s under 1 GB: {'met' if goal else 'NOT met'}"
    )
    engine.dispose()
    return 0


def _ogr2ogr(engine: object, path: Path) -> float:
    """Seconds of ogr2ogr loading the file, with COPY, into a keyed, indexed table."""
    ogr2ogr = shutil.which("ogr2ogr")
    if ogr2ogr is None:
        raise SystemExit("ogr2ogr not found: scripts/install-system.sh --test installs gdal-bin")
    url = engine.url  # type: ignore[attr-defined]
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("DROP TABLE IF EXISTS bench_ogr"))
        conn.execute(
            text(
                "CREATE TABLE bench_ogr (fid serial PRIMARY KEY, 小区 text, 楼栋 text, 单元 text, "
                "门牌号 text, 人数 text, 经度 text, 纬度 text, geom geometry(Point, 4326), "
                "UNIQUE (小区, 楼栋, 单元, 门牌号))"
            )
        )
        conn.execute(text("CREATE INDEX ON bench_ogr USING gist (geom)"))
    pg = (
        f"PG:host={url.host} port={url.port} dbname={url.database} user={url.username} "
        f"password={url.password}"
    )
    env = {**os.environ, "PG_USE_COPY": "YES"}
    started = time.perf_counter()
    subprocess.run(
        [ogr2ogr, "-f", "PostgreSQL", pg, str(path), "-append", "-nln", "bench_ogr",
         "-oo", "X_POSSIBLE_NAMES=经度", "-oo", "Y_POSSIBLE_NAMES=纬度", "-a_srs", "EPSG:4326",
         "-oo", "KEEP_GEOM_COLUMNS=YES", "-gt", "65536"],
        check=True, env=env,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("DROP TABLE bench_ogr"))
    return seconds


CHILD = """
import sys, time
from pathlib import Path
from sqlalchemy import text
from geo_api.db.engine import make_engine
from geo_api.importer.run import import_file
engine = make_engine(sys.argv[1], pool_size=1)
with engine.connect() as conn:
    conn.execute(text("TRUNCATE household CASCADE"))
    started = time.perf_counter()
    report = import_file(conn, "households", Path(sys.argv[2]))
    print(time.perf_counter() - started, report.rows_landed)
    conn.rollback()
# The child's own high-water mark: getrusage's ru_maxrss would not do, Linux keeps it
# across exec, so it would count the parent's memory (the whole file it exported).
status = Path("/proc/self/status").read_text()
print(next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")))
"""


def _import(url: str, path: Path) -> tuple[float, int, float]:
    """Seconds, rows landed and peak RSS (MB) of gridgov's import in a child process,
    into an empty household table (rolled back)."""
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(path)], stdout=subprocess.PIPE, text=True
    ) as child:
        out = child.stdout.read() if child.stdout else ""
    if child.returncode:
        raise SystemExit(f"the import failed (status {child.returncode})")
    seconds, landed, peak_kb = out.split()[-3:]
    return float(seconds), int(landed), int(peak_kb) / 1024


if __name__ == "__main__":
    sys.exit(main())
