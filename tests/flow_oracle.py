"""An exact solve of the flow solver's own costs, for tests and comparisons.

Every household is its own node with an arc to every unit head of its grid (no
candidate lists, no hubs, no groups), priced from the rules alone: whole metres,
plus the penalty of the level left, plus KEEP_BONUS unless the head is the
household's previous one; up to target free, up to the maximum at
OVER_TARGET_COST each, uncovered at UNCOVERED_COST each. Written apart from
geo_api/assign/flow.py on purpose, so that a mistake there does not hide here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from geo_api.assign.flow import KEEP_BONUS, LEVEL_COST, OVER_TARGET_COST, UNCOVERED_COST
from geo_api.assign.solver import UNASSIGNED, Heads, Households, Solution
from geo_api.db.models import AssignReason


@dataclass(frozen=True)
class Cost:
    """A solution's cost, in its three ranks: uncovered, over target, then walking."""

    uncovered: int
    over: int
    walk: int  # metres plus level penalties plus lost keep bonuses

    @property
    def total(self) -> int:
        return self.uncovered * UNCOVERED_COST + self.over * OVER_TARGET_COST + self.walk


def pair_cost(homes: Households, heads: Heads, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The rules' cost of household i going to head j (same grid assumed)."""
    metres = np.rint(np.hypot(*(heads.xy[j] - homes.xy[i]).T)).astype(np.int64)
    level = np.where(
        heads.unit[j] == homes.unit[i],
        LEVEL_COST[AssignReason.own_unit],
        np.where(
            heads.building[j] == homes.building[i],
            LEVEL_COST[AssignReason.same_building],
            np.where(
                heads.compound[j] == homes.compound[i],
                LEVEL_COST[AssignReason.same_compound],
                LEVEL_COST[AssignReason.same_grid],
            ),
        ),
    )
    keep = np.where(heads.id[j] == homes.previous[i], 0, KEEP_BONUS)
    return np.asarray(metres + level + keep, dtype=np.int64)


def cost_of(homes: Households, heads: Heads, solution: Solution) -> Cost:
    """What the rules charge for ``solution``; fails on a head over its maximum or
    outside the household's grid."""
    column = {int(h): k for k, h in enumerate(heads.id)}
    assigned = np.flatnonzero(solution.head != UNASSIGNED)
    j = np.array([column[int(h)] for h in solution.head[assigned]], dtype=np.int64)
    assert (heads.grid[j] == homes.grid[assigned]).all(), "a household left its grid"
    load = np.bincount(j, minlength=len(heads.id))
    assert (load <= heads.max_capacity).all(), "a head above its maximum"
    walk = int(pair_cost(homes, heads, assigned, j).sum())
    over = int(np.maximum(load - heads.capacity, 0).sum())
    return Cost(len(homes.id) - len(assigned), over, walk)


def exact_cost(homes: Households, heads: Heads) -> Cost:
    """The least cost under the rules: one min-cost flow per grid over every arc."""
    uncovered = over = walk = 0
    for grid in np.unique(homes.grid):
        hi = np.flatnonzero(homes.grid == grid)
        hj = np.flatnonzero((heads.grid == grid) & (heads.max_capacity > 0))
        if len(hj) == 0:
            uncovered += len(hi)
            continue
        n, m = len(hi), len(hj)
        i = np.repeat(np.arange(n), m)
        j = np.tile(np.arange(m), n)
        cost = pair_cost(homes, heads, hi[i], hj[j])
        sink = n + m
        target = heads.capacity[hj].astype(np.int64)
        extra = heads.max_capacity[hj].astype(np.int64) - target
        tails = np.concatenate([i, n + np.arange(m), n + np.arange(m), np.arange(n)])
        ends = np.concatenate([n + j, np.full(2 * m + n, sink)])
        caps = np.concatenate([np.ones(n * m), target, extra, np.ones(n)]).astype(np.int64)
        costs = np.concatenate(
            [cost, np.zeros(m), np.full(m, OVER_TARGET_COST), np.full(n, UNCOVERED_COST)]
        ).astype(np.int64)
        flow = min_cost_flow.SimpleMinCostFlow()
        arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, ends, caps, costs)
        supplies = np.zeros(sink + 1, dtype=np.int64)
        supplies[:n], supplies[sink] = 1, -n
        flow.set_nodes_supplies(np.arange(sink + 1), supplies)
        assert flow.solve() == flow.OPTIMAL
        flows = np.asarray(flow.flows(arcs), dtype=np.int64)
        walk += int((flows[: n * m] * cost).sum())
        over += int(flows[n * m + m : n * m + 2 * m].sum())
        uncovered += int(flows[n * m + 2 * m :].sum())
    return Cost(uncovered, over, walk)
