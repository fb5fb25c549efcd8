"""The optimal assignment of one community, as a min-cost flow (OR-Tools).

Every household sends one unit of flow to the sink: through a head it may
belong to, or through an "uncovered" arc that costs more than any real path,
so every household is covered while capacity allows. Each head's arc to the
sink is split in two: up to its target at no cost, and from the target to its
hard maximum at OVER_TARGET_COST, so that nobody goes over target while a head
of the compound has room. A path costs its metres, plus a penalty for leaving
the unit, building or compound, plus KEEP_BONUS unless it leads to the
household's previous head (so an unchanged city keeps its assignment, ties
included).

Direct arcs per household: the heads of its own building, its previous head,
and the CANDIDATES nearest heads of its compound; a hub per compound reaches
every other head of it at a flat cost above any walk, so the graph stays linear
in the households and no head with room is out of reach. Households never leave
their compound (the grid level is for later). Same interface as the greedy
solver.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree

from geo_api.assign.solver import UNASSIGNED, Heads, Households, Solution
from geo_api.db.models import AssignReason

LEVEL_COST = {  # metres' worth of leaving one's own unit, building, compound
    AssignReason.own_unit: 0,
    AssignReason.same_building: 100,
    AssignReason.same_compound: 300,
}
OVER_TARGET_COST = 2_000_000  # beyond target only when nobody in reach has room
KEEP_BONUS = 50  # metres' worth of staying with the previous head
UNCOVERED_COST = 100_000_000
# Costs rank: any walk < the hub < going over target < leaving a household out.
HUB_COST = 1_000_000  # via the compound hub: any head of the compound, at a flat cost
CANDIDATES = 12  # nearest heads considered beyond one's own unit and building


def _levels(homes: Households, heads: Heads, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """0 own unit, 1 same building, 2 same compound, 3 beyond (not a candidate)."""
    return np.select(
        [
            heads.unit[j] == homes.unit[i],
            heads.building[j] == homes.building[i],
            heads.compound[j] == homes.compound[i],
        ],
        [0, 1, 2],
        default=3,
    )


LEVELS = [AssignReason.own_unit, AssignReason.same_building, AssignReason.same_compound]


def _candidates(homes: Households, heads: Heads) -> tuple[np.ndarray, np.ndarray]:
    """(household, head) index pairs worth an arc: the own building's heads, the
    nearest heads, and the previous head; only within the household's compound."""
    n = len(homes.id)
    i_parts: list[np.ndarray] = []
    j_parts: list[np.ndarray] = []
    for c in np.unique(heads.compound):  # the k nearest heads *of the same compound*
        hj = np.flatnonzero(heads.compound == c)
        hi = np.flatnonzero(homes.compound == c)
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
    column = {int(h): j for j, h in enumerate(heads.id)}
    previous = np.array([column.get(int(p), -1) for p in homes.previous])
    had = previous >= 0
    i_parts.append(np.flatnonzero(had))
    j_parts.append(previous[had])
    pairs = np.unique(
        np.column_stack([np.concatenate(i_parts), np.concatenate(j_parts)]).astype(np.int64), axis=0
    )
    i, j = pairs[:, 0], pairs[:, 1]
    keep = _levels(homes, heads, i, j) < 3
    return i[keep], j[keep]


def solve_community_flow(homes: Households, heads: Heads) -> Solution:
    """Assign one community's households to its unit heads at the least total cost."""
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

    # Nodes: households 0..n-1, heads n..n+m-1, one hub per compound, the sink.
    # The hub links every household of a compound to every head of it at a flat,
    # high cost: any head with room stays reachable, with only k direct arcs each.
    compounds, hub_of_head = np.unique(heads.compound, return_inverse=True)
    home_hub = np.searchsorted(compounds, homes.compound)
    has_hub = (home_hub < len(compounds)) & (
        compounds[np.minimum(home_hub, len(compounds) - 1)] == homes.compound
    )
    hubs = n + m + np.arange(len(compounds))
    sink = n + m + len(compounds)
    heads_idx = np.arange(m)
    target = heads.capacity.astype(np.int64)
    over = heads.max_capacity.astype(np.int64) - target
    hub_homes = np.flatnonzero(has_hub)
    hub_cost = LEVEL_COST[AssignReason.same_compound] + HUB_COST
    parts = [  # (tails, ends, capacities, costs)
        (i, n + j, np.ones(len(i)), cost),
        (
            hub_homes,
            hubs[home_hub[hub_homes]],
            np.ones(len(hub_homes)),
            np.full(len(hub_homes), hub_cost),
        ),
        (hubs[hub_of_head], n + heads_idx, heads.max_capacity, np.zeros(m)),
        (n + heads_idx, np.full(m, sink), target, np.zeros(m)),
        (n + heads_idx, np.full(m, sink), over, np.full(m, OVER_TARGET_COST)),
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

    used = flow.flows(arcs[: len(i)]) > 0
    head_of[i[used]] = heads.id[j[used]]
    start = len(i)
    via_hub = hub_homes[flow.flows(arcs[start : start + len(hub_homes)]) > 0]
    start += len(hub_homes)
    into_heads = flow.flows(arcs[start : start + m])
    _match_hub(homes, heads, via_hub, into_heads, head_of)
    assigned = np.flatnonzero(head_of != UNASSIGNED)
    column = {int(h): k for k, h in enumerate(heads.id)}
    jj = np.array([column[int(h)] for h in head_of[assigned]], dtype=np.int64)
    distance[assigned] = np.hypot(*(heads.xy[jj] - homes.xy[assigned]).T)
    for a, lvl in zip(assigned, _levels(homes, heads, assigned, jj), strict=True):
        reason[a] = LEVELS[lvl]
    return Solution(head_of, reason, distance)


def _match_hub(
    homes: Households,
    heads: Heads,
    via_hub: np.ndarray,
    into_heads: np.ndarray,
    head_of: np.ndarray,
) -> None:
    """Pair the households routed through a hub with the heads the hub fed, nearest
    first. The flow prices every such pairing the same (the hub is a last resort,
    used only when no direct arc has room), so this only makes the walks shorter."""
    room = into_heads.astype(np.int64).copy()
    for i in via_hub:
        open_heads = np.flatnonzero((room > 0) & (heads.compound == homes.compound[i]))
        gaps = np.hypot(*(heads.xy[open_heads] - homes.xy[i]).T)
        j = open_heads[int(np.argmin(gaps))]
        head_of[i] = heads.id[j]
        room[j] -= 1
