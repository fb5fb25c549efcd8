"""A community's assignment as a unit of work, and its answer as a diff.

A Task is one community's households and unit heads as plain arrays, and the
solver's name: it needs nothing from the store. A Part is what comes back: the
households whose head changed (the only rows the writer touches) and the counts
the run reports. The same two shapes serve a run in the writer's own process
and a run on a Dask cluster (geo_api.assign.distributed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from geo_api.assign.flow import solve_community_flow
from geo_api.assign.solver import UNASSIGNED, Heads, Households, Solution, solve_community

# greedy: the first engine (own unit to the hard maximum, then building, compound,
# grid); flow: the optimal min-cost flow (heads fill to target before anyone goes over).
SOLVERS: dict[str, Callable[[Households, Heads], Solution]] = {
    "greedy": solve_community,
    "flow": solve_community_flow,
}
DIFF_COLUMNS = ["household_id", "head_id", "reason", "distance_m", "previous"]


@dataclass
class Task:
    """One community to solve."""

    community: int
    solver: str
    homes: Households
    heads: Heads


@dataclass
class Part:
    """One community's answer: the households whose head changed (head_id UNASSIGNED
    when they lost theirs), and what the run counts of the rest."""

    community: int
    diff: pd.DataFrame  # DIFF_COLUMNS
    solved: int = 0  # households solved (the locked ones are not)
    assigned: int = 0  # of those, given a head
    locked: int = 0  # households kept with their locked head
    by_reason: Counter[str] = field(default_factory=Counter)  # of the assigned and locked


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


def part_of(community: int, task: Task | None, locked: pd.DataFrame) -> Part:
    """Solve a community's task (None when every household is locked) and keep the
    diff: the households whose head is not the one they had."""
    part = Part(community, pd.DataFrame(columns=DIFF_COLUMNS), locked=len(locked))
    part.by_reason.update(_counts(locked["reason"]))
    if task is None:
        return part
    solved = solve_task(task)
    solved["previous"] = task.homes.previous
    part.diff = solved[solved["head_id"] != solved["previous"]].reset_index(drop=True)
    chosen = solved["reason"][solved["head_id"] != UNASSIGNED]
    part.solved, part.assigned = len(solved), len(chosen)
    part.by_reason.update(_counts(chosen))
    return part


def _counts(reasons: pd.Series) -> dict[str, int]:
    """How many of each reason (a count per value: a community has 30,000 rows)."""
    return {str(r): int(n) for r, n in reasons.value_counts().items()}
