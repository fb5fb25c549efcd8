"""The least-cost flow over every household-head arc, without building every arc.

The flow's costs are the assignment's rules (flow.py): whole metres, plus a
penalty for each level left (unit, building, compound, grid), plus KEEP_BONUS
unless the head is the household's previous one; a head's places up to its
target are free, up to its maximum cost OVER_TARGET_COST each; leaving a
household out costs UNCOVERED_COST.

A grid of a thousand households and fifty heads has fifty thousand arcs, and
most are never worth taking, so the flow starts from a short list per
household (candidates) and then proves the answer optimal over *all* arcs, the
way column generation does: from the solved flow, each head gets a price (what
one more household costs it: nothing below target, OVER_TARGET_COST below its
maximum, or passing one of its households on to another head, and that head's
price in turn: a shortest path, found by Bellman-Ford over the heads). Each
household's price is its cheapest open option. An arc left out whose cost plus
its head's price is below the household's price would lower the total: it is
added and the flow solved again. When no such arc is left, the prices prove
that no arc left out could help, so the answer is the optimum of the complete
graph (linear-programming duality: the prices are feasible potentials).
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
ADD_PER_ROUND = 8  # arcs a household gains at most per round, the most profitable first


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
    head and the CANDIDATES nearest heads of the grid; pricing adds what it lacks."""
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


def optimal_flow(
    agents: Agents, size: np.ndarray, heads: Heads, i: np.ndarray, j: np.ndarray
) -> Flow:
    """The least-cost flow over every arc within a grid, starting from arcs (i, j)
    and adding those the prices find worth it until none is (module docstring)."""
    m = len(heads.id)
    while True:
        cost = arc_cost(agents, heads, i, j)
        flow = _solve(size, heads, i, j, cost)
        found = violations(agents, size, heads, flow, cost)
        if found is None:  # a solved flow is optimal on its own arcs: a bug if not
            raise RuntimeError("the min-cost flow's answer has a negative cycle")
        add_i, add_j = found
        if len(add_i) == 0:
            return flow
        i, j = unique_pairs(np.concatenate([i, add_i]), np.concatenate([j, add_j]), m)


def _solve(size: np.ndarray, heads: Heads, i: np.ndarray, j: np.ndarray, cost: np.ndarray) -> Flow:
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


def prices(
    size: np.ndarray, heads: Heads, flow: Flow, cost: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """(each head's price, each agent's price): the lowest prices at which nobody
    would rather take another open place (potentials: shortest paths from the sink
    through the flow's residual graph). None when there are none: the flow is not
    optimal even on its own arcs.

    A head's price starts at what its last place cost (OVER_TARGET_COST over
    target, else nothing); an agent's is its cost plus its head's price
    (UNCOVERED_COST when left out); a head must then be dear enough that no agent
    with an arc to it would rather move: Bellman-Ford, raising prices until stable.
    """
    m = len(heads.id)
    load = np.bincount(flow.j, weights=flow.units, minlength=m)
    price = np.where(load > heads.capacity, OVER_TARGET_COST, np.where(load > 0, 0.0, -np.inf))
    held = np.flatnonzero(flow.units > 0)
    room = np.flatnonzero(flow.units < size[flow.i])
    room = room[np.argsort(flow.i[room], kind="stable")]
    # An edge per (agent held by a head, another arc of that agent with room): the
    # second head's price must reach the first's plus what the move would save.
    open_i = flow.i[room]
    first = np.searchsorted(open_i, flow.i[held], side="left")
    counts = np.searchsorted(open_i, flow.i[held], side="right") - first
    pick = room[np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())]
    tail = np.repeat(flow.j[held], counts)
    end = flow.j[pick]
    gain = np.repeat(cost[held], counts) - cost[pick]
    # Agents left out would pay up to UNCOVERED_COST for a place.
    out = np.isin(flow.i[room], np.flatnonzero(flow.left_out > 0))
    np.maximum.at(price, flow.j[room[out]], UNCOVERED_COST - cost[room[out]])
    for _ in range(m + 2):  # Bellman-Ford, in (max, +)
        higher = price.copy()
        np.maximum.at(higher, end, price[tail] + gain)
        if np.array_equal(higher, price):
            break
        price = higher
    else:
        return None  # prices rise for ever: a cycle that lowers the cost
    agent = np.where(flow.left_out > 0, float(UNCOVERED_COST), -np.inf)
    np.maximum.at(agent, flow.i[held], cost[held] + price[flow.j[held]])
    # Places still open must not be dearer than they cost: a head below target has
    # a free place, one below its maximum one at OVER_TARGET_COST, and anyone may
    # be left out at UNCOVERED_COST.
    ceiling = np.where(
        load < heads.capacity,
        0.0,
        np.where(load < heads.max_capacity, OVER_TARGET_COST, np.inf),
    )
    if (price > ceiling).any() or (agent[flow.left_out < size] > UNCOVERED_COST).any():
        return None
    # A head nobody reaches is priced at its open place.
    return np.where(np.isneginf(price), ceiling, price), agent


def violations(
    agents: Agents, size: np.ndarray, heads: Heads, flow: Flow, cost: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Arcs not in the flow's graph that would lower its cost: cost plus the head's
    price below the agent's price; up to ADD_PER_ROUND per agent, best first.
    None when the flow is not optimal even on its own arcs (no prices)."""
    found = prices(size, heads, flow, cost)
    if found is None:
        return None
    head_price, agent_price = found
    m = len(heads.id)
    have = flow.i.astype(np.int64) * m + flow.j
    found_i: list[np.ndarray] = []
    found_j: list[np.ndarray] = []
    for g in np.unique(heads.grid):
        hj = np.flatnonzero(heads.grid == g)
        hi = np.flatnonzero(agents.grid == g)
        if len(hi) == 0:
            continue
        ii, jj = np.repeat(hi, len(hj)), np.tile(hj, len(hi))
        gain = (arc_cost(agents, heads, ii, jj) + head_price[jj] - agent_price[ii]).reshape(
            len(hi), len(hj)
        )
        worth = gain < 0
        if not worth.any():
            continue
        # The best ADD_PER_ROUND per agent, arcs already in the graph aside.
        worth &= ~np.isin((ii * m + jj).reshape(len(hi), len(hj)), have)
        rank = np.argsort(np.where(worth, gain, np.inf), axis=1)[:, :ADD_PER_ROUND]
        chosen = np.take_along_axis(worth, rank, axis=1)
        rows = np.broadcast_to(np.arange(len(hi))[:, None], rank.shape)
        found_i.append(hi[rows[chosen]])
        found_j.append(hj[rank[chosen]])
    if not found_i:
        empty = np.array([], dtype=np.int64)
        return empty, empty
    return np.concatenate(found_i), np.concatenate(found_j)
