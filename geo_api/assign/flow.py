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
a shortlist: the flow starts from the heads of the own building, the previous
head and the nearest heads, and pricing adds any other arc that would lower the
total, until the prices prove that none would. (The solver once reached the
heads beyond the shortlist through hubs at a flat cost; a household then went
to another compound's head on the list rather than to its own compound's head
off it, and the whole was 1 to 3% above the optimum of its own costs.)

Households never leave their grid (nor, so, their community), so each grid is
solved on its own. The households of a unit that share a previous head and live
within GROUP_RADIUS_M of their centre are first one node carrying that many
units of flow (a stairwell: about 28 households per node on the
1,000,000-household city); the flow says how many go to which head, and within
the node the nearest go first. Since the node is measured from its centre, its
households' answer is then checked with their own metres by the same prices,
and solved again household by household where it is not the optimum. Same
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
    arc_cost,
    candidates,
    columns,
    levels,
    optimal_flow,
    violations,
)
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
    flow = optimal_flow(nodes, size, heads, *candidates(nodes, heads))
    if aggregate:
        flow = _households(homes, heads, member, flow)
    used = flow.units > 0
    head_of[flow.i[used]] = heads.id[flow.j[used]]
    assigned = flow.i[used]
    jj = flow.j[used]
    distance[assigned] = np.hypot(*(heads.xy[jj] - homes.xy[assigned]).T)
    for a, lvl in zip(assigned.tolist(), levels(homes, heads, assigned, jj).tolist(), strict=True):
        reason[a] = LEVELS[lvl]
    return Solution(head_of, reason, distance)


def _households(homes: Households, heads: Heads, member: list[np.ndarray], flow: Flow) -> Flow:
    """The nodes' optimal flow, given to their households: the nearest of a node
    take its places, then the prices check the answer with each household's own
    metres over every arc; where it is not the optimum (a node's centre is not
    its households), the grid is solved household by household from there."""
    n = len(homes.id)
    head_col = _spread(homes, heads, member, flow)
    # Each household gets the arcs its node's flow took, with its own costs;
    # pricing adds any other that would help.
    node_of = np.empty(n, dtype=np.int64)
    node_of[np.concatenate(member)] = np.repeat(np.arange(len(member)), [len(p) for p in member])
    used = np.flatnonzero(flow.units > 0)
    order = used[np.argsort(flow.i[used], kind="stable")]
    arc_i, arc_j = flow.i[order], flow.j[order]
    first = np.searchsorted(arc_i, node_of, side="left")
    counts = np.searchsorted(arc_i, node_of, side="right") - first
    starts = np.repeat(first - np.cumsum(counts) + counts, counts)
    hi = np.repeat(np.arange(n), counts)
    hj = arc_j[starts + np.arange(counts.sum())]
    units = (head_col[hi] == hj).astype(np.int64)
    mine = Flow(hi, hj, units, (head_col < 0).astype(np.int64))
    ones = np.ones(n, dtype=np.int64)
    found = violations(homes, ones, heads, mine, arc_cost(homes, heads, hi, hj))
    if found is not None and len(found[0]) == 0:
        return mine  # proven optimal as it is
    more_i, more_j = found if found is not None else (hi[:0], hj[:0])
    return optimal_flow(
        homes, ones, heads, np.concatenate([hi, more_i]), np.concatenate([hj, more_j])
    )


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
    used = used[np.argsort(flow.i[used], kind="stable")]
    seats = np.repeat(flow.j[used], flow.units[used])
    node_of_seat = np.repeat(flow.i[used], flow.units[used])
    bounds = np.flatnonzero(np.diff(node_of_seat)) + 1
    for part in np.split(np.arange(len(seats)), bounds) if len(seats) else []:
        node = int(node_of_seat[part[0]])
        pool, mine = member[node], seats[part]
        if len(pool) > 1 and (len(mine) < len(pool) or (mine != mine[0]).any()):
            metres = np.zeros((len(pool), len(pool)))
            metres[:, : len(mine)] = np.hypot(
                homes.xy[pool, None, 0] - heads.xy[None, mine, 0],
                homes.xy[pool, None, 1] - heads.xy[None, mine, 1],
            )
            rows, cols = linear_sum_assignment(metres)
            order = pool[rows[np.argsort(cols)]]
        else:
            order = pool
        head_col[order[: len(mine)]] = mine
    return head_col
