"""The optimal assignment of one community, as a min-cost flow (OR-Tools).

Every household sends one unit of flow to the sink: through a head it may
belong to, or through an "uncovered" arc that costs more than any real path,
so every household is covered while capacity allows. Each head's arc to the
sink is split in two: up to its target at no cost, and from the target to its
hard maximum at OVER_TARGET_COST, so that nobody goes over target while a head
of the grid has room. A path costs its metres, plus a penalty for leaving the
unit, building, compound, grid, plus KEEP_BONUS unless it leads to the
household's previous head (so an unchanged city keeps its assignment, ties
included).

Direct arcs per household: the heads of its own building, its previous head,
and the CANDIDATES nearest heads of its grid; a hub per compound, and behind it
one per grid, reach every other head at a flat cost above any walk, so the
graph stays linear in the households and no head with room is out of reach.
Households never leave their grid (nor, so, their community), so each grid is
solved on its own. The households of a unit that share a previous head and live
within GROUP_RADIUS_M of their centre are one node carrying that many units of
flow (a stairwell: about 28 households per node on the 1,000,000-household
city); the flow says how many go to which head, and the nearest go first. Same
interface as the greedy solver.
"""

from __future__ import annotations

from dataclasses import fields, replace
from itertools import pairwise
from typing import TypeVar

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from geo_api.assign.solver import UNASSIGNED, Heads, Households, Solution
from geo_api.db.models import AssignReason

T = TypeVar("T", Households, Heads)

LEVEL_COST = {  # metres' worth of leaving one's own unit, building, compound, grid
    AssignReason.own_unit: 0,
    AssignReason.same_building: 100,
    AssignReason.same_compound: 300,
    AssignReason.same_grid: 600,
}
OVER_TARGET_COST = 3_000_000  # beyond target only when nobody in the grid has room
KEEP_BONUS = 50  # metres' worth of staying with the previous head
# A unit's households with the same previous head are one flow node when they all
# live this close to their centre (a stairwell is about 14 x 12 m). Kept below
# KEEP_BONUS / 2, so that measuring from the centre never outweighs staying put.
GROUP_RADIUS_M = 12.0
UNCOVERED_COST = 100_000_000
# Costs rank: any walk < compound hub < grid hub < going over target < left out.
HUB_COST = {  # via a hub: any head of the compound (or grid), at a flat cost
    AssignReason.same_compound: 1_000_000 + LEVEL_COST[AssignReason.same_compound],
    AssignReason.same_grid: 2_000_000 + LEVEL_COST[AssignReason.same_grid],
}
MATCH_EXACT_MAX = 3_000  # households through one hub matched exactly, beyond: nearest first
CANDIDATES = 24  # nearest heads of the grid considered beyond one's own building


def _levels(homes: Households, heads: Heads, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """0 own unit, 1 same building, 2 same compound, 3 same grid, 4 beyond."""
    return np.select(
        [
            heads.unit[j] == homes.unit[i],
            heads.building[j] == homes.building[i],
            heads.compound[j] == homes.compound[i],
            heads.grid[j] == homes.grid[i],
        ],
        [0, 1, 2, 3],
        default=4,
    )


LEVELS = [
    AssignReason.own_unit,
    AssignReason.same_building,
    AssignReason.same_compound,
    AssignReason.same_grid,
]
BEYOND = len(LEVELS)


def _candidates(homes: Households, heads: Heads) -> tuple[np.ndarray, np.ndarray]:
    """(household, head) index pairs worth an arc: the own building's heads, the
    nearest heads, and the previous head; only within the household's grid."""
    n = len(homes.id)
    i_parts: list[np.ndarray] = []
    j_parts: list[np.ndarray] = []
    for g in np.unique(heads.grid):  # the k nearest heads *of the same grid*
        hj = np.flatnonzero(heads.grid == g)
        hi = np.flatnonzero(homes.grid == g)
        if len(hi) == 0:
            continue
        k = min(CANDIDATES, len(hj))
        _, near = cKDTree(heads.xy[hj]).query(homes.xy[hi], k=k)
        i_parts.append(np.repeat(hi, k))
        j_parts.append(hj[np.asarray(near).reshape(len(hi), k)].ravel())
    # Every head of the own building, wherever the k nearest fall.
    order = np.argsort(heads.building, kind="stable")
    first = np.searchsorted(heads.building[order], homes.building, side="left")
    last = np.searchsorted(heads.building[order], homes.building, side="right")
    counts = last - first
    i_parts.append(np.repeat(np.arange(n), counts))
    j_parts.append(
        order[
            np.concatenate([np.arange(a, b) for a, b in zip(first, last, strict=True)])
            if counts.sum()
            else np.array([], dtype=int)
        ]
    )
    previous = _columns(heads.id, homes.previous)
    had = previous >= 0
    i_parts.append(np.flatnonzero(had))
    j_parts.append(previous[had])
    # Distinct pairs, as one sortable key (np.unique over rows is far slower).
    m = len(heads.id)
    key = np.sort(np.concatenate(i_parts).astype(np.int64) * m + np.concatenate(j_parts))
    key = key[np.concatenate([[True], key[1:] != key[:-1]])]
    i, j = key // m, key % m
    keep = _levels(homes, heads, i, j) < BEYOND
    return i[keep], j[keep]


def _hubs(
    home_key: np.ndarray, head_key: np.ndarray, first: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """One hub node per compound (or grid) with heads, numbered from ``first``.

    Returns the households that have a hub, their hub node, each head's hub
    node, and the number of hubs.
    """
    keys, head_hub = np.unique(head_key, return_inverse=True)
    at = np.minimum(np.searchsorted(keys, home_key), len(keys) - 1)
    homes_with = np.flatnonzero(keys[at] == home_key)
    return homes_with, first + at[homes_with], first + head_hub, len(keys)


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
    """One min-cost flow over the households and heads given (see the module
    docstring): a grid's, or, for the benchmark's anchor, a whole city's.

    With ``aggregate``, the households of a unit that share a previous head are one
    node with that many units of supply (about 28 times fewer arcs at 1,000,000
    households): they differ only by metres inside one stairwell. The flow
    decides how many of them go to which head; the nearest go first.
    """
    n, m = len(homes.id), len(heads.id)
    head_of = np.full(n, UNASSIGNED, dtype=np.int64)
    reason: list[AssignReason | None] = [None] * n
    distance = np.zeros(n)
    if n == 0 or m == 0:
        return Solution(head_of, reason, distance)
    nodes, member, size = _nodes(homes, aggregate)
    g = len(nodes.id)

    i, j = _candidates(nodes, heads)
    metres = np.hypot(*(heads.xy[j] - nodes.xy[i]).T)
    level = _levels(nodes, heads, i, j)
    cost = np.rint(metres).astype(np.int64) + np.array([LEVEL_COST[r] for r in LEVELS])[level]
    kept = heads.id[j] == nodes.previous[i]
    cost[~kept] += KEEP_BONUS  # never clipped: keeping is always strictly cheaper

    # Nodes: households (or groups) 0..g-1, heads g..g+m-1, compound hubs, grid hubs,
    # the sink. A hub links every household of its compound (grid) to every head of
    # it at a flat, high cost: any head with room stays reachable with k arcs each.
    c_homes, c_home_hub, c_head_hub, n_c = _hubs(nodes.compound, heads.compound, g + m)
    g_homes, g_home_hub, g_head_hub, n_g = _hubs(nodes.grid, heads.grid, g + m + n_c)
    sink = g + m + n_c + n_g
    to_head = g + np.arange(m)
    target = heads.capacity.astype(np.int64)
    over = heads.max_capacity.astype(np.int64) - target
    c_cost, g_cost = HUB_COST[AssignReason.same_compound], HUB_COST[AssignReason.same_grid]
    parts = [  # (tails, ends, capacities, costs), in the order read back below
        (i, g + j, size[i], cost),
        (c_homes, c_home_hub, size[c_homes], np.full(len(c_homes), c_cost)),
        (g_homes, g_home_hub, size[g_homes], np.full(len(g_homes), g_cost)),
        (c_head_hub, to_head, heads.max_capacity, np.zeros(m)),
        (g_head_hub, to_head, heads.max_capacity, np.zeros(m)),
        (to_head, np.full(m, sink), target, np.zeros(m)),
        (to_head, np.full(m, sink), over, np.full(m, OVER_TARGET_COST)),
        (np.arange(g), np.full(g, sink), size, np.full(g, UNCOVERED_COST)),
    ]
    tails, ends, capacities, costs = (
        np.concatenate([p[k] for p in parts]).astype(np.int64) for k in range(4)
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, ends, capacities, costs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:g], supplies[sink] = size, -n
    flow.set_nodes_supplies(np.arange(sink + 1), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")

    bounds = np.cumsum([0, *(len(p[0]) for p in parts)])
    flows = [np.asarray(flow.flows(arcs[a:b]), dtype=np.int64) for a, b in pairwise(bounds)]
    if aggregate:
        via_c, via_g = _spread(homes, heads, member, i, j, flows, c_homes, g_homes, head_of)
    else:  # a node per household: the flow says it all
        used = flows[0] > 0
        head_of[i[used]] = heads.id[j[used]]
        via_c, via_g = c_homes[flows[1] > 0], g_homes[flows[2] > 0]
    _match_hub(homes.compound, heads.compound, homes, heads, via_c, flows[3], head_of)
    _match_hub(homes.grid, heads.grid, homes, heads, via_g, flows[4], head_of)
    assigned = np.flatnonzero(head_of != UNASSIGNED)
    jj = _columns(heads.id, head_of[assigned])
    distance[assigned] = np.hypot(*(heads.xy[jj] - homes.xy[assigned]).T)
    for a, lvl in zip(assigned.tolist(), _levels(homes, heads, assigned, jj).tolist(), strict=True):
        reason[a] = LEVELS[lvl]
    return Solution(head_of, reason, distance)


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


def _spread(
    homes: Households,
    heads: Heads,
    member: list[np.ndarray],
    i: np.ndarray,
    j: np.ndarray,
    flows: list[np.ndarray],
    c_homes: np.ndarray,
    g_homes: np.ndarray,
    head_of: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Give each node's households the places its flow chose: a seat per household
    at each head it went to, matched at the least total walk (an assignment
    problem per node, a stairwell's worth); the hubs' places go to whoever is
    left. Returns the households routed through the compound and grid hubs."""
    n_nodes = len(member)
    seats: list[list[int]] = [[] for _ in range(n_nodes)]
    used = np.flatnonzero(flows[0] > 0)
    for arc in used.tolist():
        seats[int(i[arc])] += [int(j[arc])] * int(flows[0][arc])
    hub_seats = np.zeros((n_nodes, 2), dtype=np.int64)
    for column, (homes_of_hub, hub_flow) in enumerate(((c_homes, flows[1]), (g_homes, flows[2]))):
        hub_seats[homes_of_hub, column] = hub_flow
    via: list[list[int]] = [[], []]
    for node in np.flatnonzero([len(s) for s in seats] + hub_seats.sum(axis=1)).tolist():
        pool, mine = member[node], np.array(seats[node], dtype=np.int64)
        if len(mine) and ((len(pool) > 1 and len(np.unique(mine)) > 1) or hub_seats[node].any()):
            # Hub places are free here: the households the heads want least take them.
            metres = np.zeros((len(pool), len(pool)))
            metres[:, : len(mine)] = np.hypot(
                homes.xy[pool, None, 0] - heads.xy[None, mine, 0],
                homes.xy[pool, None, 1] - heads.xy[None, mine, 1],
            )
            rows, cols = linear_sum_assignment(metres)
            order = pool[rows[np.argsort(cols)]]
        else:
            order = pool
        head_of[order[: len(mine)]] = heads.id[mine]
        rest = order[len(mine) :].tolist()
        c_count = int(hub_seats[node, 0])
        via[0] += rest[:c_count]
        via[1] += rest[c_count : c_count + int(hub_seats[node, 1])]
    return np.array(via[0], dtype=np.int64), np.array(via[1], dtype=np.int64)


def _columns(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The position of each wanted id in ``ids``, or -1 where it is not there."""
    order = np.argsort(ids, kind="stable")
    at = np.minimum(np.searchsorted(ids[order], wanted), len(ids) - 1)
    found = ids[order][at] == wanted
    return np.where(found, order[at], -1).astype(np.int64)


def _match_hub(
    home_key: np.ndarray,
    head_key: np.ndarray,
    homes: Households,
    heads: Heads,
    via_hub: np.ndarray,
    into_heads: np.ndarray,
    head_of: np.ndarray,
) -> None:
    """Pair the households routed through hubs with the places the hubs fed, per
    compound (or grid), at the least total walk: an assignment problem (scipy's
    linear_sum_assignment) with one column per place. The flow prices every such
    pairing the same (a hub is a last resort, used only when no direct arc has
    room), so this only makes the walks shorter. Past MATCH_EXACT_MAX households
    in one hub, nearest first instead."""
    for key in np.unique(home_key[via_hub]):
        rows = via_hub[home_key[via_hub] == key]
        fed = np.flatnonzero((into_heads > 0) & (head_key == key))
        if len(rows) <= MATCH_EXACT_MAX:
            seats = np.repeat(fed, into_heads[fed].astype(np.int64))
            metres = np.hypot(
                homes.xy[rows, None, 0] - heads.xy[None, seats, 0],
                homes.xy[rows, None, 1] - heads.xy[None, seats, 1],
            )
            r, c = linear_sum_assignment(metres)
            head_of[rows[r]] = heads.id[seats[c]]
            continue
        room = into_heads.astype(np.int64).copy()
        for i in rows:
            open_heads = fed[room[fed] > 0]
            j = open_heads[int(np.argmin(np.hypot(*(heads.xy[open_heads] - homes.xy[i]).T)))]
            head_of[i] = heads.id[j]
            room[j] -= 1
