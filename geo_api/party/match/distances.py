"""Walking distances from open demands to the resources that fit them, along the
network (pgRouting), within a reach.

Each demand and resource is joined to its nearest network vertex by a straight
line (geography metres); between the two vertices, pgr_drivingDistance from every
demand's vertex at once, bounded by the reach, gives the walk. The graph is read
once for all the demands. Without a network, distances are straight lines and
say so (``method``), as the gaps do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Row, text

from geo_api.network.walk import EDGES_SQL, has_network, start_column
from geo_api.party.match.fit import fit_pairs

DEFAULT_REACH_M = 1000.0

# The nearest vertex in metres: the index's nearest few in degrees (a degree of
# longitude is shorter than one of latitude), then the closest of them on the ellipsoid.
NEAR = 16
# Open demands of the year (a community's, or all), with their nearest vertex.
DEMANDS_SQL = f"""
SELECT d.id, d.urgency, d.category_id, d.community_id, v.id AS vertex, v.metres
FROM party_demand d
LEFT JOIN LATERAL (
    SELECT n.id, n.metres FROM (
        SELECT rv.id, ST_Distance(rv.geom::geography, d.geom::geography) AS metres
        FROM road_vertex rv ORDER BY rv.geom <-> d.geom LIMIT {NEAR}) n
    ORDER BY n.metres, n.id LIMIT 1) v ON true
WHERE d.status = 'open' AND d.year = :year
  AND (CAST(:community AS int) IS NULL OR d.community_id = :community)
  AND (CAST(:demands AS int[]) IS NULL OR d.id = ANY(:demands))
ORDER BY d.id
"""  # noqa: S608 - NEAR is a constant
# Resources offered that year, not withdrawn, placed, with capacity left after the
# projects under way, with their nearest vertex.
RESOURCES_SQL = f"""
SELECT r.id, r.category_id,
       r.capacity - (SELECT count(*) FROM project_resource pr
                     JOIN party_project p ON p.id = pr.project_id
                     WHERE pr.resource_id = r.id AND p.status IN ('planned', 'underway'))
         AS capacity,
       v.id AS vertex, v.metres
FROM party_resource r
LEFT JOIN LATERAL (
    SELECT n.id, n.metres FROM (
        SELECT rv.id, ST_Distance(rv.geom::geography, r.geom::geography) AS metres
        FROM road_vertex rv ORDER BY rv.geom <-> r.geom LIMIT {NEAR}) n
    ORDER BY n.metres, n.id LIMIT 1) v ON true
WHERE r.year = :year AND r.withdrawn_on IS NULL AND r.geom IS NOT NULL
ORDER BY r.id
"""  # noqa: S608 - NEAR is a constant
# Every (demand vertex, node, metres) within :reach along the network.
REACHED_SQL = f"""
SELECT d.{{start}} AS start, d.node, d.agg_cost FROM pgr_drivingDistance(
    '{EDGES_SQL}', CAST(:starts AS bigint[]), :reach, directed => false) d
"""  # noqa: S608 - constant SQL
# Straight-line pairs of a category that fits, within :reach (no network).
STRAIGHT_SQL = """
SELECT d.id AS demand, r.id AS resource,
       ST_Distance(d.geom::geography, r.geom::geography) AS metres, f.fit
FROM party_demand d
JOIN unnest(CAST(:wanted AS int[]), CAST(:offered AS int[]), CAST(:fits AS float8[]))
     AS f(wanted, offered, fit) ON f.wanted = d.category_id
JOIN party_resource r ON r.category_id = f.offered
 AND ST_DWithin(d.geom::geography, r.geom::geography, :reach)
WHERE d.id = ANY(:demands) AND r.id = ANY(:resources)
"""


@dataclass(frozen=True)
class Candidates:
    """The matching's input: demands, resources, and the pairs that fit within reach."""

    demand_id: np.ndarray  # (D,)
    urgency: np.ndarray  # (D,)
    resource_id: np.ndarray  # (R,)
    capacity: np.ndarray  # (R,) left this year
    pair_demand: np.ndarray  # (P,) index into the demands
    pair_resource: np.ndarray  # (P,) index into the resources
    metres: np.ndarray  # (P,) walking metres
    fit: np.ndarray  # (P,) 1 same category, less for related
    method: str  # "network" or "straight"


def candidates(
    conn: Connection,
    year: int,
    *,
    community_id: int | None = None,
    demand_ids: list[int] | None = None,
    reach_m: float = DEFAULT_REACH_M,
) -> Candidates:
    """The open demands of the year, the resources with capacity left, and every pair
    whose categories fit and whose walk is within ``reach_m`` metres."""
    params = {"year": year, "community": community_id, "demands": demand_ids}
    demands = conn.execute(text(DEMANDS_SQL), params).all()
    resources = [
        r for r in conn.execute(text(RESOURCES_SQL), {"year": year}).all() if r.capacity > 0
    ]
    wanted, offered, fits = fit_pairs(conn)
    fit_of = dict(zip(zip(wanted, offered, strict=True), fits, strict=True))
    d_index = {int(d.id): i for i, d in enumerate(demands)}
    r_index = {int(r.id): i for i, r in enumerate(resources)}
    pairs: list[tuple[int, int, float, float]] = []
    network = has_network(conn) and bool(demands) and bool(resources)
    if network:
        pairs = _network_pairs(conn, demands, resources, fit_of, reach_m)
    elif demands and resources:
        rows = conn.execute(
            text(STRAIGHT_SQL),
            {
                "wanted": wanted,
                "offered": offered,
                "fits": fits,
                "reach": reach_m,
                "demands": list(d_index),
                "resources": list(r_index),
            },
        ).all()
        pairs = [(d_index[r.demand], r_index[r.resource], r.metres, r.fit) for r in rows]
    pairs.sort()
    return Candidates(
        demand_id=np.array([d.id for d in demands], dtype=np.int64),
        urgency=np.array([d.urgency for d in demands], dtype=np.int64),
        resource_id=np.array([r.id for r in resources], dtype=np.int64),
        capacity=np.array([r.capacity for r in resources], dtype=np.int64),
        pair_demand=np.array([p[0] for p in pairs], dtype=np.int64),
        pair_resource=np.array([p[1] for p in pairs], dtype=np.int64),
        metres=np.array([p[2] for p in pairs], dtype=np.float64),
        fit=np.array([p[3] for p in pairs], dtype=np.float64),
        method="network" if network else "straight",
    )


def _network_pairs(
    conn: Connection,
    demands: Sequence[Row[Any]],
    resources: Sequence[Row[Any]],
    fit_of: dict[tuple[int, int], float],
    reach_m: float,
) -> list[tuple[int, int, float, float]]:
    """Pairs within reach along the network: snap, walk, snap (joined in pandas: a
    city's demands reach millions of vertices)."""
    d = pd.DataFrame(
        {
            "i": np.arange(len(demands)),
            "start": [r.vertex for r in demands],
            "d_m": [r.metres for r in demands],
            "d_cat": [r.category_id for r in demands],
        }
    ).dropna()
    r = pd.DataFrame(
        {
            "j": np.arange(len(resources)),
            "node": [x.vertex for x in resources],
            "r_m": [x.metres for x in resources],
            "r_cat": [x.category_id for x in resources],
        }
    ).dropna()
    d, r = d[d.d_m <= reach_m], r[r.r_m <= reach_m]
    if d.empty or r.empty:
        return []
    sql = REACHED_SQL.format(start=start_column(conn))
    starts = sorted({int(v) for v in d.start})
    walked = pd.DataFrame(
        conn.execute(text(sql), {"starts": starts, "reach": reach_m}).all(),
        columns=["start", "node", "walk"],
    )
    # Only the vertices where a resource joins the network matter.
    walked = walked[walked.node.isin(r.node)]
    fits = pd.DataFrame(
        [(a, b, f) for (a, b), f in fit_of.items()], columns=["d_cat", "r_cat", "fit"]
    )
    pairs = walked.merge(d.astype({"start": "int64"}), on="start").merge(
        r.astype({"node": "int64"}), on="node"
    )
    pairs = pairs.merge(fits, on=["d_cat", "r_cat"])
    pairs["metres"] = pairs.d_m + pairs.walk + pairs.r_m
    pairs = pairs[pairs.metres <= reach_m]
    best = pairs.groupby(["i", "j"], as_index=False).agg(
        metres=("metres", "min"), fit=("fit", "first")
    )
    return list(
        zip(
            best.i.astype(int).tolist(),
            best.j.astype(int).tolist(),
            best.metres.astype(float).tolist(),
            best.fit.astype(float).tolist(),
            strict=True,
        )
    )
