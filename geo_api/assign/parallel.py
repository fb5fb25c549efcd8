"""Communities solved independently, on as many processes as there are cores.

A Task is the whole unit of work: one community's households and unit heads as
plain arrays, and the solver's name. It crosses a process boundary by pickling,
needs nothing from the store, and returns a frame of (household, head, reason,
metres): the same shape a worker on another machine would send back.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd

from geo_api.assign.flow import solve_community_flow
from geo_api.assign.solver import Heads, Households, Solution, solve_community

# greedy: the first engine (own unit to the hard maximum, then building, compound,
# grid); flow: the optimal min-cost flow (heads fill to target before anyone goes over).
SOLVERS: dict[str, Callable[[Households, Heads], Solution]] = {
    "greedy": solve_community,
    "flow": solve_community_flow,
}
# Below this many households, starting processes costs more than it saves.
PARALLEL_FROM = 200_000


@dataclass
class Task:
    """One community to solve."""

    community: int
    solver: str
    homes: Households
    heads: Heads


def solve_task(task: Task) -> pd.DataFrame:
    """Solve one community; a row per household, in the task's order."""
    solution = SOLVERS[task.solver](task.homes, task.heads)
    return pd.DataFrame(
        {
            "household_id": task.homes.id,
            "head_id": solution.head,
            "reason": [r.value if r else None for r in solution.reason],
            "distance_m": solution.distance_m.round(2),
        }
    )


def default_workers(households: int) -> int:
    """One process per core for a big city, none (solve in this process) for a small one."""
    return (os.cpu_count() or 1) if households >= PARALLEL_FROM else 1


def solve_tasks(tasks: list[Task], workers: int) -> Iterator[pd.DataFrame]:
    """Each task's result, as it completes; in this process when ``workers`` is 1."""
    if workers <= 1 or len(tasks) <= 1:
        yield from map(solve_task, tasks)
        return
    # Biggest first, so that no large community starts last and runs alone.
    ordered = sorted(tasks, key=lambda t: -len(t.homes.id))
    # fork: the workers inherit the loaded libraries instead of importing them again.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(solve_task, ordered, chunksize=1)
