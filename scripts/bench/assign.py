"""Benchmark the assignment engine on one city, in one run.

Rows, all on the same households, heads and machine:

* global flow           one min-cost flow over the whole city, a node per
                        household, proven optimal over every arc: the anchor
                        for quality and for time;
* flow, per community   the engine's unit of work, one community at a time
                        (each split into its grids, which share no arc, and a
                        unit's households with the same previous head as one
                        node);
* flow, N processes     the same tasks on every core, on the process pool the
                        engine used before Dask (scripts/bench/pool.py; the
                        Dask cluster is measured by scale.py);
* greedy, per community the first engine (``--solver greedy``);
* engine, end to end    ``run_assignment`` in a transaction rolled back: read,
                        solve, write the diff, cover places, place members.

Goals (issue 3): per-community total distance within 1% of the global optimum,
with no capacity breach; the demo city end to end under 2 s; 1,000,000
households solved in at most 0.1 of the global solve's time.

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
from pool import solve_tasks
from rich.table import Table
from sqlalchemy import text

from geo_api.assign.engine import run_assignment
from geo_api.assign.flow import solve_graph
from geo_api.assign.read import HEADS_SQL, HOUSEHOLDS_SQL
from geo_api.assign.solver import UNASSIGNED, Heads, Households, Solution
from geo_api.assign.tasks import Task
from geo_api.db.engine import make_engine
from geo_api.geo.crs import city_epsg, to_metres

Solver = Callable[[Households, Heads], Solution]


def load(url: str) -> tuple[Households, Heads, np.ndarray, np.ndarray]:
    """Every household and unit head, with their community, in metres."""
    engine = make_engine(url)
    with engine.connect() as conn:
        homes = pd.read_sql_query(text(HOUSEHOLDS_SQL.format(scope="true")), conn)
        heads = pd.read_sql_query(text(HEADS_SQL.format(scope="true")), conn)
    engine.dispose()
    epsg = city_epsg(float(homes["lon"].mean()), float(homes["lat"].mean()))
    h = Households(
        homes["id"].to_numpy(),
        homes["unit"].to_numpy(),
        homes["building"].to_numpy(),
        homes["compound"].to_numpy(),
        homes["grid"].to_numpy(),
        to_metres(homes["lon"].to_numpy(), homes["lat"].to_numpy(), epsg),
        np.full(len(homes), UNASSIGNED),
    )
    d = Heads(
        heads["id"].to_numpy(),
        heads["unit"].to_numpy(),
        heads["building"].to_numpy(),
        heads["compound"].to_numpy(),
        heads["grid"].to_numpy(),
        heads["capacity"].to_numpy(),
        heads["max_capacity"].to_numpy(),
        to_metres(heads["lon"].to_numpy(), heads["lat"].to_numpy(), epsg),
    )
    return h, d, homes["community"].to_numpy(), heads["community"].to_numpy()


def subset(obj: Households | Heads, rows: np.ndarray) -> Households | Heads:
    """The same dataclass with only ``rows``."""
    return type(obj)(*(getattr(obj, f)[rows] for f in obj.__dataclass_fields__))


def tasks(
    solver: str, homes: Households, heads: Heads, home_c: np.ndarray, head_c: np.ndarray
) -> list[Task]:
    """One task per community, as the engine builds them."""
    return [
        Task(int(c), solver, subset(homes, home_c == c), subset(heads, head_c == c))  # type: ignore[arg-type]
        for c in np.unique(home_c)
    ]


def per_community(work: list[Task], workers: int, homes: Households) -> Solution:
    """Solve the tasks (on ``workers`` processes) and stitch the answers together."""
    frame = pd.concat(list(solve_tasks(work, workers)), ignore_index=True)
    frame = frame.set_index("household_id").reindex(homes.id)
    return Solution(
        frame["head_id"].to_numpy(dtype=np.int64),
        list(frame["reason"]),
        frame["distance_m"].to_numpy(dtype=float),
    )


def breaches(heads: Heads, solution: Solution) -> int:
    """Heads above their hard maximum."""
    ids, load = np.unique(solution.head[solution.head != UNASSIGNED], return_counts=True)
    cap = dict(zip(heads.id.tolist(), heads.max_capacity.tolist(), strict=True))
    return sum(1 for h, n in zip(ids, load, strict=True) if n > cap[int(h)])


def end_to_end(url: str) -> float:
    """Seconds of one engine run on the store, rolled back."""
    engine = make_engine(url)
    with engine.connect() as conn:
        started = time.perf_counter()
        run_assignment(conn, solver="flow")
        seconds = time.perf_counter() - started
        conn.rollback()
    engine.dispose()
    return seconds


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
    url = prepare(args.households)
    homes, heads, home_c, head_c = load(url)
    cores = os.cpu_count() or 1
    flow_tasks = tasks("flow", homes, heads, home_c, head_c)
    greedy_tasks = tasks("greedy", homes, heads, home_c, head_c)
    runs: list[tuple[str, Callable[[], Solution]]] = [
        ("global flow (anchor)", lambda: solve_graph(homes, heads, aggregate=False)),
        ("flow, per community", lambda: per_community(flow_tasks, 1, homes)),
        (f"flow, {cores} processes", lambda: per_community(flow_tasks, cores, homes)),
        ("greedy, per community", lambda: per_community(greedy_tasks, 1, homes)),
    ]
    table = Table(
        title=f"Assignment: {len(homes.id):,} households, {len(heads.id):,} unit "
        f"heads, {len(np.unique(home_c))} communities, {cores} cores"
    )
    for column in (
        "solver",
        "seconds",
        "time vs anchor",
        "assigned",
        "uncovered",
        "over target",
        "over maximum",
        "km walked",
        "km vs anchor",
    ):
        table.add_column(column, justify="left" if column == "solver" else "right")
    anchor: dict[str, float] = {}
    measured: dict[str, tuple[float, float, int]] = {}
    for name, run in runs:
        console.print(f"{name} ...")
        started = time.perf_counter()
        solution = run()
        seconds = time.perf_counter() - started
        q = quality(heads, solution)
        anchor = anchor or {"seconds": seconds, "km": q["km walked"]}
        measured[name] = (seconds, q["km walked"], breaches(heads, solution))
        table.add_row(
            name,
            f"{seconds:.2f}",
            f"{seconds / anchor['seconds']:.2f}",
            f"{q['assigned']:,}",
            f"{q['uncovered']:,}",
            f"{q['over target']:,}",
            f"{measured[name][2]:,}",
            f"{q['km walked']:,.1f}",
            f"{q['km walked'] / anchor['km']:.4f}" if anchor["km"] else "-",
        )
    console.print("engine, end to end ...")
    whole = end_to_end(url)
    table.add_row(
        "engine, end to end", f"{whole:.2f}", f"{whole / anchor['seconds']:.2f}", *[""] * 6
    )
    console.print(table)
    best = min(measured[f"flow, {cores} processes"][0], measured["flow, per community"][0])
    km = measured["flow, per community"][1]
    goals = Table(title="Goals")
    for column in ("goal", "measured", "met"):
        goals.add_column(column)
    rows = [
        (
            "distance within 1% of the global optimum",
            f"{km / anchor['km']:.4f}" if anchor["km"] else "-",
            not anchor["km"] or km <= 1.01 * anchor["km"],
        ),
        (
            "no capacity breach",
            str(measured["flow, per community"][2]),
            measured["flow, per community"][2] == 0,
        ),
    ]
    if len(homes.id) <= 100_000:
        rows.append(("end to end under 2 s (demo city)", f"{whole:.2f} s", whole < 2.0))
    if len(homes.id) >= 1_000_000:
        ratio = best / anchor["seconds"]
        rows.append(("solve at most 0.1 of the global solve", f"{ratio:.3f}", ratio <= 0.1))
    for goal, value, met in rows:
        goals.add_row(goal, value, "yes" if met else "NO")
    console.print(goals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
