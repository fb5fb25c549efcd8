"""Benchmark the assignment solvers on one city, in one run.

Rows, all on the same households, heads and machine:

* global flow      one min-cost flow over the whole city: the anchor for quality
                   (the per-community solves must match it) and for time;
* flow, per community   what `gridgov assign --solver flow` solves;
* greedy, per community the first engine (`--solver greedy`).

Solver time only: the store is read once, up front, and nothing is written.
Run: ``uv run python scripts/bench/assign.py [--households N]`` (default: the
city in the store; with N, a city built into the gridgov_bench database).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from benchkit import console, prepare
from rich.table import Table
from sqlalchemy import text

from geo_api.assign.engine import HEADS_SQL, HOUSEHOLDS_SQL
from geo_api.assign.flow import solve_community_flow
from geo_api.assign.solver import UNASSIGNED, Heads, Households, Solution, solve_community
from geo_api.db.engine import make_engine
from geo_api.geo.crs import metric_epsg, to_metres

Solver = Callable[[Households, Heads], Solution]


def load(url: str) -> tuple[Households, Heads, np.ndarray, np.ndarray]:
    """Every household and unit head, with their community, in metres."""
    engine = make_engine(url)
    with engine.connect() as conn:
        homes = pd.read_sql_query(text(HOUSEHOLDS_SQL), conn)
        heads = pd.read_sql_query(text(HEADS_SQL), conn)
    engine.dispose()
    epsg = metric_epsg(float(homes["lon"].mean()))
    h = Households(
        homes["id"].to_numpy(),
        homes["unit"].to_numpy(),
        homes["building"].to_numpy(),
        homes["compound"].to_numpy(),
        to_metres(homes["lon"].to_numpy(), homes["lat"].to_numpy(), epsg),
        np.full(len(homes), UNASSIGNED),
    )
    d = Heads(
        heads["id"].to_numpy(),
        heads["unit"].to_numpy(),
        heads["building"].to_numpy(),
        heads["compound"].to_numpy(),
        heads["capacity"].to_numpy(),
        heads["max_capacity"].to_numpy(),
        to_metres(heads["lon"].to_numpy(), heads["lat"].to_numpy(), epsg),
    )
    return h, d, homes["community"].to_numpy(), heads["community"].to_numpy()


def subset(obj: Households | Heads, rows: np.ndarray) -> Households | Heads:
    """The same dataclass with only ``rows``."""
    return type(obj)(*(getattr(obj, f)[rows] for f in obj.__dataclass_fields__))


def per_community(
    solve: Solver, homes: Households, heads: Heads, home_c: np.ndarray, head_c: np.ndarray
) -> Solution:
    """Solve each community on its own and stitch the answers together."""
    head_of = np.full(len(homes.id), UNASSIGNED, dtype=np.int64)
    distance = np.zeros(len(homes.id))
    reason: list[object] = [None] * len(homes.id)
    for c in np.unique(home_c):
        rows, cols = np.flatnonzero(home_c == c), np.flatnonzero(head_c == c)
        part = solve(subset(homes, rows), subset(heads, cols))  # type: ignore[arg-type]
        head_of[rows], distance[rows] = part.head, part.distance_m
        for k, r in zip(rows, part.reason, strict=True):
            reason[k] = r
    return Solution(head_of, reason, distance)  # type: ignore[arg-type]


def quality(heads: Heads, solution: Solution) -> dict[str, float]:
    """Coverage, load over target and walking metres of a solution."""
    assigned = solution.head != UNASSIGNED
    ids, load = np.unique(solution.head[assigned], return_counts=True)
    target = dict(zip(heads.id.tolist(), heads.capacity.tolist(), strict=True))
    over = sum(max(0, n - target[int(h)]) for h, n in zip(ids, load, strict=True))
    return {
        "assigned": int(assigned.sum()),
        "uncovered": int((~assigned).sum()),
        "over target": int(over),
        "km walked": float(solution.distance_m[assigned].sum() / 1000),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, help="build a city of N in gridgov_bench")
    args = parser.parse_args()
    homes, heads, home_c, head_c = load(prepare(args.households))
    runs: list[tuple[str, Callable[[], Solution]]] = [
        ("global flow (anchor)", lambda: solve_community_flow(homes, heads)),
        (
            "flow, per community",
            lambda: per_community(solve_community_flow, homes, heads, home_c, head_c),
        ),
        (
            "greedy, per community",
            lambda: per_community(solve_community, homes, heads, home_c, head_c),
        ),
    ]
    table = Table(
        title=f"Assignment: {len(homes.id):,} households, {len(heads.id):,} unit "
        f"heads, {len(np.unique(home_c))} communities, {os.cpu_count()} cores"
    )
    for column in (
        "solver",
        "seconds",
        "time vs anchor",
        "assigned",
        "uncovered",
        "over target",
        "km walked",
        "km vs anchor",
    ):
        table.add_column(column, justify="left" if column == "solver" else "right")
    anchor: dict[str, float] = {}
    for name, run in runs:
        console.print(f"{name} ...")
        started = time.perf_counter()
        solution = run()
        seconds = time.perf_counter() - started
        q = quality(heads, solution)
        anchor = anchor or {"seconds": seconds, "km": q["km walked"]}
        table.add_row(
            name,
            f"{seconds:.2f}",
            f"{seconds / anchor['seconds']:.2f}",
            f"{q['assigned']:,}",
            f"{q['uncovered']:,}",
            f"{q['over target']:,}",
            f"{q['km walked']:,.1f}",
            f"{q['km walked'] / anchor['km']:.3f}" if anchor["km"] else "-",
        )
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
