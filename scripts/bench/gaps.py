"""Benchmark the gap finder, in one run on one city.

* all gaps              every gap type, as `gridgov gaps` and /gaps find them
                        (walking distances along the network where the city has one)
* each gap type         the same, one type at a time
* 10-minute reach       the straight-line accessibility gap (homes beyond 500 m of a
                        community station or above), as the finder runs it per unit
* NOT EXISTS ST_DWithin the anchor: PostGIS's plain query for the same homes
* shapely STRtree       the lower bound: the same count from points in memory

Goals: all gaps for the demo city (60,000 households) under 1 s of database and
Python time; for 1,000,000 households the straight-line accessibility gap at no
more than the time of the NOT EXISTS query. Usage:
    uv run python scripts/bench/gaps.py              # the store's city (else the demo)
    uv run python scripts/bench/gaps.py --households 1000000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from rich.table import Table
from sqlalchemy import Connection, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import console, prepare

from geo_api.db.engine import make_engine
from geo_api.gaps.access import CIRCLES, circle_params
from geo_api.gaps.finder import GAP_NAMES, find_gaps
from geo_api.geo.crs import city_epsg
from geo_api.network.walk import STRAIGHT_SQL

REACH = circle_params("beyond_10min_walk", (300, 500, 1000))
# Homes are measured from their unit's door, as the finder does.
NOT_EXISTS = """
SELECT coalesce(sum(homes.n), 0) FROM unit u
JOIN (SELECT unit_id, count(*) AS n FROM household GROUP BY unit_id) homes ON homes.unit_id = u.id
WHERE NOT EXISTS (
    SELECT 1 FROM station s WHERE s.tier = ANY(:tiers)
    AND ST_DWithin(u.geom::geography, s.geom::geography, :reach))
"""
FINDER_STRAIGHT = f"""
SELECT coalesce(sum(households), 0) FROM ({STRAIGHT_SQL}) w
WHERE w.metres IS NULL OR w.metres > :reach
"""


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The median seconds of ``repeat`` runs, and the last result."""
    seconds, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def strtree_count(conn: Connection) -> Callable[[], int]:
    """Homes beyond reach, from points loaded into memory (loading not timed)."""
    homes = gpd.read_postgis(
        text("""SELECT u.geom, count(*) AS n FROM unit u
                JOIN household h ON h.unit_id = u.id GROUP BY u.id"""),
        conn,
        geom_col="geom",
    )
    stations = gpd.read_postgis(
        text("SELECT geom FROM station WHERE tier = ANY(:t)"),
        conn,
        geom_col="geom",
        params={"t": REACH["tiers"]},
    )
    epsg = city_epsg(
        float(homes.total_bounds[[0, 2]].mean()), float(homes.total_bounds[[1, 3]].mean())
    )
    units = homes.to_crs(epsg).geometry.to_numpy()
    sites = stations.to_crs(epsg).geometry.to_numpy()
    weights = homes["n"].to_numpy()

    def count() -> int:
        tree = shapely.STRtree(sites)
        near = tree.query(units, predicate="dwithin", distance=float(REACH["reach"]))
        beyond = np.ones(len(units), dtype=bool)
        beyond[near[0]] = False
        return int(weights[beyond].sum())

    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = prepare(args.households)
    engine = make_engine(url)
    with engine.connect() as conn:
        households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
        edges = conn.execute(text("SELECT count(*) FROM road_edge")).scalar_one()
        console.print(
            f"{households:,} households; network: {edges:,} edges"
            + ("" if edges else " (none: distances are straight lines)")
        )
        find_gaps(conn)  # warm the caches once
        all_s, gaps = timed(lambda: find_gaps(conn), args.repeat)
        per_type = {
            name: timed(lambda n=name: find_gaps(conn, types=[n]), args.repeat)[0]
            for name in GAP_NAMES
        }
        params = {k: REACH[k] for k in ("tiers", "centre_m2", "reach", "limit")}
        anchor_s, anchor_n = timed(
            lambda: conn.execute(text(NOT_EXISTS), params).scalar_one(), args.repeat
        )
        finder_s, finder_n = timed(
            lambda: conn.execute(text(FINDER_STRAIGHT), params).scalar_one(), args.repeat
        )
        tree_s, tree_n = timed(strtree_count(conn), args.repeat)
    engine.dispose()

    table = Table(title=f"gaps, {households:,} households (median of {args.repeat})")
    for column in ("measure", "seconds", "x anchor", "homes beyond 500 m"):
        table.add_column(column, justify="right")
    table.add_row("all gaps", f"{all_s:.3f}", "", f"{len(gaps):,} gaps")  # type: ignore[arg-type]
    for name, seconds in per_type.items():
        kind = " (walk)" if name in CIRCLES and edges else ""
        table.add_row(f"  {name}{kind}", f"{seconds:.3f}", "", "")
    table.add_row("NOT EXISTS ST_DWithin (anchor)", f"{anchor_s:.3f}", "1.00", f"{anchor_n:,}")
    table.add_row(
        "finder, straight 10-minute reach",
        f"{finder_s:.3f}",
        f"{finder_s / anchor_s:.2f}",
        f"{int(finder_n):,}",  # type: ignore[call-overload]
    )
    table.add_row(
        "shapely STRtree (lower bound)", f"{tree_s:.3f}", f"{tree_s / anchor_s:.2f}", f"{tree_n:,}"
    )
    console.print(table)
    goals = Table(title="Goals")
    for column in ("goal", "measured", "met"):
        goals.add_column(column)
    if households <= 100_000:
        goals.add_row("all gaps under 1 s (demo city)", f"{all_s:.3f} s", _met(all_s < 1.0))
    if households >= 1_000_000:
        ratio = finder_s / anchor_s
        goals.add_row(
            "straight reach at most the NOT EXISTS time", f"{ratio:.2f}", _met(ratio <= 1)
        )
    goals.add_row(
        "same homes as the anchor", f"{int(finder_n)} / {anchor_n}", _met(finder_n == anchor_n)
    )  # type: ignore[call-overload]
    console.print(goals)
    return 0


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


if __name__ == "__main__":
    sys.exit(main())
