"""Proposals: the exact assignment of the year's open demands, with each demand's
ranked alternatives; accepting one makes it a project."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from geo_api.auth.roles import Caller
from geo_api.errors import InvalidInputError
from geo_api.party.lists import get_demand
from geo_api.party.match.distances import DEFAULT_REACH_M, Candidates, candidates
from geo_api.party.match.solve import pair_costs, solve_exact
from geo_api.party.projects import add_project

ALTERNATIVES = 5  # resources listed per demand besides the one proposed

NAMES_SQL = """
SELECT 'd' AS kind, d.id, d.title, lc.code AS category, c.code AS community,
       ST_X(d.geom) AS lon, ST_Y(d.geom) AS lat, NULL AS unit
FROM party_demand d JOIN list_category lc ON lc.id = d.category_id
JOIN community c ON c.id = d.community_id WHERE d.id = ANY(:demands)
UNION ALL
SELECT 'r', r.id, r.title, lc.code, NULL, ST_X(r.geom), ST_Y(r.geom), u.name
FROM party_resource r JOIN list_category lc ON lc.id = r.category_id
LEFT JOIN alliance_unit u ON u.id = r.unit_id WHERE r.id = ANY(:resources)
"""


def propose(
    conn: Connection,
    year: int,
    *,
    community_id: int | None = None,
    reach_m: float = DEFAULT_REACH_M,
) -> dict[str, Any]:
    """The proposed matches of the year's open demands (a community's, or all): one
    resource each where capacity allows, the optimum, with ranked alternatives."""
    if not 10 <= reach_m <= 10_000:
        raise InvalidInputError(f"reach {reach_m} m: between 10 and 10000")
    cands = candidates(conn, year, community_id=community_id, reach_m=reach_m)
    chosen = solve_exact(cands)
    names = _names(conn, cands)
    cost = pair_costs(cands)
    proposals = []
    for p in chosen.pairs:
        i = int(cands.pair_demand[p])
        d_id = int(cands.demand_id[i])
        mine = np.flatnonzero(cands.pair_demand == i)
        ranked = mine[np.argsort(cost[mine], kind="stable")]
        demand: dict[str, Any] = {**names[("d", d_id)], "urgency": int(cands.urgency[i])}
        proposals.append(
            {
                "demand": demand,
                "resource": _pair(cands, names, int(p)),
                "alternatives": [_pair(cands, names, int(q)) for q in ranked if q != p][
                    :ALTERNATIVES
                ],
            }
        )
    met = {int(cands.demand_id[cands.pair_demand[p]]) for p in chosen.pairs}
    return {
        "year": year,
        "method": cands.method,
        "reach_m": reach_m,
        "open_demands": len(cands.demand_id),
        "met": len(met),
        "total_m": round(chosen.metres(cands), 1),
        "proposals": proposals,
        "unmet": [names[("d", int(d))] for d in cands.demand_id if int(d) not in met],
    }


def _pair(
    cands: Candidates, names: dict[tuple[str, int], dict[str, Any]], p: int
) -> dict[str, Any]:
    r_id = int(cands.resource_id[cands.pair_resource[p]])
    return {
        **names[("r", r_id)],
        "metres": round(float(cands.metres[p]), 1),
        "fit": float(cands.fit[p]),
    }


def _names(conn: Connection, cands: Candidates) -> dict[tuple[str, int], dict[str, Any]]:
    rows = conn.execute(
        text(NAMES_SQL),
        {"demands": cands.demand_id.tolist(), "resources": cands.resource_id.tolist()},
    ).mappings()
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for row in rows:
        item = {k: v for k, v in row.items() if k != "kind" and v is not None}
        found[(str(row["kind"]), int(row["id"]))] = item
    return found


def accept(
    conn: Connection,
    demand_id: int,
    resource_ids: Sequence[int],
    *,
    title: str | None = None,
    owners: str | None = None,
    reach_m: float = DEFAULT_REACH_M,
    by: Caller | None = None,
) -> dict[str, Any]:
    """Make a match a project: the demand, its resources (with their walking metres,
    none past the reach), the lead unit of the first; the demand becomes matched."""
    if not resource_ids:
        raise InvalidInputError("accept a match with at least one resource")
    if len(set(resource_ids)) != len(resource_ids):
        raise InvalidInputError(f"resources {list(resource_ids)} name one twice")
    demand = get_demand(conn, demand_id)
    cands = candidates(conn, demand["year"], demand_ids=[demand_id], reach_m=reach_m)
    metres = {
        int(cands.resource_id[j]): float(m)
        for j, m in zip(cands.pair_resource, cands.metres, strict=True)
    }
    lead = conn.execute(
        text("SELECT unit_id FROM party_resource WHERE id = :id"), {"id": resource_ids[0]}
    ).scalar()
    return add_project(
        conn,
        year=demand["year"],
        title=title or demand["title"],
        community_id=demand["community_id"],
        demand_id=demand_id,
        lead_unit_id=lead,
        owners=owners,
        resources=[(r, metres.get(r)) for r in resource_ids],
        by=by,
    )
