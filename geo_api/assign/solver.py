"""The first assignment engine for one community: plain Python over arrays.

A household goes to a unit head of its own unit (up to the head's hard
maximum), else to the nearest head of the same building with spare capacity
(below target), else to the nearest such head of the same compound, else of
the same grid. At each
level a household keeps its previous head when it still may, so a re-run
moves nobody and a head leaving moves as few others as possible. Nothing
ever crosses a community: the caller hands over one community at a time, which
is also what lets communities be solved independently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from geo_api.db.models import AssignReason

UNASSIGNED = -1


@dataclass
class Households:
    """The households of one community, as parallel arrays (xy in metres)."""

    id: np.ndarray
    unit: np.ndarray
    building: np.ndarray
    compound: np.ndarray
    grid: np.ndarray
    xy: np.ndarray
    previous: np.ndarray  # the current head of each household, or UNASSIGNED


@dataclass
class Heads:
    """The unit heads of one community, as parallel arrays (xy of their home)."""

    id: np.ndarray
    unit: np.ndarray
    building: np.ndarray
    compound: np.ndarray
    grid: np.ndarray
    capacity: np.ndarray
    max_capacity: np.ndarray
    xy: np.ndarray


@dataclass
class Solution:
    """For each household (in input order): head id or UNASSIGNED, reason, metres."""

    head: np.ndarray
    reason: list[AssignReason | None]
    distance_m: np.ndarray


def solve_community(homes: Households, heads: Heads) -> Solution:
    """Assign one community's households to its unit heads (see the module docstring)."""
    n = len(homes.id)
    head_of = np.full(n, UNASSIGNED, dtype=np.int64)
    reason: list[AssignReason | None] = [None] * n
    distance = np.zeros(n)
    load = np.zeros(len(heads.id), dtype=np.int64)

    heads_in: dict[str, dict[int, list[int]]] = {
        level: defaultdict(list) for level in ("unit", "building", "compound", "grid")
    }
    for j in np.argsort(heads.id, kind="stable"):
        heads_in["unit"][int(heads.unit[j])].append(int(j))
        heads_in["building"][int(heads.building[j])].append(int(j))
        heads_in["compound"][int(heads.compound[j])].append(int(j))
        heads_in["grid"][int(heads.grid[j])].append(int(j))

    order = np.argsort(homes.id, kind="stable")
    column = {int(h): j for j, h in enumerate(heads.id)}
    stages = (
        # Own unit: share the stairwell among its heads up to their hard maximum.
        (AssignReason.own_unit, "unit", homes.unit, heads.max_capacity),
        # Spill-over: the nearest head with room below target: building, compound, grid.
        (AssignReason.same_building, "building", homes.building, heads.capacity),
        (AssignReason.same_compound, "compound", homes.compound, heads.capacity),
        (AssignReason.same_grid, "grid", homes.grid, heads.capacity),
    )
    for why, level, keys, limit in stages:
        # Stability first: a household keeps its previous head where that head is
        # still a candidate at this level with room; only the others choose afresh.
        for i in order:
            j_prev = column.get(int(homes.previous[i]))
            if (
                head_of[i] == UNASSIGNED
                and j_prev is not None
                and j_prev in heads_in[level].get(int(keys[i]), ())
                and load[j_prev] < limit[j_prev]
            ):
                _take(i, j_prev, why, homes, heads, head_of, reason, distance, load)
        for i in order:
            if head_of[i] != UNASSIGNED:
                continue
            candidates = [j for j in heads_in[level].get(int(keys[i]), []) if load[j] < limit[j]]
            if not candidates:
                continue
            if level == "unit":
                j = min(candidates, key=lambda k: (load[k], heads.id[k]))
            else:
                gaps = np.hypot(*(heads.xy[candidates] - homes.xy[i]).T)
                j = candidates[int(np.argmin(gaps))]
            _take(i, j, why, homes, heads, head_of, reason, distance, load)
    return Solution(head_of, reason, distance)


def _take(
    i: int,
    j: int,
    why: AssignReason,
    homes: Households,
    heads: Heads,
    head_of: np.ndarray,
    reason: list[AssignReason | None],
    distance: np.ndarray,
    load: np.ndarray,
) -> None:
    head_of[i] = heads.id[j]
    reason[i] = why
    distance[i] = float(np.hypot(*(heads.xy[j] - homes.xy[i])))
    load[j] += 1
