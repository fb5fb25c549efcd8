"""The first assignment engine for one community: plain Python over arrays.

A household goes to a unit head of its own unit (up to the head's hard
maximum), else to the nearest head of the same building with spare capacity
(below target), else to the nearest such head of the same compound. Nothing
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
    xy: np.ndarray


@dataclass
class Heads:
    """The unit heads of one community, as parallel arrays (xy of their home)."""

    id: np.ndarray
    unit: np.ndarray
    building: np.ndarray
    compound: np.ndarray
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
        level: defaultdict(list) for level in ("unit", "building", "compound")
    }
    for j in np.argsort(heads.id, kind="stable"):
        heads_in["unit"][int(heads.unit[j])].append(int(j))
        heads_in["building"][int(heads.building[j])].append(int(j))
        heads_in["compound"][int(heads.compound[j])].append(int(j))

    order = np.argsort(homes.id, kind="stable")
    # 1. Own unit: share the stairwell among its heads, least loaded first.
    for i in order:
        own = heads_in["unit"].get(int(homes.unit[i]), [])
        open_heads = [j for j in own if load[j] < heads.max_capacity[j]]
        if open_heads:
            j = min(open_heads, key=lambda k: (load[k], heads.id[k]))
            _take(i, j, AssignReason.own_unit, homes, heads, head_of, reason, distance, load)

    # 2-3. Spill-over: the nearest head with room below target, building then compound.
    for level, why, keys in (
        ("building", AssignReason.same_building, homes.building),
        ("compound", AssignReason.same_compound, homes.compound),
    ):
        for i in order:
            if head_of[i] != UNASSIGNED:
                continue
            candidates = [
                j for j in heads_in[level].get(int(keys[i]), []) if load[j] < heads.capacity[j]
            ]
            if candidates:
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
