"""Benchmark the matching of demands to resources (issue 17), in one run on one city.

Demands and resources are placed on the city's compounds and units (seeded), in
the shared categories, with capacities 1 to 3, inside a transaction rolled back at
the end. Then:

* distances      walking metres of every demand-resource pair that fits, within
                 the reach, along the network (pgr_drivingDistance), shared by both
* exact          the min-cost flow (OR-Tools): most urgency met, then fewest metres
* exact at k     the min-cost flow meeting exactly greedy's number of demands
* greedy         the anchor: pairs nearest first while demand and resource are free

The table gives time, demands met, the pairs of a related (not the same) category,
the total walk, and the cost both minimise (the walk plus 1 km per related pair);
"exact at k" against greedy is that cost at equal coverage. Usage:
    uv run python scripts/bench/party_match.py --households 100000
    uv run python scripts/bench/party_match.py --households 1000000 --demands 10000 \
        --resources 20000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from rich.table import Table
from sqlalchemy import Connection, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import console, prepare

from geo_api.db.engine import make_engine
from geo_api.party.match.distances import Candidates, candidates
from geo_api.party.match.solve import Assignment, pair_costs, solve_exact, solve_greedy

YEAR = 2099  # a year no real list uses: the bench's rows never mix with the store's


def plant(conn: Connection, demands: int, resources: int, seed: int) -> None:
    """Demands on random compounds (a point inside each), resources on random units."""
    rng = np.random.default_rng(seed)
    categories = conn.execute(text("SELECT id FROM list_category ORDER BY id")).scalars().all()
    weights = np.linspace(2, 1, len(categories))
    weights /= weights.sum()
    unit_id = conn.execute(
        text("""INSERT INTO alliance_unit (name, kind) VALUES ('bench unit', 'other')
                ON CONFLICT (name) DO UPDATE SET kind = 'other' RETURNING id""")
    ).scalar_one()
    compounds = conn.execute(text("SELECT id, community_id FROM compound ORDER BY id")).all()
    pick = rng.integers(0, len(compounds), demands)
    conn.execute(
        text("""INSERT INTO party_demand (year, title, category_id, community_id, compound_id,
                    urgency, geom)
                SELECT :year, 'bench demand', c, cp.community_id, cp.id, u,
                       ST_PointOnSurface(cp.geom)
                FROM unnest(CAST(:cp AS int[]), CAST(:cat AS int[]), CAST(:urg AS int[]))
                     AS x(cp_id, c, u) JOIN compound cp ON cp.id = x.cp_id"""),
        {
            "year": YEAR,
            "cp": [int(compounds[k].id) for k in pick],
            "cat": rng.choice(categories, demands, p=weights).tolist(),
            "urg": rng.integers(1, 4, demands).tolist(),
        },
    )
    units = conn.execute(text("SELECT id FROM unit")).scalars().all()
    conn.execute(
        text("""INSERT INTO party_resource (year, title, kind, category_id, unit_id, capacity,
                    geom)
                SELECT :year, 'bench resource', 'team', c, :unit, cap, ST_PointOnSurface(u.geom)
                FROM unnest(CAST(:at AS int[]), CAST(:cat AS int[]), CAST(:cap AS int[]))
                     AS x(unit_id, c, cap)
                JOIN unit u ON u.id = x.unit_id"""),
        {
            "year": YEAR,
            "unit": unit_id,
            "at": rng.choice(units, resources).tolist(),
            "cat": rng.choice(categories, resources, p=weights).tolist(),
            "cap": rng.integers(1, 4, resources).tolist(),
        },
    )


def cost_km(cands: Candidates, answer: Assignment) -> float:
    """What both solvers minimise, in km: the walk plus the related-category penalty
    (a related category counts as RELATED_PENALTY_M more metres)."""
    return float(pair_costs(cands)[answer.pairs].sum()) / 10_000


def main() -> None:
    """Plant the lists, measure, print the table, roll back."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=None)
    parser.add_argument("--demands", type=int, default=None, help="default: households / 100")
    parser.add_argument("--resources", type=int, default=None, help="default: twice the demands")
    parser.add_argument("--reach", type=float, default=1000.0, help="walking reach, metres")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    engine = make_engine(prepare(args.households))
    with engine.connect() as conn, conn.begin() as tx:
        households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
        demands = args.demands or max(10, households // 100)
        resources = args.resources or 2 * demands
        console.print(
            f"city of {households:,} households; {demands:,} demands, {resources:,} resources, "
            f"reach {args.reach:.0f} m"
        )
        start = time.perf_counter()
        plant(conn, demands, resources, args.seed)
        console.print(f"planted in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        cands = candidates(conn, YEAR, reach_m=args.reach)
        t_dist = time.perf_counter() - start
        rows: list[tuple[str, float, Assignment | None]] = [("distances", t_dist, None)]
        start = time.perf_counter()
        greedy = solve_greedy(cands)
        rows.append(("greedy nearest-first (anchor)", time.perf_counter() - start, greedy))
        start = time.perf_counter()
        exact = solve_exact(cands)
        rows.append(("exact (min-cost flow)", time.perf_counter() - start, exact))
        start = time.perf_counter()
        equal = solve_exact(cands, coverage=greedy.met(cands))
        rows.append(("exact at greedy's coverage", time.perf_counter() - start, equal))
        tx.rollback()
    table = Table(
        title=f"matching {demands:,} demands to {resources:,} resources "
        f"({len(cands.pair_demand):,} pairs in reach, {cands.method})"
    )
    for column in (
        "step",
        "seconds",
        "demands met",
        "urgency met",
        "related fit",
        "total km",
        "cost km",
        "cost vs greedy",
    ):
        table.add_column(column, justify="left" if column == "step" else "right")
    for name, seconds, answer in rows:
        if answer is None:
            table.add_row(name, f"{seconds:.2f}", "", "", "", "", "", "")
            continue
        met, km = answer.met(cands), answer.metres(cands) / 1000
        urgency = int(cands.urgency[cands.pair_demand[answer.pairs]].sum())
        related = int((cands.fit[answer.pairs] < 1).sum())
        cost = cost_km(cands, answer)
        table.add_row(
            name,
            f"{seconds:.2f}",
            f"{met:,}",
            f"{urgency:,}",
            f"{related:,}",
            f"{km:,.1f}",
            f"{cost:,.1f}",
            f"{cost / cost_km(cands, greedy):.4f}" if greedy.met(cands) else "",
        )
    console.print(table)


if __name__ == "__main__":
    main()
