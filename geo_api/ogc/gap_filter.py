"""A CQL2 filter over the gap collections, answered by PostGIS like any layer's.

Gaps are computed in Python (geo_api.gaps), a few thousand a city. Rather than a
second evaluator of CQL2 with its own idea of metres and of types, the page's
candidate gaps are handed to PostgreSQL as one bound JSON value and the same
compiled condition (geo_api.ogc.filtering.compile) picks the ones that match.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import Connection, text

from geo_api.ogc.filtering.compile import compile_filter
from geo_api.ogc.filtering.parse import Filter
from geo_api.ogc.filtering.queryables import GAP_KINDS, gap_queryables

# Counts come through pandas as floats where a gap has none: numeric reads both.
SQL_TYPES = {"integer": "numeric", "number": "numeric", "string": "text", "boolean": "boolean"}
COLUMNS = ", ".join(f'"{name}" {SQL_TYPES[kind]}' for name, kind in GAP_KINDS.items())
# The gaps as rows ``l`` with a geometry; every name here is a constant of this module.
ROWS = f"""
    SELECT r.*, ST_SetSRID(ST_GeomFromGeoJSON(r._geom), 4326) AS geom
    FROM json_to_recordset(CAST(:rows AS json)) AS r(_ord int, _geom text, {COLUMNS})"""  # noqa: S608


def matching(conn: Connection, frame: gpd.GeoDataFrame, found: Filter) -> np.ndarray:
    """Which of the gaps in ``frame`` the filter keeps, in the frame's order."""
    condition = compile_filter(found, gap_queryables())
    keep = np.zeros(len(frame), dtype=bool)
    if frame.empty:
        return keep
    rows = json.loads(frame[list(GAP_KINDS)].to_json(orient="records"))
    for i, (row, geom) in enumerate(
        zip(rows, shapely.to_geojson(frame.geometry.to_numpy()), strict=True)
    ):
        row["_ord"], row["_geom"] = i, geom
    sql = f"SELECT l._ord FROM ({ROWS}) AS l WHERE {condition.sql}"  # noqa: S608
    found_rows = conn.execute(text(sql), {**condition.params, "rows": json.dumps(rows)})
    keep[[r[0] for r in found_rows]] = True
    return keep
