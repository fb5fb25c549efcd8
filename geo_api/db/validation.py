"""The store's validation report: what imported data gets wrong between rows.

Row checks (geo_api.importer) see one row at a time; this looks across them:
siblings that overlap, parts of a parent no child covers, children outside
their parent (geo_api.db.integrity), and households whose point lies outside
their building's compound. Areas are measured on the geography type, in m².
Each problem has a kind, a table, the row's id and label, an amount, a message
and a geometry to show on a map.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.db.integrity import TOLERANCE_M, TOLERANCE_M2, children_outside_parents

# (table, label): no two areas of one level may overlap, whatever their parents.
SIBLINGS = [("street", "code"), ("community", "code"), ("grid", "code"), ("compound", "code")]
# (parent, label, child table, foreign key): children should cover their parent.
COVERAGE = [
    ("street", "code", "community", "street_id"),
    ("community", "code", "grid", "community_id"),
]

OVERLAPS_SQL = """
SELECT a.id, a.{label} AS label, b.id AS other, b.{label} AS other_label,
       ST_Area(ST_Intersection(a.geom, b.geom)::geography) AS amount,
       ST_Intersection(a.geom, b.geom) AS geom
FROM {table} a JOIN {table} b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
WHERE NOT ST_Touches(a.geom, b.geom)
"""
UNCOVERED_SQL = """
SELECT p.id, p.{label} AS label, ST_Area(gap.geom::geography) AS amount, gap.geom
FROM {parent} p
CROSS JOIN LATERAL (
    SELECT coalesce(ST_Difference(p.geom, ST_Union(c.geom)), p.geom) AS geom
    FROM {child} c WHERE c.{fk} = p.id) gap
WHERE NOT ST_IsEmpty(gap.geom)
"""
HOMES_OUTSIDE_SQL = """
SELECT h.id, h.address AS label, cp.id AS other, cp.name AS other_label,
       ST_Distance(h.geom::geography, cp.geom::geography) AS amount, h.geom
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id
WHERE NOT ST_Covers(cp.geom, h.geom)
"""
COLUMNS = ["kind", "table", "id", "label", "amount", "message", "geometry"]


def validation_report(conn: Connection) -> gpd.GeoDataFrame:
    """Every cross-row problem in the store, one row each (see the module docstring)."""
    rows: list[dict[str, object]] = []
    for table, label in SIBLINGS:
        sql = OVERLAPS_SQL.format(table=table, label=label)
        for r in _read(conn, sql).itertuples():
            if r.amount > TOLERANCE_M2:
                rows.append(
                    _row(
                        "overlap",
                        table,
                        r,
                        f"{table} {r.label} overlaps {r.other_label} by {r.amount:,.0f} m²",
                    )
                )
    for parent, label, child, fk in COVERAGE:
        sql = UNCOVERED_SQL.format(parent=parent, label=label, child=child, fk=fk)
        for r in _read(conn, sql).itertuples():
            if r.amount > TOLERANCE_M2:
                rows.append(
                    _row(
                        "uncovered",
                        parent,
                        r,
                        f"{r.amount:,.0f} m² of {parent} {r.label} lie in no {child}",
                    )
                )
    for o in children_outside_parents(conn):
        rows.append(
            {
                "kind": "outside_parent",
                "table": o.table,
                "id": o.id,
                "label": o.label,
                "amount": o.outside,
                "message": o.message(),
                "geometry": None,
            }
        )
    for r in _read(conn, HOMES_OUTSIDE_SQL).itertuples():
        if r.amount > TOLERANCE_M:
            rows.append(
                _row(
                    "home_outside_compound",
                    "household",
                    r,
                    f"household {r.id} ({r.label}) lies {r.amount:,.1f} m outside {r.other_label}",
                )
            )
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=COLUMNS), geometry="geometry", crs=4326)


def _read(conn: Connection, sql: str) -> gpd.GeoDataFrame:
    return gpd.read_postgis(text(sql), conn, geom_col="geom")


def _row(kind: str, table: str, r: object, message: str) -> dict[str, object]:
    return {
        "kind": kind,
        "table": table,
        "id": int(getattr(r, "id")),  # noqa: B009 - itertuples rows
        "label": str(getattr(r, "label")),  # noqa: B009
        "amount": float(getattr(r, "amount")),  # noqa: B009
        "message": message,
        "geometry": getattr(r, "geom"),  # noqa: B009
    }
