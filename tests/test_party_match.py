"""The matching of demands to resources: the exact solver against greedy and a brute
oracle, capacity, and walking distances checked against networkx on the same edges."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sqlalchemy import Connection, text

from geo_api.party.lists import add_demand, add_resource
from geo_api.party.match.distances import Candidates, candidates
from geo_api.party.match.propose import accept, propose
from geo_api.party.match.solve import solve_exact, solve_greedy
from geo_api.party.units import add_unit

YEAR = 2024


def made(
    pairs: list[tuple[int, int, float]], capacity: list[int], urgency: list[int] | None = None
) -> Candidates:
    """Candidates from (demand, resource, metres) triples, every pair of the same category."""
    n_d = 1 + max(p[0] for p in pairs)
    return Candidates(
        demand_id=np.arange(1, n_d + 1),
        urgency=np.array(urgency or [2] * n_d),
        resource_id=np.arange(1, len(capacity) + 1),
        capacity=np.array(capacity),
        pair_demand=np.array([p[0] for p in pairs]),
        pair_resource=np.array([p[1] for p in pairs]),
        metres=np.array([p[2] for p in pairs], dtype=float),
        fit=np.ones(len(pairs)),
        method="straight",
    )


def test_exact_meets_more_where_greedy_takes_the_nearest() -> None:
    """A is nearest X, B can only use X: greedy gives X to A and leaves B unmet."""
    cands = made([(0, 0, 100.0), (0, 1, 150.0), (1, 0, 120.0)], capacity=[1, 1])
    greedy, exact = solve_greedy(cands), solve_exact(cands)
    assert greedy.met(cands) == 1
    assert exact.met(cands) == 2
    assert exact.metres(cands) == pytest.approx(270.0)


def test_exact_walks_less_at_equal_coverage() -> None:
    """Greedy: A-X 100 then B-Y 900 (1000 m); exact: A-Y 110 and B-X 105 (215 m)."""
    cands = made([(0, 0, 100.0), (0, 1, 110.0), (1, 0, 105.0), (1, 1, 900.0)], capacity=[1, 1])
    greedy, exact = solve_greedy(cands), solve_exact(cands)
    assert greedy.met(cands) == exact.met(cands) == 2
    assert greedy.metres(cands) == pytest.approx(1000.0)
    assert exact.metres(cands) == pytest.approx(215.0)


def test_urgent_demands_come_first_when_capacity_is_short() -> None:
    """One resource, two demands: the urgent one gets it though it is farther."""
    cands = made([(0, 0, 100.0), (1, 0, 800.0)], capacity=[1], urgency=[1, 3])
    chosen = solve_exact(cands)
    assert cands.pair_demand[chosen.pairs].tolist() == [1]


def _oracle(cands: Candidates, coverage: int) -> float:
    """The fewest metres meeting ``coverage`` demands, by brute force over which
    demands are met and the Hungarian method on capacity copies."""
    n_d = len(cands.demand_id)
    copies = np.repeat(np.arange(len(cands.resource_id)), cands.capacity)
    big = 1e9
    cost = np.full((n_d, len(copies)), big)
    for i, j, m in zip(cands.pair_demand, cands.pair_resource, cands.metres, strict=True):
        cost[i, copies == j] = m
    best = np.inf
    for chosen in itertools.combinations(range(n_d), coverage):
        rows, cols = linear_sum_assignment(cost[list(chosen)])
        total = cost[list(chosen)][rows, cols].sum()
        if total < big:
            best = min(best, total)
    return float(best)


@pytest.mark.parametrize("seed", range(12))
def test_exact_is_optimal_and_never_worse_than_greedy(seed: int) -> None:
    """Random small cases: exact covers at least greedy's demands, walks no more at
    greedy's coverage, equals the brute-force optimum, and respects capacities."""
    rng = random.Random(seed)
    n_d, n_r = rng.randint(3, 7), rng.randint(2, 4)
    pairs = [
        (i, j, float(rng.randint(10, 999)))
        for i in range(n_d)
        for j in range(n_r)
        if rng.random() < 0.6
    ]
    if not pairs:
        pairs = [(0, 0, 50.0)]
    capacity = [rng.randint(1, 2) for _ in range(n_r)]
    cands = made(pairs, capacity)
    greedy, exact = solve_greedy(cands), solve_exact(cands)
    assert exact.met(cands) >= greedy.met(cands)
    same = solve_exact(cands, coverage=greedy.met(cands))
    assert same.met(cands) == greedy.met(cands)
    assert same.metres(cands) <= greedy.metres(cands) + 1e-6
    assert same.metres(cands) == pytest.approx(_oracle(cands, greedy.met(cands)), abs=0.2)
    for answer in (greedy, exact, same):
        used = np.bincount(cands.pair_resource[answer.pairs], minlength=n_r)
        assert (used <= cands.capacity).all()
        assert len(set(cands.pair_demand[answer.pairs].tolist())) == len(answer.pairs)


def _points(conn: Connection, n: int) -> list[tuple[float, float, str]]:
    """Points on compounds of the test city (lon, lat, community code), spread out."""
    rows = conn.execute(
        text("""SELECT ST_X(ST_PointOnSurface(cp.geom)) AS lon,
                       ST_Y(ST_PointOnSurface(cp.geom)) AS lat, c.code
                FROM compound cp JOIN community c ON c.id = cp.community_id
                ORDER BY cp.id LIMIT :n"""),
        {"n": n},
    ).all()
    return [(r.lon, r.lat, r.code) for r in rows]


def _seed_lists(conn: Connection) -> tuple[list[int], list[int]]:
    """Six demands and four resources (capacity 1 or 2) on the test city."""
    spots = _points(conn, 10)
    unit = add_unit(conn, "侯马市第一中学", "school", lon=spots[0][0], lat=spots[0][1])
    categories = ["elderly", "children", "elderly", "health", "elderly", "culture"]
    demands = [
        add_demand(
            conn,
            year=YEAR,
            title=f"需求{k}",
            category=cat,
            community=spots[k][2],
            lon=spots[k][0],
            lat=spots[k][1],
            urgency=1 + k % 3,
        )["id"]
        for k, cat in enumerate(categories)
    ]
    resources = [
        add_resource(
            conn,
            year=YEAR,
            title=f"资源{k}",
            kind="team",
            category=cat,
            unit_id=unit["id"],
            capacity=cap,
            lon=spots[6 + k][0],
            lat=spots[6 + k][1],
        )["id"]
        for k, (cat, cap) in enumerate(
            [("elderly", 1), ("education", 2), ("health", 1), ("elderly", 2)]
        )
    ]
    return demands, resources


def test_distances_are_network_metres(conn: Connection) -> None:
    """Every pair's metres equal networkx's shortest path over road_edge plus the
    geodesic steps to each point's nearest vertex; no pair within reach is missed."""
    _seed_lists(conn)
    reach = 3000.0
    cands = candidates(conn, YEAR, reach_m=reach)
    assert cands.method == "network"
    graph = nx.Graph()
    for s, t, m in conn.execute(text("SELECT source, target, length_m FROM road_edge")):
        if not graph.has_edge(s, t) or graph[s][t]["weight"] > m:
            graph.add_edge(s, t, weight=m)
    snaps = {
        (kind, row.id): (row.vertex, row.metres)
        for kind in ("party_demand", "party_resource")
        for row in conn.execute(
            text(f"""SELECT x.id, v.id AS vertex,
                        ST_Distance(v.geom::geography, x.geom::geography) AS metres
                     FROM {kind} x CROSS JOIN LATERAL (
                        SELECT id, geom FROM road_vertex
                        ORDER BY ST_Distance(geom::geography, x.geom::geography) LIMIT 1) v""")
        )
    }
    fits = {
        ("elderly", "elderly"),
        ("elderly", "health"),
        ("health", "elderly"),
        ("children", "education"),
        ("health", "health"),
        ("culture", "education"),
    }
    cats = dict(
        conn.execute(
            text(
                "SELECT d.id, lc.code FROM party_demand d "
                "JOIN list_category lc ON lc.id = d.category_id"
            )
        ).all()
    ) | {
        -r: c
        for r, c in conn.execute(
            text(
                "SELECT r.id, lc.code FROM party_resource r "
                "JOIN list_category lc ON lc.id = r.category_id"
            )
        ).all()
    }
    found = {
        (int(cands.demand_id[i]), int(cands.resource_id[j])): m
        for i, j, m in zip(cands.pair_demand, cands.pair_resource, cands.metres, strict=True)
    }
    expected = {}
    for d in cands.demand_id.tolist():
        dv, dm = snaps[("party_demand", d)]
        lengths = nx.single_source_dijkstra_path_length(graph, dv, weight="weight")
        for r in cands.resource_id.tolist():
            rv, rm = snaps[("party_resource", r)]
            metres = dm + lengths.get(rv, np.inf) + rm
            if (cats[d], cats[-r]) in fits and metres <= reach:
                expected[(d, r)] = metres
    assert expected, "the seeded lists should have pairs in reach"
    assert found.keys() == expected.keys()
    for key, metres in expected.items():
        assert found[key] == pytest.approx(metres, abs=0.01), key


def test_proposals_respect_capacity_and_accepting_makes_a_project(conn: Connection) -> None:
    """Each resource serves at most its capacity; an accepted match is a project with
    the walk recorded and its demand matched, and its resource's room is used."""
    _seed_lists(conn)
    answer = propose(conn, YEAR, reach_m=3000)
    assert answer["method"] == "network" and answer["met"] > 0
    used: dict[int, int] = {}
    for p in answer["proposals"]:
        used[p["resource"]["id"]] = used.get(p["resource"]["id"], 0) + 1
    capacity = dict(conn.execute(text("SELECT id, capacity FROM party_resource")).all())
    assert all(n <= capacity[r] for r, n in used.items())
    first = answer["proposals"][0]
    project = accept(conn, first["demand"]["id"], [first["resource"]["id"]], reach_m=3000)
    assert project["resources"][0]["distance_m"] == pytest.approx(
        first["resource"]["metres"], abs=0.1
    )
    assert (
        conn.execute(
            text("SELECT status FROM party_demand WHERE id = :id"), {"id": first["demand"]["id"]}
        ).scalar_one()
        == "matched"
    )
    again = propose(conn, YEAR, reach_m=3000)
    assert first["demand"]["id"] not in {p["demand"]["id"] for p in again["proposals"]}
    left = candidates(conn, YEAR, reach_m=3000)
    room = dict(zip(left.resource_id.tolist(), left.capacity.tolist(), strict=True))
    taken = first["resource"]["id"]
    assert room.get(taken, 0) == capacity[taken] - 1
