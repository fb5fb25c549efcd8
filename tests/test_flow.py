"""The min-cost-flow solver: invariants on random communities (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_api.assign.flow import KEEP_BONUS, solve_community_flow
from geo_api.assign.solver import UNASSIGNED, Heads, Households, Solution, solve_community


@st.composite
def communities(draw: st.DrawFn) -> tuple[Households, Heads]:
    """A random community: compounds of buildings of units, households, and heads."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # Up to 5 km across; and sometimes everyone at their building's point, as when
    # a city's addresses geocode to the building (ties everywhere).
    span = draw(st.sampled_from([500.0, 3_000.0, 5_000.0]))
    stacked = draw(st.booleans())
    n_units = draw(st.integers(1, 12))
    building = rng.integers(0, max(1, n_units // 2), n_units)
    compound = building % 3
    grid = compound // 2  # compounds 0 and 1 share a grid; 2 has one of its own
    sizes = rng.integers(0, 30, n_units)
    unit = np.repeat(np.arange(n_units), sizes)
    spot = rng.uniform(0, span, (n_units, 2))  # one point per building id
    n = len(unit)
    homes = Households(
        id=np.arange(1, n + 1),
        unit=unit,
        building=building[unit],
        compound=compound[unit],
        grid=grid[unit],
        xy=spot[building[unit]] if stacked else rng.uniform(0, span, (n, 2)),
        previous=np.full(n, UNASSIGNED),
    )
    head_units = rng.choice(n_units, draw(st.integers(0, n_units + 3)))
    m = len(head_units)
    target = rng.integers(1, 20, m)
    heads = Heads(
        id=np.arange(1000, 1000 + m),
        unit=head_units,
        building=building[head_units],
        compound=compound[head_units],
        grid=grid[head_units],
        capacity=target,
        max_capacity=target + rng.integers(0, 8, m),
        xy=spot[building[head_units]] if stacked else rng.uniform(0, span, (m, 2)),
    )
    return homes, heads


def shortfall(heads: Heads, solution: Solution) -> tuple[int, int]:
    """(households uncovered, households over their head's target): what the flow puts
    first and second, before distance."""
    ids, load = np.unique(solution.head[solution.head != UNASSIGNED], return_counts=True)
    target = dict(zip(heads.id.tolist(), heads.capacity.tolist(), strict=True))
    over = sum(max(0, n - target[int(h)]) for h, n in zip(ids, load, strict=True))
    return int((solution.head == UNASSIGNED).sum()), int(over)


@settings(max_examples=60, deadline=None)
@given(communities())
def test_flow_invariants(community: tuple[Households, Heads]) -> None:
    homes, heads = community
    solution = solve_community_flow(homes, heads)
    assigned = solution.head != UNASSIGNED
    column = {int(h): j for j, h in enumerate(heads.id)}
    load = np.zeros(len(heads.id), dtype=int)
    for i in np.flatnonzero(assigned):
        j = column[int(solution.head[i])]
        load[j] += 1
        # Never beyond the grid, and the reason says where the head is.
        assert heads.grid[j] == homes.grid[i]
        assert (solution.reason[i].value == "own_unit") == (heads.unit[j] == homes.unit[i])
        assert (solution.reason[i].value == "same_grid") == (heads.compound[j] != homes.compound[i])
    assert (load <= heads.max_capacity).all()
    # Nobody goes over target while a head of the same grid is below it.
    for g in np.unique(heads.grid):
        same = heads.grid == g
        assert not (
            (load[same] > heads.capacity[same]).any() and (load[same] < heads.capacity[same]).any()
        )
    # Nobody is left out while a head of their grid still has room.
    for i in np.flatnonzero(~assigned):
        same = heads.grid == homes.grid[i]
        assert (load[same] >= heads.max_capacity[same]).all()
    # Never worse than the greedy engine on what matters first: coverage, then load.
    assert shortfall(heads, solution) <= shortfall(heads, solve_community(homes, heads))


@settings(max_examples=60, deadline=None)
@given(communities())
def test_flow_rerun_moves_nobody(community: tuple[Households, Heads]) -> None:
    homes, heads = community
    first = solve_community_flow(homes, heads)
    homes.previous = first.head.copy()
    again = solve_community_flow(homes, heads)
    assert (again.head == first.head).all()
    assert KEEP_BONUS > 0
