"""Who a candidate site would reach: walks from each candidate to the homes that no
station reaches now, along the network (or straight lines where there is none).

Candidates are compound gates (and building entries) by default, or points the caller
gives, which join the network at their nearest vertex (the straight step to it
counts). Demand is counted per unit: its households walk together.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.network.walk import EDGES_SQL, STRAIGHT_SQL, WALK_SQL, has_network, start_column

ALL_TIERS = ["outpost", "community", "street", "city"]

GATES_SQL = """
SELECT DISTINCT ON (e.id) e.vertex_id, 0.0 AS snap_m,
       cp.name || coalesce(g.name, '') AS name, ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat
FROM network_entry e JOIN compound cp ON cp.id = e.compound_id
LEFT JOIN compound_gate g ON g.compound_id = e.compound_id AND g.geom = e.geom
WHERE e.compound_id IS NOT NULL
ORDER BY e.id, g.id
"""
# Without a network: the gates on record, and a point inside each compound without one.
PLACES_SQL = """
SELECT NULL::bigint AS vertex_id, 0.0 AS snap_m, cp.name || g.name AS name,
       ST_X(g.geom) AS lon, ST_Y(g.geom) AS lat
FROM compound_gate g JOIN compound cp ON cp.id = g.compound_id
UNION ALL
SELECT NULL, 0.0, cp.name, ST_X(ST_PointOnSurface(cp.geom)), ST_Y(ST_PointOnSurface(cp.geom))
FROM compound cp WHERE NOT EXISTS (SELECT 1 FROM compound_gate g WHERE g.compound_id = cp.id)
ORDER BY name
"""
# A given point's nearest vertex and the straight step to it.
NEAREST_VERTEX_SQL = """
SELECT v.id AS vertex_id, ST_Distance(v.geom::geography, p.geom::geography) AS snap_m
FROM (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geom) p
CROSS JOIN LATERAL (SELECT id, geom FROM road_vertex ORDER BY geom <-> p.geom LIMIT 1) v
"""
NETWORK_REACH_SQL = f"""
WITH reached AS MATERIALIZED (
    SELECT {{start}} AS from_v, node, agg_cost FROM pgr_drivingDistance(
        '{EDGES_SQL}', CAST(:starts AS bigint[]), :reach, directed => false))
SELECT r.from_v AS vertex_id, u.id AS unit_id,
       min(r.agg_cost + ST_Distance(u.geom::geography, e.geom::geography)) AS metres
FROM reached r JOIN network_entry e ON e.vertex_id = r.node AND e.compound_id IS NOT NULL
JOIN building b ON b.compound_id = e.compound_id
 AND (e.building_id IS NULL OR e.building_id = b.id)
JOIN unit u ON u.building_id = b.id
WHERE u.id = ANY(:units)
GROUP BY r.from_v, u.id
"""  # noqa: S608 - constant SQL; every value is bound
STRAIGHT_REACH_SQL = """
SELECT c.i AS candidate, u.id AS unit_id,
       ST_Distance(u.geom::geography, c.geom::geography) AS metres
FROM (SELECT i, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom
      FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY
           AS t(lon, lat, i)) c
JOIN unit u ON u.geom && ST_Buffer(c.geom::geography, :reach * 1.01 + 1)::geometry
 AND ST_DWithin(u.geom::geography, c.geom::geography, :reach)
WHERE u.id = ANY(:units)
"""


def demand(conn: Connection, reach_m: float) -> tuple[pd.DataFrame, str]:
    """Units (unit_id, households) beyond ``reach_m`` of every station now, and the
    method of measuring ('network' or 'straight')."""
    network = has_network(conn)
    walks = pd.read_sql_query(
        text(WALK_SQL if network else STRAIGHT_SQL),
        conn,
        params={"tiers": ALL_TIERS, "centre_m2": None, "limit": reach_m},
    )
    walks["households"] = walks["households"].astype(int)
    beyond = walks[walks["metres"].isna() | (walks["metres"] > reach_m)]
    return beyond[["unit_id", "households"]].reset_index(drop=True), (
        "network" if network else "straight"
    )


def candidates(conn: Connection, points: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Candidate sites (name, lon, lat, vertex_id, snap_m): the gates (entries of the
    network, or without one the gates on record and compounds' inner points), or
    ``points``."""
    if points is None:
        return pd.read_sql_query(text(GATES_SQL if has_network(conn) else PLACES_SQL), conn)
    wgs = points.to_crs(4326)
    names = wgs["name"] if "name" in wgs else pd.Series(range(1, len(wgs) + 1)).astype(str)
    rows = []
    network = has_network(conn)
    for name, geom in zip(names, wgs.geometry, strict=True):
        row = {"name": str(name), "lon": geom.x, "lat": geom.y, "vertex_id": None, "snap_m": 0.0}
        if network:
            near = conn.execute(text(NEAREST_VERTEX_SQL), {"lon": geom.x, "lat": geom.y}).one()
            row.update(vertex_id=int(near.vertex_id), snap_m=float(near.snap_m))
        rows.append(row)
    return pd.DataFrame(rows)


def reach_pairs(
    conn: Connection, sites: pd.DataFrame, units: list[int], reach_m: float, method: str
) -> pd.DataFrame:
    """(candidate index, unit_id) pairs within ``reach_m``, walked or straight."""
    if not units or sites.empty:
        return pd.DataFrame({"candidate": [], "unit_id": []}, dtype=int)
    if method == "straight":
        pairs = pd.read_sql_query(
            text(STRAIGHT_REACH_SQL),
            conn,
            params={
                "lons": sites["lon"].tolist(),
                "lats": sites["lat"].tolist(),
                "reach": reach_m,
                "units": units,
            },
        )
        pairs["candidate"] = pairs["candidate"].astype(int) - 1
        return pairs[["candidate", "unit_id"]]
    starts = sorted({int(v) for v in sites["vertex_id"].dropna()})
    walks = pd.read_sql_query(
        text(NETWORK_REACH_SQL.replace("{start}", start_column(conn))),
        conn,
        params={"starts": starts, "reach": reach_m, "units": units},
    )
    indexed = sites.reset_index(names="candidate")[["candidate", "vertex_id", "snap_m"]]
    pairs = indexed.merge(walks, on="vertex_id")
    pairs = pairs[pairs["metres"] + pairs["snap_m"] <= reach_m]
    return pairs[["candidate", "unit_id"]].astype(int)
