"""The assignment of open demands to resources: exact (a min-cost flow, OR-Tools) and
greedy nearest-first (the anchor it is measured against).

Each demand takes at most one resource; a resource serves at most its capacity.
The flow sends one unit from each demand to the sink, through a resource or
through an "unmet" arc. The unmet arc costs more than any walk, times the demand's
urgency (1..3): so the flow first meets as much urgency as capacity allows, then
walks the fewest metres. With ``coverage`` given, exactly that many demands are
met, at the fewest metres: the comparison with greedy at equal coverage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from geo_api.party.match.distances import Candidates
from geo_api.party.match.fit import RELATED_PENALTY_M, SAME_FIT


@dataclass(frozen=True)
class Assignment:
    """The pairs chosen: index into the candidates' pairs, one per demand met."""

    pairs: np.ndarray  # indices into Candidates.pair_*

    def met(self, cands: Candidates) -> int:
        """How many demands are met."""
        return len(self.pairs)

    def metres(self, cands: Candidates) -> float:
        """The total walk of the pairs chosen."""
        return float(cands.metres[self.pairs].sum())


def pair_costs(cands: Candidates) -> np.ndarray:
    """Each pair's cost in whole decimetres: its metres, plus the related-category
    penalty (integers: the flow solver's costs)."""
    penalty = np.where(cands.fit >= SAME_FIT, 0.0, RELATED_PENALTY_M)
    return np.asarray(np.rint((cands.metres + penalty) * 10), dtype=np.int64)


def solve_exact(cands: Candidates, coverage: int | None = None) -> Assignment:
    """The optimal assignment: the most urgency met, then the fewest metres (or, with
    ``coverage``, exactly that many demands met at the fewest metres)."""
    n_d, n_r, n_p = len(cands.demand_id), len(cands.resource_id), len(cands.pair_demand)
    if n_p == 0 or coverage == 0:
        return Assignment(np.zeros(0, dtype=np.int64))
    cost = pair_costs(cands)
    source, sink = n_d + n_r, n_d + n_r + 1
    # Leaving a demand unmet costs more than any chain of pairs an augmenting path
    # can change, so the flow meets the most urgency first, metres second.
    unmet = (int(cost.max()) + 1) * (n_d + 1)
    tails = [cands.pair_demand, n_d + np.arange(n_r)]
    heads = [n_d + cands.pair_resource, np.full(n_r, sink)]
    caps = [np.ones(n_p, dtype=np.int64), cands.capacity]
    costs = [cost, np.zeros(n_r, dtype=np.int64)]
    supplies = np.zeros(n_d + n_r + 2, dtype=np.int64)
    if coverage is None:
        tails.append(np.arange(n_d))
        heads.append(np.full(n_d, sink))
        caps.append(np.ones(n_d, dtype=np.int64))
        costs.append(unmet * cands.urgency)
        supplies[:n_d] = 1
        supplies[sink] = -n_d
    else:
        tails.append(np.full(n_d, source))
        heads.append(np.arange(n_d))
        caps.append(np.ones(n_d, dtype=np.int64))
        costs.append(np.zeros(n_d, dtype=np.int64))
        supplies[source], supplies[sink] = coverage, -coverage
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        *(np.concatenate(part).astype(np.int64) for part in (tails, heads, caps, costs))
    )
    solver.set_nodes_supplies(np.arange(len(supplies)), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status} (coverage {coverage})")
    flows = np.asarray(solver.flows(arcs[:n_p]), dtype=np.int64)
    return Assignment(np.flatnonzero(flows > 0))


def solve_greedy(cands: Candidates) -> Assignment:
    """Nearest first: pairs by cost, each taken while its demand is unmet and its
    resource has room."""
    order = np.argsort(pair_costs(cands), kind="stable")
    room = cands.capacity.copy()
    met = np.zeros(len(cands.demand_id), dtype=bool)
    chosen: list[int] = []
    for p in order:
        i, j = cands.pair_demand[p], cands.pair_resource[p]
        if not met[i] and room[j] > 0:
            met[i] = True
            room[j] -= 1
            chosen.append(int(p))
    return Assignment(np.array(sorted(chosen), dtype=np.int64))
