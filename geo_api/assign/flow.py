"""The optimal assignment of one community, as a min-cost flow (OR-Tools).

Every household sends one unit of flow to the sink: through a unit head of its
grid, or through an "uncovered" arc that costs more than any real path, so
every household is covered while capacity allows. Each head's arc to the sink
is split in two: up to its target at no cost, and from the target to its hard
maximum at OVER_TARGET_COST, so that nobody goes over target while a head of
the grid has room. A household's arc to a head costs its metres, plus a
penalty for leaving the unit, building, compound, grid, plus KEEP_BONUS unless
it leads to the household's previous head (so an unchanged city keeps its
assignment, ties included). The costs and the solve are in pricing.py.

The answer is the optimum over every household-head arc of the grid, not over
a shortlist. A grid's nodes (below) take every arc to its heads at once when
that is small (COMPLETE_MAX), else the own building's heads, the previous head
and the nearest heads; proof.py then proves the answer optimal with head
prices, or adds the arcs its bound cannot rule out and solves once more. (The
solver once reached the heads beyond its shortlist through hubs at a flat
cost: a household went to another compound's head on the list rather than to
its own compound's head off it, 1 to 3% above the optimum of its own costs.)

Households never leave their grid (nor, so, their community), so each grid is
solved on its own. The households of a unit that share a previous head and live
within GROUP_RADIUS_M of their centre are first one node carrying that many
units of flow (a stairwell: about 28 households per node on the
1,000,000-household city); the flow says how many go to which head, and within
the node the nearest go first. A node is measured from its centre, so its
households are then checked with their own metres against the nodes' prices:
those whose node was clearly at its best stay, the others are solved again
household by household, and the whole is proven optimal (_households). Same
interface as the greedy solver.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import TypeVar

import numpy as np
from scipy.optimize import linear_sum_assignment

from geo_api.assign.pricing import (
    KEEP_BONUS,
    LEVEL_COST,
    LEVELS,
    OVER_TARGET_COST,
    UNCOVERED_COST,
    Flow,
    candidates,
    dense_cost,
    levels,
    solve,
)
from geo_api.assign.proof import grid_prices, grids, optimal_flow
from geo_api.assign.solver import UNASSIGNED, Heads, Households, Solution
from geo_api.db.models import AssignReason

__all__ = [
    "KEEP_BONUS",
    "LEVEL_COST",
    "OVER_TARGET_COST",
    "UNCOVERED_COST",
    "solve_community_flow",
    "solve_graph",
]

T = TypeVar("T", Households, Heads)

# A unit's households with the same previous head are one flow node when they all
# live this close to their centre (a stairwell is about 14 x 12 m).
GROUP_RADIUS_M = 12.0
# A household's own metres differ from its node's by at most this (whole metres,
# both ends rounded): within twice that of its best place at the nodes' prices,
# a place is worth reconsidering household by household.
NEAR_BEST = 2 * (int(GROUP_RADIUS_M) + 1)
# Up to this many node-head pairs, the flow takes every arc of the grid at once
# (a grid of 1,000 households is about 60 nodes and 60 heads).
COMPLETE_MAX = 20_000


def solve_community_flow(homes: Households, heads: Heads) -> Solution:
    """Assign one community's households to its unit heads at the least total cost.

    No arc crosses a grid, so the flow falls apart into one independent problem
    per grid: solving them one by one gives the same optimum, many times faster
    than one big graph (min-cost flow grows faster than linearly).
    """
    n = len(homes.id)
    head_of = np.full(n, UNASSIGNED, dtype=np.int64)
    reason: list[AssignReason | None] = [None] * n
    distance = np.zeros(n)
    head_rows = {int(g): rows for g, rows in _groups(heads.grid).items()}
    for grid, rows in _groups(homes.grid).items():
        cols = head_rows.get(int(grid))
        if cols is not None:  # heads full of locked households take nobody else
            cols = cols[heads.max_capacity[cols] > 0]
        if cols is None or len(cols) == 0:
            continue  # a grid with no unit head with room: nobody there can be covered
        part = solve_graph(_take(homes, rows), _take(heads, cols))
        head_of[rows], distance[rows] = part.head, part.distance_m
        for k, why in zip(rows.tolist(), part.reason, strict=True):
            reason[k] = why
    return Solution(head_of, reason, distance)


def _groups(keys: np.ndarray) -> dict[int, np.ndarray]:
    """Row positions per key, keys ascending."""
    if len(keys) == 0:
        return {}
    order = np.argsort(keys, kind="stable")
    values, starts = np.unique(keys[order], return_index=True)
    return {int(v): part for v, part in zip(values, np.split(order, starts[1:]), strict=True)}


def _take(obj: T, rows: np.ndarray) -> T:
    """The same arrays, only ``rows``."""
    return replace(obj, **{f.name: getattr(obj, f.name)[rows] for f in fields(obj)})


def solve_graph(homes: Households, heads: Heads, aggregate: bool = True) -> Solution:
    """The optimal assignment of the households given to the heads given (see the
    module docstring): a grid's, or, for the benchmark's anchor, a whole city's.

    With ``aggregate``, the households of a unit that share a previous head are
    first one node with that many units of supply (about 28 times fewer arcs at
    1,000,000 households), and the answer is then made exact household by household.
    """
    n, m = len(homes.id), len(heads.id)
    head_of = np.full(n, UNASSIGNED, dtype=np.int64)
    reason: list[AssignReason | None] = [None] * n
    distance = np.zeros(n)
    if n == 0 or m == 0:
        return Solution(head_of, reason, distance)
    nodes, member, size = _nodes(homes, aggregate)
    pairs = sum(len(hi) * len(hj) for _, hi, hj in grids(nodes, heads))
    if pairs <= COMPLETE_MAX:  # every arc: small enough to need no list and no proof
        i, j = _every_arc(nodes, heads)
        flow, price = optimal_flow(nodes, size, heads, i, j, complete=True)
    else:
        flow, price = optimal_flow(nodes, size, heads, *candidates(nodes, heads))
    if aggregate:
        flow = _households(homes, heads, nodes, member, flow, price)
    used = flow.units > 0
    head_of[flow.i[used]] = heads.id[flow.j[used]]
    assigned = flow.i[used]
    jj = flow.j[used]
    distance[assigned] = np.hypot(*(heads.xy[jj] - homes.xy[assigned]).T)
    for a, lvl in zip(assigned.tolist(), levels(homes, heads, assigned, jj).tolist(), strict=True):
        reason[a] = LEVELS[lvl]
    return Solution(head_of, reason, distance)


def _households(
    homes: Households,
    heads: Heads,
    nodes: Households,
    member: list[np.ndarray],
    flow: Flow,
    price: np.ndarray,
) -> Flow:
    """The nodes' optimal flow, given to their households (the nearest of a node
    take its places), then made the optimum of the households' own costs.

    A node is measured from its centre, and its households differ from it by at
    most their distance to it (plus a metre of rounding): its slack. At the
    nodes' head prices, a node whose place beats every other by twice its slack
    leaves each of its households at its best place: those stay, proven. The
    households of the other nodes are solved again among their places within
    NEAR_BEST of their best, in the room the heads have left; if the nodes'
    prices then show each of them at its best too, the whole is proven optimal
    (the prices are a dual solution). Otherwise proof.py finds prices of its own
    or solves once more with the arcs its bound cannot rule out.
    """
    n = len(homes.id)
    head_col = _spread(homes, heads, member, flow)
    sizes = np.array([len(p) for p in member])
    node_of = np.empty(n, dtype=np.int64)
    node_of[np.concatenate(member)] = np.repeat(np.arange(len(member)), sizes)
    slack = np.zeros(len(member))
    np.maximum.at(slack, node_of, np.hypot(*(homes.xy - nodes.xy[node_of]).T))
    slack = np.where(sizes > 1, slack + 1, 0.0)  # one household: its node is itself
    place = _place(flow, len(member))
    p_all = np.minimum(price, UNCOVERED_COST)
    proven = True
    for (_, hi, hj), (_, ai, _) in zip(grids(homes, heads), grids(nodes, heads), strict=True):
        if len(hi) == 0:
            continue
        local = np.full(len(heads.id), -1, dtype=np.int64)
        local[hj] = np.arange(len(hj))
        node_cost = dense_cost(nodes, heads, ai, hj)
        at = np.where(place[ai] >= 0, local[np.maximum(place[ai], 0)], -1)
        clear = _clear(node_cost + p_all[hj], at, slack[ai], place[ai] == -2)
        free_node = np.zeros(len(member), dtype=bool)
        free_node[ai[~clear]] = True
        free = hi[free_node[node_of[hi]]]
        cost = dense_cost(homes, heads, free, hj)
        now = _resolve(heads, hj, local, cost, p_all[hj], head_col, free, hi)
        head_col[free] = np.where(now >= 0, hj[np.maximum(now, 0)], -1)
        # Prices for the grid, from the households solved again (exact) and the
        # clear nodes (each household within its node's slack).
        load = np.bincount(local[head_col[hi][head_col[hi] >= 0]], minlength=len(hj))
        target = heads.capacity[hj]
        base = np.where(load > target, OVER_TARGET_COST, np.where(load > 0, 0.0, -np.inf))
        p = grid_prices(
            np.concatenate([cost, node_cost[clear]]),
            np.concatenate([now, at[clear]]),
            np.concatenate([np.zeros(len(free)), slack[ai[clear]]]),
            np.ones(len(free) + int(clear.sum()), dtype=bool),
            base,
        )
        ceiling = np.where(
            load < target, 0.0, np.where(load < heads.max_capacity[hj], OVER_TARGET_COST, np.inf)
        )
        proven = proven and p is not None and bool((p <= ceiling).all())
    assigned = np.flatnonzero(head_col >= 0)
    mine = Flow(
        assigned,
        head_col[assigned],
        np.ones(len(assigned), dtype=np.int64),
        (head_col < 0).astype(np.int64),
    )
    if proven:
        return mine
    ones = np.ones(n, dtype=np.int64)
    return optimal_flow(homes, ones, heads, mine.i, mine.j, (mine, price))[0]


def _place(flow: Flow, n_nodes: int) -> np.ndarray:
    """Each node's one head (column) when all its households go there, -1 when all
    are left out, -2 when they are split."""
    used = np.flatnonzero(flow.units > 0)
    arcs = np.bincount(flow.i[used], minlength=n_nodes)
    place = np.where(arcs == 0, -1, -2)
    whole = used[(arcs[flow.i[used]] == 1) & (flow.left_out[flow.i[used]] == 0)]
    place[flow.i[whole]] = flow.j[whole]
    return place


def _clear(priced: np.ndarray, at: np.ndarray, slack: np.ndarray, split: np.ndarray) -> np.ndarray:
    """Nodes wholly at one place (a head's column ``at``, or left out: -1) that beats
    every other place by twice their slack at these prices (``priced``: node x
    head), so every household of theirs is at its best place too."""
    rows = np.arange(len(at))
    placed = at >= 0
    mine = np.where(placed, priced[rows, np.maximum(at, 0)], UNCOVERED_COST)
    others = priced.astype(float)
    others[rows[placed], at[placed]] = np.inf
    rival = np.minimum(others.min(axis=1, initial=np.inf), np.where(placed, UNCOVERED_COST, np.inf))
    clear = ~split & (rival - mine >= 2 * slack) & (mine + slack <= UNCOVERED_COST)
    return np.asarray(clear, dtype=bool)


def _resolve(
    heads: Heads,
    hj: np.ndarray,
    local: np.ndarray,
    cost: np.ndarray,
    price: np.ndarray,
    head_col: np.ndarray,
    free: np.ndarray,
    grid_homes: np.ndarray,
) -> np.ndarray:
    """The ``free`` households of one grid solved again among their places within
    NEAR_BEST of their best at the nodes' prices (and their own), in the room the
    others leave; the new head (column within ``hj``) of each, or -1."""
    now = np.where(head_col[free] >= 0, local[np.maximum(head_col[free], 0)], -1)
    if len(free) == 0:
        return now
    priced = cost + price
    best = np.minimum(priced.min(axis=1), UNCOVERED_COST)
    near = priced <= best[:, None] + NEAR_BEST
    held = np.flatnonzero(now >= 0)
    near[held, now[held]] = True
    others = grid_homes[head_col[grid_homes] >= 0]
    others = others[~np.isin(others, free)]
    kept = np.bincount(local[head_col[others]], minlength=len(hj))
    room = _take(heads, hj)
    room.max_capacity = room.max_capacity - kept
    room.capacity = np.maximum(room.capacity - kept, 0)
    rows, cols = np.nonzero(near)
    part = solve(np.ones(len(free), dtype=np.int64), room, rows, cols, cost[rows, cols])
    taken = part.units > 0
    now[:] = -1
    now[part.i[taken]] = part.j[taken]
    return now


def _every_arc(agents: Households, heads: Heads) -> tuple[np.ndarray, np.ndarray]:
    """Every (agent, head) pair within a grid."""
    parts = [(np.repeat(hi, len(hj)), np.tile(hj, len(hi))) for _, hi, hj in grids(agents, heads)]
    if not parts:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _nodes(homes: Households, aggregate: bool) -> tuple[Households, list[np.ndarray], np.ndarray]:
    """The flow's supply nodes: households, or groups of a unit's households with the
    same previous head; with each node's households and size."""
    if not aggregate:
        return homes, [], np.ones(len(homes.id), dtype=np.int64)
    key = (homes.unit.astype(np.int64) << 32) | (homes.previous.astype(np.int64) + 1)
    while True:  # group; anyone far from their group's centre goes alone; again
        _, first, inverse, size = np.unique(
            key, return_index=True, return_inverse=True, return_counts=True
        )
        xy = np.column_stack(
            [np.bincount(inverse, homes.xy[:, d], len(size)) / size for d in (0, 1)]
        )
        far = np.hypot(*(homes.xy - xy[inverse]).T) > GROUP_RADIUS_M
        if not far.any():
            break
        key = np.where(far, -1 - np.arange(len(key)), key)
    member = np.split(np.argsort(inverse, kind="stable"), np.cumsum(size)[:-1])
    nodes = replace(_take(homes, first), id=np.arange(len(first)), xy=xy)
    return nodes, member, size.astype(np.int64)


def _spread(homes: Households, heads: Heads, member: list[np.ndarray], flow: Flow) -> np.ndarray:
    """The head (column) of each household, or -1: a node's places go to its
    households at the least total walk (an assignment problem per node, a
    stairwell's worth), and those a node leaves out are the farthest."""
    head_col = np.full(len(homes.id), -1, dtype=np.int64)
    used = np.flatnonzero(flow.units > 0)
    arcs_of = np.bincount(flow.i[used], minlength=len(member))
    size = np.array([len(p) for p in member])
    # A node all of whose households go to one head: no choice to make.
    whole = used[(arcs_of[flow.i[used]] == 1) & (flow.units[used] == size[flow.i[used]])]
    if len(whole):
        households = np.concatenate([member[k] for k in flow.i[whole].tolist()])
        head_col[households] = np.repeat(flow.j[whole], size[flow.i[whole]])
    split = used[~np.isin(used, whole)]
    split = split[np.argsort(flow.i[split], kind="stable")]
    for node in np.unique(flow.i[split]).tolist():
        arcs = split[flow.i[split] == node]
        pool, mine = member[node], np.repeat(flow.j[arcs], flow.units[arcs])
        metres = np.zeros((len(pool), len(pool)))
        metres[:, : len(mine)] = np.hypot(
            homes.xy[pool, None, 0] - heads.xy[None, mine, 0],
            homes.xy[pool, None, 1] - heads.xy[None, mine, 1],
        )
        rows, cols = linear_sum_assignment(metres)
        head_col[pool[rows[np.argsort(cols)]][: len(mine)]] = mine
    return head_col
