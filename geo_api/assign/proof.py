"""The least-cost flow over every household-head arc, without building every arc.

A grid of a thousand households and fifty heads has fifty thousand arcs, most
never worth taking. So the flow is solved on a short list (pricing.candidates)
and then proven optimal over all of them by prices, as linear-programming
duality allows: if every head can be priced so that nobody would rather take
any other place of their grid, at its cost plus that head's price, no arc left
out could lower the total (certify). Where no such prices exist, any prices
still bound the cost of every flow from below (unproven), which rules out all
but the arcs within the gap; those are added and the flow solved once more.
"""

from __future__ import annotations

import numpy as np

from geo_api.assign.pricing import (
    OVER_TARGET_COST,
    UNCOVERED_COST,
    Agents,
    Flow,
    arc_cost,
    dense_cost,
    solve,
    unique_pairs,
)
from geo_api.assign.solver import Heads


def optimal_flow(
    agents: Agents,
    size: np.ndarray,
    heads: Heads,
    i: np.ndarray,
    j: np.ndarray,
    start: tuple[Flow, np.ndarray] | None = None,
    costs: dict[int, np.ndarray] | None = None,
    complete: bool = False,
) -> tuple[Flow, np.ndarray]:
    """The least-cost flow over every arc within each grid, and head prices proving it.

    Starts from the flow solved on arcs (i, j), or from ``start``: a flow on them
    and any head prices. Where that flow cannot be proven optimal, the arcs the
    bound cannot rule out are added and the flow solved once more. ``costs`` may
    hold each grid's dense_cost matrix, already computed; ``complete`` says the
    arcs are every arc of the grids already, so that the flow needs no proof.
    """
    if start is None:
        cost = arc_cost(agents, heads, i, j)
        flow, price = solve(size, heads, i, j, cost), None
        if complete:
            price = prices(size, heads, flow, cost)
            if price is None:  # a solved flow is optimal on its own arcs: a bug if not
                raise RuntimeError("the min-cost flow's answer has a negative cycle")
            return flow, price
    else:
        flow, price = start
    proof = certify(agents, size, heads, flow, costs)
    if proof is not None:
        return flow, proof
    if price is None:
        price = prices(size, heads, flow, cost)
        if price is None:  # a solved flow is optimal on its own arcs: a bug if not
            raise RuntimeError("the min-cost flow's answer has a negative cycle")
    add_i, add_j = unproven(agents, size, heads, flow, price)
    i, j = unique_pairs(np.concatenate([i, add_i]), np.concatenate([j, add_j]), len(heads.id))
    flow = solve(size, heads, i, j, arc_cost(agents, heads, i, j))
    proof = certify(agents, size, heads, flow, costs)
    if proof is None:
        raise RuntimeError("the min-cost flow is not optimal over every arc")
    return flow, proof


def prices(size: np.ndarray, heads: Heads, flow: Flow, cost: np.ndarray) -> np.ndarray | None:
    """Each head's price: the lowest prices at which nobody
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
    return np.where(np.isneginf(price), ceiling, price)


def certify(
    agents: Agents,
    size: np.ndarray,
    heads: Heads,
    flow: Flow,
    costs: dict[int, np.ndarray] | None = None,
) -> np.ndarray | None:
    """Head prices proving ``flow`` optimal over every arc of its grids, or None when
    it is not: prices() over the complete graph, a grid at a time. ``costs`` may
    hold each grid's dense_cost matrix, already computed."""
    m = len(heads.id)
    load = np.bincount(flow.j, weights=flow.units, minlength=m)
    price = np.full(m, -np.inf)
    held = np.flatnonzero(flow.units > 0)
    for g, hi, hj in grids(agents, heads):
        base = np.where(
            load[hj] > heads.capacity[hj],
            OVER_TARGET_COST,
            np.where(load[hj] > 0, 0.0, -np.inf),
        )
        price[hj] = base
        if len(hi) == 0:
            continue
        row = np.full(len(agents.grid), -1, dtype=np.int64)
        row[hi] = np.arange(len(hi))
        col = np.full(m, -1, dtype=np.int64)
        col[hj] = np.arange(len(hj))
        cost = costs[g] if costs is not None else dense_cost(agents, heads, hi, hj)
        # A row per arc holding units, and per agent with units left out.
        mine = held[heads.grid[flow.j[held]] == g]
        out = hi[flow.left_out[hi] > 0]
        r = np.concatenate([row[flow.i[mine]], row[out]])
        at = np.concatenate([col[flow.j[mine]], np.full(len(out), -1)])
        stay = np.concatenate(
            [size[flow.i[mine]] > flow.left_out[flow.i[mine]], np.ones(len(out), bool)]
        )
        p = grid_prices(cost[r], at, np.zeros(len(r)), stay, base)
        if p is None:
            return None
        price[hj] = p
    ceiling = np.where(
        load < heads.capacity, 0.0, np.where(load < heads.max_capacity, OVER_TARGET_COST, np.inf)
    )
    if (price > ceiling).any():
        return None  # a head with an open place someone would take
    return np.where(np.isneginf(price), ceiling, price)


def grid_prices(
    cost: np.ndarray, at: np.ndarray, slack: np.ndarray, stay: np.ndarray, base: np.ndarray
) -> np.ndarray | None:
    """The lowest head prices (from ``base``) at which no row would rather move, or
    None: rows of costs to every head of one grid, each at a head (column) or
    left out (-1); a row's costs may be off by up to its ``slack`` either way (a
    node standing for households around it), so each is taken at its worst. A
    row that ``stay`` marks could be left out instead, and must not pay more."""
    m = cost.shape[1]
    cost = cost.astype(float)
    held = np.flatnonzero(at >= 0)
    rows = held[np.argsort(at[held], kind="stable")]
    c = at[rows]
    # A row held at head j could move to j': j' must be priced above j by what
    # the move would save (the most any of j's rows would save).
    gain = np.full((m, m), -np.inf)
    if len(c):
        starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
        saved = cost[rows, c][:, None] - cost[rows] + 2 * slack[rows][:, None]
        gain[c[starts]] = np.maximum.reduceat(saved, starts, axis=0)
        np.fill_diagonal(gain, -np.inf)  # staying put is no move
    out = np.flatnonzero(at < 0)
    wish = UNCOVERED_COST - cost[out] + slack[out][:, None]
    p = np.maximum(base, wish.max(axis=0, initial=-np.inf))
    for _ in range(m + 2):  # Bellman-Ford in (max, +): prices rise until stable
        higher = np.maximum(p, (p[:, None] + gain).max(axis=0, initial=-np.inf))
        if np.array_equal(higher, p):
            break
        p = higher
    else:
        return None  # prices rise for ever: a cycle of moves that lowers the cost
    paid = cost[rows, c] + slack[rows] + p[c]
    if (paid[stay[rows]] > UNCOVERED_COST).any():
        return None  # a row held pays more than leaving it out would
    return np.asarray(p, dtype=float)


def grids(agents: Agents, heads: Heads) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(grid, its agents, its heads) for each grid with heads."""
    return [
        (int(g), np.flatnonzero(agents.grid == g), np.flatnonzero(heads.grid == g))
        for g in np.unique(heads.grid)
    ]


def unproven(
    agents: Agents, size: np.ndarray, heads: Heads, flow: Flow, price: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The arcs, not in ``flow``, that a flow cheaper than ``flow`` might use; none
    when ``flow`` is proven optimal over every arc.

    Any head prices p >= 0 bound every flow's cost from below (Lagrange): each
    agent unit pays at least q = min(UNCOVERED_COST, min over heads of cost +
    p), and the heads give back what their places are priced at. A flow then
    costs the bound plus, on each arc, its units times cost + p - q (>= 0). So
    an arc whose cost + p - q exceeds the flow's cost minus the bound carries
    nothing in any flow at least as cheap: it can be left out. Per grid, since
    grids share nothing.
    """
    m = len(heads.id)
    p_all = np.clip(np.nan_to_num(price, posinf=UNCOVERED_COST), 0, UNCOVERED_COST)
    p_all = np.rint(p_all).astype(np.int64)
    load = np.bincount(flow.j, weights=flow.units, minlength=m).astype(np.int64)
    arc_cost_now = arc_cost(agents, heads, flow.i, flow.j) * flow.units
    have = flow.i.astype(np.int64) * m + flow.j
    found_i: list[np.ndarray] = []
    found_j: list[np.ndarray] = []
    arc_grid = heads.grid[flow.j]
    for g, hi, hj in grids(agents, heads):
        if len(hi) == 0:
            continue
        ii, jj = np.repeat(hi, len(hj)), np.tile(hj, len(hi))
        p = p_all[hj]
        cost = arc_cost(agents, heads, ii, jj).reshape(len(hi), len(hj)) + p
        q = np.minimum(cost.min(axis=1), UNCOVERED_COST)
        target, extra = heads.capacity[hj], heads.max_capacity[hj] - heads.capacity[hj]
        bound = int((size[hi] * q).sum()) - int(
            (p * target + np.maximum(p - OVER_TARGET_COST, 0) * extra).sum()
        )
        spent = (
            int(arc_cost_now[arc_grid == g].sum())
            + OVER_TARGET_COST * int(np.maximum(load[hj] - target, 0).sum())
            + UNCOVERED_COST * int(flow.left_out[hi].sum())
        )
        if spent < bound:
            raise RuntimeError(f"grid {g}: a flow below its own lower bound")
        room = cost - q[:, None] <= spent - bound
        # Arcs already there aside (only this grid's: isin sorts what it is given).
        room &= ~np.isin((ii * m + jj).reshape(len(hi), len(hj)), have[arc_grid == g])
        rows, cols = np.nonzero(room)
        found_i.append(hi[rows])
        found_j.append(hj[cols])
    if not found_i:
        empty = np.array([], dtype=np.int64)
        return empty, empty
    return np.concatenate(found_i), np.concatenate(found_j)
