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
Households never leave their grid (nor, so, their community). Same interface
as the greedy solver.
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
    heads, settled = _own_units_first(homes, heads, head_of, reason, distance)
    head_rows = {int(g): rows for g, rows in _groups(heads.grid).items()}
    open_homes = np.flatnonzero(~settled)
    for grid, part_rows in _groups(homes.grid[open_homes]).items():
        rows = open_homes[part_rows]
        cols = head_rows.get(int(grid))
        if cols is not None:  # heads the settled units filled take nobody else
            cols = cols[heads.max_capacity[cols] > 0]
        if cols is None or len(cols) == 0:
            continue  # a grid with no unit head with room: nobody there can be covered
        part = solve_graph(_take(homes, rows), _take(heads, cols))
        head_of[rows], distance[rows] = part.head, part.distance_m
        for k, why in zip(rows.tolist(), part.reason, strict=True):
            reason[k] = why
    return Solution(head_of, reason, distance)


def _own_units_first(
    homes: Households,
    heads: Heads,
    head_of: np.ndarray,
    reason: list[AssignReason | None],
    distance: np.ndarray,
) -> tuple[Heads, np.ndarray]:
    """Settle, before any flow, the compounds whose units all fit within their own
    heads' target: there every household is at its cheapest (no level penalty) and
    nobody of the compound needs room elsewhere, so the flow would settle them the
    same way.
    Among a unit's heads (one stairwell apart at most) a household keeps its
    previous head while that head has room; the others go to the head with the
    most room left (nearest-first walked no less on the demo city, and costs more).
    Returns the heads with that much less room, and which
    households are settled. Most units are such units: the flow stays small.
    """
    settled = np.zeros(len(homes.id), dtype=bool)
    room = heads.capacity.astype(np.int64).copy()
    head_groups = _groups(heads.unit)
    units = _groups(homes.unit)
    fits = {
        unit: unit in head_groups and room[head_groups[unit]].sum() >= len(rows)
        for unit, rows in units.items()
    }
    # Only compounds where every unit fits: where one overflows, the flow may move a
    # neighbour out of its own unit to make room along a chain, and must see them all.
    overflowing = {int(homes.compound[rows[0]]) for unit, rows in units.items() if not fits[unit]}
    for unit, rows in units.items():
        if not fits[unit] or int(homes.compound[rows[0]]) in overflowing:
            continue
        mine = head_groups[unit]
        # Keepers first, then the rest, each to the head with the most room left.
        keep = np.isin(homes.previous[rows], heads.id[mine])
        for i in np.concatenate([rows[keep], rows[~keep]]).tolist():
            previous = mine[heads.id[mine] == homes.previous[i]]
            j = (
                int(previous[0])
                if len(previous) and room[previous[0]] > 0
                else int(mine[np.argmax(room[mine])])
            )
            head_of[i] = heads.id[j]
            distance[i] = float(np.hypot(*(heads.xy[j] - homes.xy[i])))
            reason[i] = AssignReason.own_unit
            room[j] -= 1
        settled[rows] = True
    taken = heads.capacity.astype(np.int64) - room
    left = replace(heads, capacity=room, max_capacity=heads.max_capacity - taken)
    return left, settled


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


def solve_graph(homes: Households, heads: Heads) -> Solution:
    """One min-cost flow over the households and heads given (see the module
    docstring): a grid's, or, for the benchmark's anchor, a whole city's."""
    n, m = len(homes.id), len(heads.id)
    head_of = np.full(n, UNASSIGNED, dtype=np.int64)
    reason: list[AssignReason | None] = [None] * n
    distance = np.zeros(n)
    if n == 0 or m == 0:
        return Solution(head_of, reason, distance)

    i, j = _candidates(homes, heads)
    metres = np.hypot(*(heads.xy[j] - homes.xy[i]).T)
    level = _levels(homes, heads, i, j)
    cost = np.rint(metres).astype(np.int64) + np.array([LEVEL_COST[r] for r in LEVELS])[level]
    kept = heads.id[j] == homes.previous[i]
    cost[~kept] += KEEP_BONUS  # never clipped: keeping is always strictly cheaper

    # Nodes: households 0..n-1, heads n..n+m-1, compound hubs, grid hubs, the sink.
    # A hub links every household of its compound (grid) to every head of it at a
    # flat, high cost: any head with room stays reachable with only k arcs each.
    c_homes, c_home_hub, c_head_hub, n_c = _hubs(homes.compound, heads.compound, n + m)
    g_homes, g_home_hub, g_head_hub, n_g = _hubs(homes.grid, heads.grid, n + m + n_c)
    sink = n + m + n_c + n_g
    to_head = n + np.arange(m)
    target = heads.capacity.astype(np.int64)
    over = heads.max_capacity.astype(np.int64) - target
    c_cost, g_cost = HUB_COST[AssignReason.same_compound], HUB_COST[AssignReason.same_grid]
    parts = [  # (tails, ends, capacities, costs), in the order read back below
        (i, n + j, np.ones(len(i)), cost),
        (c_homes, c_home_hub, np.ones(len(c_homes)), np.full(len(c_homes), c_cost)),
        (g_homes, g_home_hub, np.ones(len(g_homes)), np.full(len(g_homes), g_cost)),
        (c_head_hub, to_head, heads.max_capacity, np.zeros(m)),
        (g_head_hub, to_head, heads.max_capacity, np.zeros(m)),
        (to_head, np.full(m, sink), target, np.zeros(m)),
        (to_head, np.full(m, sink), over, np.full(m, OVER_TARGET_COST)),
        (np.arange(n), np.full(n, sink), np.ones(n), np.full(n, UNCOVERED_COST)),
    ]
    tails, ends, capacities, costs = (
        np.concatenate([p[k] for p in parts]).astype(np.int64) for k in range(4)
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, ends, capacities, costs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n], supplies[sink] = 1, -n
    flow.set_nodes_supplies(np.arange(sink + 1), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")

    sizes = np.cumsum([0, *(len(p[0]) for p in parts)])
    flows = [flow.flows(arcs[a:b]) for a, b in pairwise(sizes)]
    used = flows[0] > 0
    head_of[i[used]] = heads.id[j[used]]
    _match_hub(
        homes.compound, heads.compound, homes, heads, c_homes[flows[1] > 0], flows[3], head_of
    )
    _match_hub(homes.grid, heads.grid, homes, heads, g_homes[flows[2] > 0], flows[4], head_of)
    assigned = np.flatnonzero(head_of != UNASSIGNED)
    jj = _columns(heads.id, head_of[assigned])
    distance[assigned] = np.hypot(*(heads.xy[jj] - homes.xy[assigned]).T)
    for a, lvl in zip(assigned.tolist(), _levels(homes, heads, assigned, jj).tolist(), strict=True):
        reason[a] = LEVELS[lvl]
    return Solution(head_of, reason, distance)


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
