"""Siting new outposts (驿站) for the homes no station reaches on foot.

Two questions, both over the same coverage (geo_api.siting.coverage):
- with ``k`` new outposts, which sites cover the most households now beyond reach
  (the maximal covering location problem);
- how few sites would cover every household that any candidate can reach (set
  cover).
Both are solved exactly with OR-Tools' CP-SAT, within a time limit; the plan says
whether each solve was proven optimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
from ortools.sat.python import cp_model
from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError
from geo_api.siting.coverage import candidates, demand, reach_pairs

SECONDS = 10.0  # each of the two solves
MAX_K = 500
MAX_REACH_M = 1500  # an outpost serves its 5-minute circle; past 15 minutes it is no outpost


@dataclass(frozen=True)
class Site:
    """A proposed outpost: where, and the households it newly reaches."""

    name: str
    lon: float
    lat: float
    households: int


@dataclass
class SitingPlan:
    """The proposals, with coverage before and after, in households."""

    reach_m: float
    method: str  # network or straight
    households: int  # all households of the city
    covered_before: int
    covered_after: int  # with the k best sites
    reachable: int  # beyond reach now, but within reach of some candidate
    sites: list[Site] = field(default_factory=list)  # the k best
    cover_all: list[Site] = field(default_factory=list)  # the fewest covering everyone reachable
    optimal: bool = True


def plan_outposts(
    conn: Connection,
    k: int = 5,
    reach_m: float = 300.0,
    points: gpd.GeoDataFrame | None = None,
) -> SitingPlan:
    """Propose ``k`` outposts and the fewest that would cover everyone (see module)."""
    if not 1 <= k <= MAX_K:
        raise InvalidInputError(f"k must be 1 to {MAX_K} new outposts, not {k}")
    if not 50 <= reach_m <= MAX_REACH_M:
        raise InvalidInputError(f"reach must be 50 to {MAX_REACH_M} m, not {reach_m}")
    current = text("SELECT count(*) FROM household WHERE ended_on IS NULL")
    total = int(conn.execute(current).scalar_one())
    need, method = demand(conn, reach_m)
    sites = candidates(conn, points)
    pairs = reach_pairs(conn, sites, need["unit_id"].tolist(), reach_m, method)
    weight = dict(zip(need["unit_id"], need["households"], strict=True))
    uncovered = int(need["households"].sum())
    plan = SitingPlan(
        reach_m=reach_m,
        method=method,
        households=total,
        covered_before=total - uncovered,
        covered_after=total - uncovered,
        reachable=int(sum(weight[u] for u in pairs["unit_id"].unique())),
    )
    if pairs.empty:
        return plan
    best, optimal_k = _solve(pairs, weight, k=k)
    fewest, optimal_all = _solve(pairs, weight, k=None)
    plan.optimal = optimal_k and optimal_all
    plan.sites = _describe(best, pairs, weight, sites)
    plan.cover_all = _describe(fewest, pairs, weight, sites)
    plan.covered_after = plan.covered_before + sum(s.households for s in plan.sites)
    return plan


def _solve(pairs: pd.DataFrame, weight: dict[int, int], k: int | None) -> tuple[list[int], bool]:
    """With ``k``: the k sites covering the most households. Without: the fewest sites
    covering every unit some site reaches."""
    model = cp_model.CpModel()
    pick = {int(c): model.new_bool_var(f"x{c}") for c in pairs["candidate"].unique()}
    cover = {int(u): model.new_bool_var(f"y{u}") for u in pairs["unit_id"].unique()}
    for unit, group in pairs.groupby("unit_id")["candidate"]:
        model.add(cover[int(str(unit))] <= sum(pick[int(c)] for c in group))
    if k is not None:
        model.add(sum(pick.values()) <= k)
        model.maximize(sum(weight[u] * var for u, var in cover.items()))
    else:
        for var in cover.values():
            model.add(var == 1)
        model.minimize(sum(pick.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = SECONDS
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [], False
    chosen = [c for c, var in sorted(pick.items()) if solver.value(var)]
    return chosen, status == cp_model.OPTIMAL


def _describe(
    chosen: list[int], pairs: pd.DataFrame, weight: dict[int, int], sites: pd.DataFrame
) -> list[Site]:
    """The chosen sites, each credited with the households it adds, greatest first."""
    reach = {
        c: set(g["unit_id"]) for c, g in pairs[pairs["candidate"].isin(chosen)].groupby("candidate")
    }
    left = set(chosen)
    done: set[int] = set()
    out = []
    while left:
        gains = {c: sum(weight[u] for u in reach.get(c, set()) - done) for c in left}
        c = max(sorted(gains), key=lambda c: gains[c])
        left.remove(c)
        done |= reach.get(c, set())
        row = sites.iloc[c]
        out.append(Site(str(row["name"]), float(row["lon"]), float(row["lat"]), gains[c]))
    return out


def sites_frame(plan: SitingPlan) -> gpd.GeoDataFrame:
    """The proposed sites as points (EPSG:4326): the k best ranked first, then the
    fewest that reach everyone (``set`` says which list a row is from)."""
    rows = [
        {
            "set": kind,
            "rank": n,
            "name": s.name,
            "households": s.households,
            "lon": s.lon,
            "lat": s.lat,
            "reach_m": plan.reach_m,
            "method": plan.method,
        }
        for kind, sites in (("best_k", plan.sites), ("cover_all", plan.cover_all))
        for n, s in enumerate(sites, start=1)
    ]
    frame = pd.DataFrame(
        rows, columns=["set", "rank", "name", "households", "lon", "lat", "reach_m", "method"]
    )
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
    )
