"""Benchmark streamed exports against reading a layer whole, in one run: seconds and
peak memory (RSS) of the exporting process, in GeoPackage and GeoParquet.

Every measurement runs in a fresh child process (this script with --child), which
reports its own peak RSS and the seconds of the export alone, so no measurement
inherits another's memory. The peak is VmHWM of /proc/self/status, the high-water
mark of the child's own address space: getrusage's ru_maxrss survives exec on
Linux, so a child would report at least the size of the benchmark that started
it. Rows, per city size and format:

* idle process                  the child's imports and connection, no export: the
                                floor under every other row
* whole read: households        gpd.read_postgis of the households layer, then
                                pyogrio.write_dataframe or GeoDataFrame.to_parquet:
                                how exports worked before streaming. The anchor
* streamed: households          the same layer through gridgov's stream (server-side
                                cursor, 50,000-row chunks, written batch by batch)
* whole read: every layer       the previous `gridgov export`: each layer read whole
* streamed: every layer         `gridgov export` now (export_layers)

Goals: at 1,000,000 households, the streamed households' peak RSS at most 0.5 of
the whole read's, and its time at most 1.2 times; the streamed peak roughly flat
from 100,000 to 1,000,000 households. The script exits 1 only when a streamed
export writes other counts than the whole read. Usage:
    uv run python scripts/bench/export.py                          # the store's city
    uv run python scripts/bench/export.py --households 100000 1000000
With several sizes the largest city is built in gridgov_bench (shared with the other
benchmarks) and each smaller one in gridgov_bench_<N>.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS = ("gpkg", "parquet")
MODES = {
    "idle": "idle process",
    "whole-households": "whole read: households (anchor)",
    "stream-households": "streamed: households",
    "whole-all": "whole read: every layer",
    "stream-all": "streamed: every layer",
}


# -- in the child ------------------------------------------------------------------------------
def whole_read(conn: Any, name: str) -> Any:
    """A store layer read whole, as exports did before streaming."""
    import geopandas as gpd
    from sqlalchemy import text

    from geo_api.catalogue.layers import LAYER_BY_NAME

    frame = gpd.read_postgis(
        text(LAYER_BY_NAME[name].ordered_sql()), conn, geom_col="geom", crs=4326
    )
    for column in frame.columns:
        if column.endswith("_id") or column == "id":
            frame[column] = frame[column].astype("Int64")
    return frame.rename_geometry("geometry")


def write_whole(frame: Any, name: str, fmt: str, out: Path) -> None:
    """Write a whole frame as exports did before streaming."""
    import pyogrio

    if fmt == "gpkg":
        options = {"VERSION": "1.2"}
        pyogrio.write_dataframe(frame, out, layer=name, driver="GPKG", dataset_options=options)
    else:
        out.mkdir(exist_ok=True)
        frame.to_parquet(out / f"{name}.parquet", index=False)


def child(mode: str, fmt: str, url: str, out: Path) -> dict[str, float]:
    """Run one measurement in this process and say how it went."""
    from geo_api.catalogue.layers import LAYER_BY_NAME, LAYERS
    from geo_api.db.engine import make_engine
    from geo_api.export.batches import store_stream
    from geo_api.export.layers import export_layers, gap_stream, write_stream
    from geo_api.gaps.finder import GAP_LAYERS, find_gaps

    engine = make_engine(url, pool_size=1)
    rows = 0
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        start = time.perf_counter()
        if mode == "whole-households":
            frame = whole_read(conn, "households")
            write_whole(frame, "households", fmt, out)
            rows = len(frame)
        elif mode == "stream-households":
            if fmt != "gpkg":
                out.mkdir(exist_ok=True)
            rows = write_stream(store_stream(conn, LAYER_BY_NAME["households"]), fmt, out)
        elif mode == "whole-all":
            gaps = find_gaps(conn)
            for layer in LAYERS:
                frame = whole_read(conn, layer.name)
                write_whole(frame, layer.name, fmt, out)
                rows += len(frame)
                del frame
            if fmt != "gpkg":
                out.mkdir(exist_ok=True)
            for name in GAP_LAYERS:
                rows += write_stream(gap_stream(name, gaps), fmt, out)
        elif mode == "stream-all":
            rows = sum(export_layers(conn, fmt, out).values())
        seconds = time.perf_counter() - start
    engine.dispose()
    return {"seconds": seconds, "rows": rows, "peak_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (exec), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status: this benchmark needs Linux")


# -- in the parent -----------------------------------------------------------------------------
@dataclass
class Measure:
    """One row of the table."""

    households: int
    mode: str
    fmt: str
    rows: int
    seconds: float
    peak_mb: float


def measure(mode: str, fmt: str, url: str, households: int) -> Measure:
    """Run ``mode`` in a fresh child process; its time and peak RSS."""
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-export-") as folder:
        out = Path(folder) / ("city.gpkg" if fmt == "gpkg" else "city")
        cmd = [sys.executable, __file__, "--child", mode, fmt, str(out)]
        env = {**os.environ, "GRIDGOV_BENCH_URL": url}
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"{mode} {fmt} failed:\n{done.stderr[-3000:]}")
        found = json.loads(done.stdout.strip().splitlines()[-1])
    return Measure(households, mode, fmt, int(found["rows"]), found["seconds"], found["peak_mb"])


def report(results: list[Measure]) -> bool:
    """Print the table and the goals; whether every streamed export wrote as many
    features as its whole read (a benchmark fails on wrong answers, not slow ones)."""
    from benchkit import console
    from rich.table import Table

    anchors = {(r.households, r.fmt): r for r in results if r.mode == "whole-households"}
    table = Table(title="exports: seconds and peak RSS of the exporting process")
    for column in ("households", "measurement", "format", "features", "seconds", "x time",
                   "peak RSS MB", "x RSS"):  # fmt: skip
        table.add_column(column, justify="left" if column == "measurement" else "right")
    for r in results:
        anchor = anchors[(r.households, r.fmt)]
        idle = r.mode == "idle"
        table.add_row(
            f"{r.households:,}",
            MODES[r.mode],
            r.fmt,
            "" if idle else f"{r.rows:,}",
            "" if idle else f"{r.seconds:.2f}",
            "" if idle else f"{r.seconds / anchor.seconds:.2f}",
            f"{r.peak_mb:,.0f}",
            f"{r.peak_mb / anchor.peak_mb:.2f}",
        )
    console.print(table)
    largest = max(r.households for r in results)
    for fmt in FORMATS:
        by_mode = {r.mode: r for r in results if r.households == largest and r.fmt == fmt}
        anchor, stream = by_mode["whole-households"], by_mode["stream-households"]
        memory = stream.peak_mb / anchor.peak_mb
        speed = stream.seconds / anchor.seconds
        ok = memory <= 0.5 and speed <= 1.2
        console.print(
            f"{fmt}, {largest:,} households: streamed peak RSS {memory:.2f} of the whole "
            f"read's (goal at most 0.5), time {speed:.2f} (goal at most 1.2): "
            + ("met" if ok else "NOT met")
        )
    streamed = sorted(
        (r.households, r.fmt, r.peak_mb) for r in results if r.mode == "stream-households"
    )
    for fmt in FORMATS:
        peaks = [f"{n:,}: {mb:,.0f} MB" for n, f, mb in streamed if f == fmt]
        console.print(f"{fmt}, streamed households' peak RSS by city size: {', '.join(peaks)}")
    rows = {(r.households, r.fmt, r.mode): r.rows for r in results}
    wrong = [
        f"{n:,} {fmt} {what}"
        for (n, fmt, mode), count in rows.items()
        for what in ("households", "all")
        if mode == f"stream-{what}" and count != rows[(n, fmt, f"whole-{what}")]
    ]
    for what in wrong:
        console.print(f"[red]{what}: the streamed export wrote other features than the whole read")
    return not wrong


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, nargs="*", default=None)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "FORMAT", "OUT"))
    args = parser.parse_args()
    if args.child:
        mode, fmt, out = args.child
        print(json.dumps(child(mode, fmt, os.environ["GRIDGOV_BENCH_URL"], Path(out))))
        return 0
    # Only the parent loads the bench kit: a child's memory is the export's alone.
    from benchkit import BENCH_DB, console, prepare
    from sqlalchemy import text

    from geo_api.db.engine import make_engine

    sizes = sorted(set(args.households)) if args.households else [None]
    results: list[Measure] = []
    for size in sizes:
        database = BENCH_DB if size is None or size == sizes[-1] else f"{BENCH_DB}_{size}"
        url = prepare(size, database)
        engine = make_engine(url, pool_size=1)
        with engine.connect() as conn:
            households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
        engine.dispose()
        for fmt in FORMATS:
            for mode in MODES:
                found = measure(mode, fmt, url, households)
                console.print(
                    f"{households:,} {fmt} {MODES[mode]}: {found.seconds:.2f} s, "
                    f"{found.peak_mb:,.0f} MB"
                )
                results.append(found)
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
