"""The assignment's costs, the first arcs, and one min-cost flow (OR-Tools).

The flow's costs are the assignment's rules: whole metres, plus a penalty for
each level left (unit, building, compound, grid), plus KEEP_BONUS unless the
head is the household's previous one; a head's places up to its target are
free, up to its maximum cost OVER_TARGET_COST each; leaving a household out
costs UNCOVERED_COST. proof.py makes the flow optimal over every arc.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree

from geo_api.assign.solver import Heads
from geo_api.db.models import AssignReason

LEVEL_COST = {  # metres' worth of leaving one's own unit, building, compound, grid
    AssignReason.own_unit: 0,
    AssignReason.same_building: 100,
    AssignReason.same_compound: 300,
    AssignReason.same_grid: 600,
}
LEVELS = list(LEVEL_COST)
BEYOND = len(LEVELS)  # another grid: never an arc
OVER_TARGET_COST = 3_000_000  # beyond target only when nobody in the grid has room
KEEP_BONUS = 50  # metres' worth of staying with the previous head
UNCOVERED_COST = 100_000_000
CANDIDATES = 8  # nearest heads of the grid on the first list, beside the own building's


class Agents(Protocol):
    """Households, or groups of them (flow.py), as the flow's supply nodes."""

    unit: np.ndarray
    building: np.ndarray
    compound: np.ndarray
    grid: np.ndarray
    xy: np.ndarray
    previous: np.ndarray


@dataclass
class Flow:
    """An optimal flow: its arcs (agent i to head j), the units on each, and the
    units of each agent left out."""

    i: np.ndarray
    j: np.ndarray
    units: np.ndarray
    left_out: np.ndarray


def levels(agents: Agents, heads: Heads, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """0 own unit, 1 same building, 2 same compound, 3 same grid, 4 beyond."""
    return np.select(
        [
            heads.unit[j] == agents.unit[i],
            heads.building[j] == agents.building[i],
            heads.compound[j] == agents.compound[i],
            heads.grid[j] == agents.grid[i],
        ],
        [0, 1, 2, 3],
        default=BEYOND,
    )


def arc_cost(agents: Agents, heads: Heads, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The rules' cost of one household of agent i going to head j."""
    metres = np.rint(np.hypot(*(heads.xy[j] - agents.xy[i]).T)).astype(np.int64)
    penalty = np.array([LEVEL_COST[r] for r in LEVELS] + [0])[levels(agents, heads, i, j)]
    # Never clipped: keeping the previous head is always strictly cheaper.
    keep = np.where(heads.id[j] == agents.previous[i], 0, KEEP_BONUS)
    return np.asarray(metres + penalty + keep, dtype=np.int64)


def candidates(agents: Agents, heads: Heads) -> tuple[np.ndarray, np.ndarray]:
    """The first list of (agent, head) arcs: the own building's heads, the previous
    head and the CANDIDATES nearest heads of the grid; proof.py adds what it lacks."""
    n = len(agents.grid)
    i_parts: list[np.ndarray] = []
    j_parts: list[np.ndarray] = []
    for g in np.unique(heads.grid):
        hj = np.flatnonzero(heads.grid == g)
        hi = np.flatnonzero(agents.grid == g)
        if len(hi) == 0:
            continue
        k = min(CANDIDATES, len(hj))
        _, near = cKDTree(heads.xy[hj]).query(agents.xy[hi], k=k)
        i_parts.append(np.repeat(hi, k))
        j_parts.append(hj[np.asarray(near).reshape(len(hi), k)].ravel())
    order = np.argsort(heads.building, kind="stable")
    first = np.searchsorted(heads.building[order], agents.building, side="left")
    last = np.searchsorted(heads.building[order], agents.building, side="right")
    counts = last - first
    if counts.sum():
        i_parts.append(np.repeat(np.arange(n), counts))
        starts = np.repeat(first - np.cumsum(counts) + counts, counts)
        j_parts.append(order[starts + np.arange(counts.sum())])
    previous = columns(heads.id, agents.previous)
    had = previous >= 0
    i_parts.append(np.flatnonzero(had))
    j_parts.append(previous[had])
    i, j = unique_pairs(np.concatenate(i_parts), np.concatenate(j_parts), len(heads.id))
    keep = levels(agents, heads, i, j) < BEYOND
    return i[keep], j[keep]


def unique_pairs(i: np.ndarray, j: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (i, j) pairs, sorted by i then j (as one int64 key: np.unique over
    rows is far slower)."""
    key = np.unique(i.astype(np.int64) * m + j)
    return key // m, key % m


def columns(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The position of each wanted id in ``ids``, or -1 where it is not there."""
    if len(ids) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    at = np.minimum(np.searchsorted(ids[order], wanted), len(ids) - 1)
    found = ids[order][at] == wanted
    return np.where(found, order[at], -1).astype(np.int64)


def solve(size: np.ndarray, heads: Heads, i: np.ndarray, j: np.ndarray, cost: np.ndarray) -> Flow:
    """One min-cost flow (OR-Tools) over the arcs given: agents, heads, a sink."""
    g, m = len(size), len(heads.id)
    sink = g + m
    to_head = g + np.arange(m)
    target = heads.capacity.astype(np.int64)
    parts = [  # (tails, ends, capacities, costs); read back in this order
        (i, g + j, size[i], cost),
        (to_head, np.full(m, sink), target, np.zeros(m)),
        (to_head, np.full(m, sink), heads.max_capacity - target, np.full(m, OVER_TARGET_COST)),
        (np.arange(g), np.full(g, sink), size, np.full(g, UNCOVERED_COST)),
    ]
    tails, ends, caps, costs = (
        np.concatenate([p[k] for p in parts]).astype(np.int64) for k in range(4)
    )
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(tails, ends, caps, costs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:g], supplies[sink] = size, -int(size.sum())
    solver.set_nodes_supplies(np.arange(sink + 1), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    flows = np.asarray(solver.flows(arcs), dtype=np.int64)
    return Flow(i, j, flows[: len(i)], flows[len(i) + 2 * m :])


def dense_cost(agents: Agents, heads: Heads, hi: np.ndarray, hj: np.ndarray) -> np.ndarray:
    """arc_cost for every agent of ``hi`` and head of ``hj`` (one grid), as a matrix."""
    xy_a, xy_h = agents.xy[hi], heads.xy[hj]
    metres = np.hypot(xy_a[:, None, 0] - xy_h[None, :, 0], xy_a[:, None, 1] - xy_h[None, :, 1])
    # Units lie in buildings, buildings in compounds: the levels shared add up.
    shared = (agents.compound[hi][:, None] == heads.compound[hj][None, :]).astype(np.int8)
    shared += agents.building[hi][:, None] == heads.building[hj][None, :]
    shared += agents.unit[hi][:, None] == heads.unit[hj][None, :]
    penalty = np.array([LEVEL_COST[r] for r in reversed(LEVELS)])[shared]
    keep = KEEP_BONUS * (agents.previous[hi][:, None] != heads.id[hj][None, :])
    return np.asarray(np.rint(metres).astype(np.int64) + penalty + keep, dtype=np.int64)
