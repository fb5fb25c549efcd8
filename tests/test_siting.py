"""Siting new outposts: the best k sites and the fewest covering everyone reachable."""

from __future__ import annotations

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point
from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError
from geo_api.network.build import build_network
from geo_api.siting.coverage import candidates, demand, reach_pairs
from geo_api.siting.outposts import plan_outposts


def _pairs(conn: Connection, reach: float) -> tuple[dict[int, set[int]], dict[int, int]]:
    need, method = demand(conn, reach)
    sites = candidates(conn, None)
    pairs = reach_pairs(conn, sites, need["unit_id"].tolist(), reach, method)
    by_site = {int(c): set(g["unit_id"]) for c, g in pairs.groupby("candidate")}
    return by_site, dict(zip(need["unit_id"], need["households"], strict=True))


def test_one_outpost_is_the_best_single_site(conn: Connection) -> None:
    by_site, weight = _pairs(conn, 300)
    best = max(sum(weight[u] for u in units) for units in by_site.values())
    plan = plan_outposts(conn, k=1, reach_m=300)
    assert plan.method == "network" and plan.optimal
    assert len(plan.sites) == 1 and plan.sites[0].households == best
    assert plan.covered_after == plan.covered_before + best


def test_k_outposts_beat_greedy_and_the_cover_covers_all(conn: Connection) -> None:
    by_site, weight = _pairs(conn, 300)
    done: set[int] = set()
    for _ in range(3):  # greedy, as a lower bound on the optimum
        site = max(by_site, key=lambda c: sum(weight[u] for u in by_site[c] - done))
        done |= by_site[site]
    plan = plan_outposts(conn, k=3, reach_m=300)
    gained = plan.covered_after - plan.covered_before
    assert gained == sum(s.households for s in plan.sites)
    assert gained >= sum(weight[u] for u in done)
    reachable = set().union(*by_site.values())
    assert plan.reachable == sum(weight[u] for u in reachable)
    names = candidates(conn, None)["name"].tolist()
    chosen = [names.index(s.name) for s in plan.cover_all]
    assert set().union(*(by_site[c] for c in chosen)) == reachable
    for c in chosen:  # none can be dropped
        rest = set().union(*(by_site[o] for o in chosen if o != c))
        assert rest != reachable


def test_own_candidate_points(conn: Connection) -> None:
    gates = candidates(conn, None)
    points = gpd.GeoDataFrame(
        {"name": ["甲", "乙"]},
        geometry=[Point(gates["lon"][0], gates["lat"][0]), Point(111.2, 35.9)],
        crs=4326,
    )
    plan = plan_outposts(conn, k=2, reach_m=300, points=points)
    assert [s.name for s in plan.sites] == ["甲"] and plan.sites[0].households > 0
    with pytest.raises(InvalidInputError, match="k must be"):
        plan_outposts(conn, k=0)


def test_api(client: TestClient) -> None:
    body = client.get("/siting", params={"k": 2, "reach": 300}).json()
    assert len(body["sites"]) == 2 and body["covered_after"] > body["covered_before"]
    assert client.get("/siting", params={"k": 0}).status_code == 422
    areas = client.get("/service-areas", params={"reach": 500, "tier": "community"}).json()
    assert areas["features"] and {f["properties"]["reach_m"] for f in areas["features"]} == {500}
    assert client.get("/service-areas", params={"tier": "nope"}).status_code == 422
    assert client.get("/service-areas", params={"reach": 3_000_000_000}).status_code == 422
    assert client.get("/siting", params={"reach": 5000}).status_code == 422
    gaps = client.get("/gaps", params={"type": "beyond_10min_walk", "reach": "300,800,1000"})
    assert gaps.status_code == 200 and any(lk["href"] == "/siting" for lk in gaps.json()["links"])
    assert client.get("/gaps", params={"reach": "300,500"}).status_code == 422
    assert client.get("/gaps", params={"reach": "900,500,1000"}).status_code == 422


def test_without_roads_outposts_are_sited_by_straight_lines(conn: Connection) -> None:
    conn.execute(text("DELETE FROM road"))
    build_network(conn)
    plan = plan_outposts(conn, k=2, reach_m=100)
    assert plan.method == "straight"
    assert plan.reachable > 0 and 1 <= len(plan.sites) <= 2
    assert plan.covered_after - plan.covered_before == sum(s.households for s in plan.sites) > 0
