"""The process pool the engine solved communities on before Dask (until issue 18),
kept as the benchmarks' anchor: forked processes, one a core, biggest community
first."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from geo_api.assign.tasks import Part, Task, part_of, solve_task


def solve_tasks(tasks: list[Task], workers: int) -> Iterator[pd.DataFrame]:
    """Each task's result, as it completes; in this process when ``workers`` is 1."""
    if workers <= 1 or len(tasks) <= 1:
        yield from map(solve_task, tasks)
        return
    ordered = sorted(tasks, key=lambda t: -len(t.homes.id))
    # fork: the workers inherit the loaded libraries instead of importing them again.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(solve_task, ordered, chunksize=1)


def pool_parts(tasks: list[Task], locked: pd.DataFrame, workers: int) -> list[Part]:
    """Every task's part (its diff and counts) from the pool: the same answer a Dask
    worker sends, so that the two are compared on the same work."""
    ordered = sorted(tasks, key=lambda t: -len(t.homes.id))
    mine = [locked[locked["community"] == t.community] for t in ordered]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(part_of, [t.community for t in ordered], ordered, mine))
