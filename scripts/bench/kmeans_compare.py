"""Compare the flow assignment with k-means-constrained on a 20,000-household sample.

The acceptance goal: "against k-means-constrained on a 20,000-household sample:
at least 10 times faster at equal or lower total distance".

**The task both get.** Cover the same N households with groups of at most 18,
each group met at one household's home, and walk as little as possible in
total. That is what a unit head is: a resident (their home is a household
point) who looks after about 18 households.

* **k-means → medoid homes** (``KMeansConstrained(n_clusters=ceil(N/18),
  size_max=18)``) forms the groups on its own. Its centres are means, not
  homes, so each group is met at its **medoid**: the member whose home has the
  least total distance to the others, the best head a group could have. This
  is the anchor. **k-means → centres** shows the kilometres to the means; they
  are not lower (means minimise *squared* distance).
* **flow → existing heads** is what gridgov does (`gridgov assign --solver
  flow`): the same households go to the unit heads the sample's communities
  already have (target 18, hard maximum 25), one community after another,
  never leaving their grid, with penalties for leaving one's unit or
  building. Those are restrictions that k-means does not have.
* **flow → k-means medoids** gives the gridgov flow k-means' own group count
  and meeting points (capacity 18, no unit or building in common, so metres
  alone decide): the assignment step alone, on equal terms. Its time excludes
  the time k-means took to find those points.
* **exact** rows are references, not contenders: a dense min-cost flow
  (an arc from every household to every head, metres only) at the existing
  heads (per community; over target only where the targets leave households
  out, as the product) and at the medoids (at most 18 each). No assignment
  to those heads can walk less, so they separate what the heads' homes cost
  from what the solver leaves on the table.

k-means → medoid homes against flow → existing heads answers the acceptance
goal as the product stands; against flow → k-means medoids it answers it for
the assignment step alone. There the flow's pruning shows: each household has
arcs to its 12 nearest heads only, the rest through a flat-cost hub, so with
no room to spare (target = maximum = 18) it walks far more than the exact row.

**The group count decides the distance.** With ``ceil(N/18)`` groups of at
most 18, k-means has almost no room (20,000 households, 1,112 × 18 = 20,016
places) and ends in poor groups; the existing heads are a few per cent more
(the city's own count) and may take up to 25. ``--groups`` gives k-means the
heads' count instead. Measured on the demo city (seed 0, 2 cores): k-means
took 430 s for 223.4 km with 1,112 groups (241.4 km with seed 1), 166.2 km with
1,120 and 122.4 km with 1,149 (the heads' count, 243 s); the flow to the 1,149
existing heads took 0.3 s for 182.7 km, and the exact assignment to them
178.9 km.

**The sample.** Whole communities in a seeded random order, with their unit
heads, until N households; the last community by whole compounds (each with
its heads), and the last compound cut down at random to make exactly N. Whole
communities keep about one head per 18 households, as in the city. A uniform sample of households
from the whole city would strand most heads with too few households to compare.

**k-means-constrained settings.** ``n_init=1`` (the least it allows; the
default is 10, each a full run), ``init="k-means++"``, ``max_iter=300`` and
``tol=1e-4`` (library defaults; ``--max-iter`` caps the run), ``size_min``
unset, ``random_state`` from ``--seed``. Each iteration solves a *dense*
min-cost flow: an arc from every household to every centre (20,000 × 1,112,
about 22 million arcs), which is where its time goes. The gridgov flow keeps
about 12 arcs per household.

Both sides get the same arrays in metres; only ``fit`` / the solve is timed,
nothing is written to the store. Run (k-means-constrained is in the ``bench``
dependency group):

    uv run --group bench python scripts/bench/kmeans_compare.py [--sample N]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import numpy as np
from assign import load
from benchkit import console, prepare
from ortools.graph.python import min_cost_flow
from rich.table import Table

from geo_api.assign.flow import solve_community_flow
from geo_api.assign.solver import UNASSIGNED, Heads, Households, Solution

SAMPLE = 20_000
GROUP = 18  # households per unit head: k-means' size_max and the medoid heads' capacity
SEED = 0
T = TypeVar("T", Households, Heads)


# -- the data ----------------------------------------------------------------------------------
def subset(obj: T, rows: np.ndarray) -> T:
    """The same dataclass with only ``rows``."""
    return type(obj)(**{f.name: getattr(obj, f.name)[rows] for f in fields(obj)})


@dataclass
class Sample:
    homes: Households
    heads: Heads
    home_c: np.ndarray  # community of each household
    head_c: np.ndarray
    communities: int


def sample_communities(
    homes: Households, heads: Heads, home_c: np.ndarray, head_c: np.ndarray, n: int, seed: int
) -> Sample:
    """Whole communities in a seeded order until ``n`` households; the last one by whole
    compounds (each with its heads), the last compound cut down at random."""
    rng = np.random.default_rng(seed)
    rows_in: list[np.ndarray] = []
    cols_in: list[np.ndarray] = []
    left = n
    for c in rng.permutation(np.unique(home_c)):
        if left == 0:
            break
        rows, cols = np.flatnonzero(home_c == c), np.flatnonzero(head_c == c)
        if len(rows) > left:
            rows, cols = cut(homes, heads, rows, cols, left, rng)
        rows_in.append(rows)
        cols_in.append(cols)
        left -= len(rows)
    if left:
        sys.exit(f"the city has {n - left:,} households, fewer than the sample's {n:,}")
    rows, cols = np.concatenate(rows_in), np.concatenate(cols_in)
    return Sample(
        subset(homes, rows), subset(heads, cols), home_c[rows], head_c[cols], len(rows_in)
    )


def cut(
    homes: Households,
    heads: Heads,
    rows: np.ndarray,
    cols: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` of the households ``rows``: whole compounds in a random order, the last
    one's households at random; with every head of the compounds taken. Heads stay
    with their own households, so no grid is left short of heads by the cut."""
    kept: list[np.ndarray] = []
    taken: list[int] = []
    for compound in rng.permutation(np.unique(homes.compound[rows])):
        inside = rows[homes.compound[rows] == compound]
        need = n - sum(len(k) for k in kept)
        if need <= 0:
            break
        kept.append(inside if len(inside) <= need else rng.choice(inside, need, replace=False))
        taken.append(int(compound))
    return np.sort(np.concatenate(kept)), cols[np.isin(heads.compound[cols], taken)]


# -- k-means-constrained -----------------------------------------------------------------------
@dataclass
class KMeansRun:
    seconds: float  # fit() alone
    labels: np.ndarray  # group of each point
    centres: np.ndarray  # (k, 2)
    iterations: int
    max_iter: int

    @property
    def converged(self) -> bool:
        return self.iterations < self.max_iter


def run_kmeans_constrained(
    xy: np.ndarray,
    size_max: int = GROUP,
    *,
    groups: int | None = None,
    max_iter: int = 300,
    seed: int = SEED,
    verbose: bool = False,
) -> KMeansRun:
    """``groups`` groups (default ``ceil(N / size_max)``) of at most ``size_max`` points
    (see the module docstring for the settings)."""
    try:
        from k_means_constrained import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            KMeansConstrained,
        )
    except ImportError:
        sys.exit(
            "k-means-constrained is not installed: run with `uv run --group bench ...` "
            "(or `uv run --with k-means-constrained ...`)"
        )
    model: Any = KMeansConstrained(
        n_clusters=groups or math.ceil(len(xy) / size_max),
        size_max=size_max,
        init="k-means++",
        n_init=1,
        max_iter=max_iter,
        tol=1e-4,
        random_state=seed,
        n_jobs=1,
        verbose=verbose,
    )
    started = time.perf_counter()
    model.fit(xy)
    seconds = time.perf_counter() - started
    labels = np.asarray(model.labels_, dtype=np.int64)
    return KMeansRun(seconds, labels, np.asarray(model.cluster_centers_), model.n_iter_, max_iter)


def medoids(xy: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """For each group, the index of the member with the least total distance to the
    others (-1 for an empty group)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(k + 1))
    out = np.full(k, -1, dtype=np.int64)
    for g in range(k):
        members = order[bounds[g] : bounds[g + 1]]
        if len(members):
            gaps = xy[members, None, :] - xy[None, members, :]
            out[g] = members[int(np.argmin(np.hypot(gaps[..., 0], gaps[..., 1]).sum(axis=1)))]
    return out


# -- the flow ----------------------------------------------------------------------------------
def flow_per_community(sample: Sample) -> Solution:
    """What `gridgov assign --solver flow` solves: each community on its own."""
    n = len(sample.homes.id)
    head_of = np.full(n, UNASSIGNED, dtype=np.int64)
    distance = np.zeros(n)
    reason: list[Any] = [None] * n
    for c in np.unique(sample.home_c):
        rows = np.flatnonzero(sample.home_c == c)
        cols = np.flatnonzero(sample.head_c == c)
        part = solve_community_flow(subset(sample.homes, rows), subset(sample.heads, cols))
        head_of[rows], distance[rows] = part.head, part.distance_m
        for k, r in zip(rows, part.reason, strict=True):
            reason[k] = r
    return Solution(head_of, reason, distance)


OWN_PLACES = ("unit", "building")  # a medoid head shares none of these with anybody


def heads_at(xy: np.ndarray, points: np.ndarray, capacity: int) -> tuple[Households, Heads]:
    """Households at ``xy`` and heads of ``capacity`` (target = maximum) at ``points``, in
    one region with no unit or building in common, so the flow weighs metres alone
    (every arc pays the same compound penalty, which changes no choice)."""
    n, k = len(xy), len(points)

    def places(cls: type[T], size: int, own: np.ndarray) -> dict[str, np.ndarray]:
        skip = {"id", "xy", "previous", "capacity", "max_capacity"}
        return {
            f.name: own if f.name in OWN_PLACES else np.zeros(size, dtype=np.int64)
            for f in fields(cls)
            if f.name not in skip
        }

    homes = Households(
        id=np.arange(n),
        xy=xy,
        previous=np.full(n, UNASSIGNED),
        **places(Households, n, np.arange(n)),
    )
    heads = Heads(
        id=np.arange(k),
        xy=points,
        capacity=np.full(k, capacity),
        max_capacity=np.full(k, capacity),
        **places(Heads, k, -1 - np.arange(k)),
    )
    return homes, heads


OVER_TARGET = 10**7  # metres' worth of one household over a head's target
UNCOVERED = 10**9  # metres' worth of leaving a household out: only when no head has room


def exact_assignment(
    xy: np.ndarray, head_xy: np.ndarray, target: np.ndarray, maximum: np.ndarray | None = None
) -> Solution:
    """The least total metres from each point to a head, a dense min-cost flow with an
    arc from every point to every head: up to ``target[j]`` points each, and up to
    ``maximum[j]`` only where the targets leave points out (as few as can be)."""
    n, m = len(xy), len(head_xy)
    over = (target if maximum is None else maximum) - target
    i, j = np.repeat(np.arange(n), m), np.tile(np.arange(m), n)
    metres = np.hypot(*(head_xy[j] - xy[i]).T)
    sink, to_head = n + m, n + np.arange(m)
    parts = [  # (tails, ends, capacities, costs)
        (i, n + j, np.ones(len(i)), np.rint(metres)),
        (to_head, np.full(m, sink), target, np.zeros(m)),
        (to_head, np.full(m, sink), over, np.full(m, OVER_TARGET)),
        (np.arange(n), np.full(n, sink), np.ones(n), np.full(n, UNCOVERED)),
    ]
    tails, ends, capacities, costs = (
        np.concatenate([p[k] for p in parts]).astype(np.int64) for k in range(4)
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, ends, capacities, costs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n], supplies[sink] = 1, -n
    flow.set_nodes_supplies(np.arange(sink + 1), supplies)
    if flow.solve() != flow.OPTIMAL:
        raise RuntimeError("the exact assignment found no optimum")
    used = flow.flows(arcs[: len(i)]) > 0
    head_of = np.full(n, UNASSIGNED, dtype=np.int64)
    distance = np.zeros(n)
    head_of[i[used]], distance[i[used]] = j[used], metres[used]
    return Solution(head_of, [None] * n, distance)


def exact_per_community(sample: Sample) -> Solution:
    """The exact assignment to the existing heads, one community at a time: up to
    their target, over it (up to their maximum) only where the product must too.
    Metres alone, crossing no community but any unit, building, compound or grid:
    no assignment to these heads that the product allows can walk less."""
    n = len(sample.homes.id)
    head_of = np.full(n, UNASSIGNED, dtype=np.int64)
    distance = np.zeros(n)
    for c in np.unique(sample.home_c):
        rows = np.flatnonzero(sample.home_c == c)
        cols = np.flatnonzero(sample.head_c == c)
        part = exact_assignment(
            sample.homes.xy[rows],
            sample.heads.xy[cols],
            sample.heads.capacity[cols],
            sample.heads.max_capacity[cols],
        )
        done = part.head != UNASSIGNED
        head_of[rows[done]] = sample.heads.id[cols[part.head[done]]]
        distance[rows] = part.distance_m
    return Solution(head_of, [None] * n, distance)


def timed(name: str, solve: Callable[[], Solution]) -> Row:
    console.print(f"{name} ...")
    started = time.perf_counter()
    solution = solve()
    return flow_row(name, time.perf_counter() - started, solution)


# -- the table ---------------------------------------------------------------------------------
@dataclass
class Row:
    name: str
    seconds: float
    groups: int  # heads (or groups) that serve somebody
    largest: int  # households of the fullest group
    over: int  # households beyond GROUP in their group
    uncovered: int
    km: float  # households to their group's meeting point


def flow_row(name: str, seconds: float, solution: Solution) -> Row:
    assigned = solution.head != UNASSIGNED
    _, load = np.unique(solution.head[assigned], return_counts=True)
    km = float(solution.distance_m[assigned].sum() / 1000)
    over = int(np.maximum(load - GROUP, 0).sum())
    return Row(name, seconds, len(load), int(load.max()), over, int((~assigned).sum()), km)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, help="build a city of N in gridgov_bench")
    parser.add_argument("--sample", type=int, default=SAMPLE, help="households to compare on")
    parser.add_argument("--groups", type=int, help="k-means groups (default: ceil(N/18))")
    parser.add_argument("--max-iter", type=int, default=300, help="k-means iterations at most")
    parser.add_argument("--seed", type=int, default=SEED, help="sample and k-means++ seed")
    parser.add_argument("--verbose", action="store_true", help="k-means: print each iteration")
    args = parser.parse_args()

    sample = sample_communities(*load(prepare(args.households)), n=args.sample, seed=args.seed)
    xy = sample.homes.xy
    k = args.groups or math.ceil(len(xy) / GROUP)
    console.print(
        f"sample: {len(xy):,} households and {len(sample.heads.id):,} unit heads in "
        f"{sample.communities} communities; k-means groups: {k:,}"
    )

    own_row = timed("flow → existing heads", lambda: flow_per_community(sample))
    exact_own = timed("exact → existing heads", lambda: exact_per_community(sample))

    console.print(f"k-means-constrained (n_init=1, max_iter={args.max_iter}) ...")
    km = run_kmeans_constrained(
        xy, GROUP, groups=k, max_iter=args.max_iter, seed=args.seed, verbose=args.verbose
    )
    sizes = np.bincount(km.labels, minlength=k)
    to_centre = float(np.hypot(*(xy - km.centres[km.labels]).T).sum() / 1000)
    med = medoids(xy, km.labels, k)
    to_medoid = float(np.hypot(*(xy - xy[med[km.labels]]).T).sum() / 1000)
    common = (km.seconds, int((sizes > 0).sum()), int(sizes.max()), 0, 0)
    kmc_medoid = Row("k-means → medoid homes", *common, to_medoid)
    kmc_centre = Row("k-means → centres", *common, to_centre)

    points = xy[med[med >= 0]]
    homes_m, heads_m = heads_at(xy, points, GROUP)
    medoid_row = timed("flow → k-means medoids", lambda: solve_community_flow(homes_m, heads_m))
    exact_medoid = timed(
        "exact → k-means medoids",
        lambda: exact_assignment(xy, points, np.full(len(points), GROUP)),
    )

    table = Table(
        title=f"Flow vs k-means-constrained: {len(xy):,} households, groups of ≤{GROUP}, "
        f"{os.cpu_count()} cores"
    )
    columns = ("method", "seconds", "speed-up", "groups", "largest", f"over {GROUP}", "uncovered")
    for column in (*columns, "km walked", "km vs k-means"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for row in (kmc_medoid, kmc_centre, own_row, exact_own, medoid_row, exact_medoid):
        table.add_row(
            row.name,
            f"{row.seconds:.2f}",
            f"{km.seconds / row.seconds:,.1f}×" if row.seconds else "-",
            f"{row.groups:,}",
            f"{row.largest}",
            f"{row.over:,}",
            f"{row.uncovered:,}",
            f"{row.km:,.1f}",
            f"{row.km / kmc_medoid.km:.3f}",
        )
    console.print(table)
    state = "converged" if km.converged else f"stopped at max_iter={km.max_iter}"
    console.print(f"k-means-constrained: {km.iterations} iterations, {state}; seed {args.seed}")
    console.print(
        "speed-up: k-means' seconds over the row's; km vs k-means: over k-means' medoid homes"
    )
    console.print(
        f"flow → existing heads against k-means → medoid homes: "
        f"{km.seconds / own_row.seconds:,.1f}× faster, {own_row.km / kmc_medoid.km:.3f} of "
        f"the distance, with {len(sample.heads.id):,} heads against {int((sizes > 0).sum()):,} "
        "groups (see --groups)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
