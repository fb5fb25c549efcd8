"""Areas of one level must tile the ground: no two overlap, no sliver lies between them.

Checked after an area layer's rows land, inside the import's transaction, for
every pair that involves a row of this import (against each other and what the
store holds), in metres in the city's projected system. An overlap of more than
MIN_M2, or a gap narrower than SLIVER_M between two neighbours (the part of the
two outlines' morphological closing that neither closes alone), is reported per
pair with its area; the import is refused unless the user accepts them.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError
from geo_api.geo.crs import city_epsg

MIN_M2 = 1.0
SLIVER_M = 10.0
SHOWN = 10
# Neighbours are looked for within this many degrees first (more than SLIVER_M at
# any latitude a city lies at), then measured in metres.
NEAR_DEG = 0.001

PAIRS_SQL = """
WITH mine AS (
    SELECT id, code, geom FROM {table} WHERE code = ANY(:codes)
), pairs AS (
    SELECT a.code AS a, b.code AS b,
           ST_Transform(a.geom, :srid) AS ga, ST_Transform(b.geom, :srid) AS gb
    FROM mine a JOIN {table} b
      ON b.id <> a.id AND b.geom && ST_Expand(a.geom, :near)
     AND (a.code < b.code OR NOT b.code = ANY(:codes))
), pockets AS (
    SELECT a, b, ST_Area(ST_Intersection(ga, gb)) AS overlap,
           CASE WHEN ST_DWithin(ga, gb, :width) THEN ST_Difference(
               ST_Buffer(ST_Buffer(ST_Union(ga, gb), :half, 'join=mitre'), -:half, 'join=mitre'),
               ST_Union(ST_Buffer(ST_Buffer(ga, :half, 'join=mitre'), -:half, 'join=mitre'),
                        ST_Buffer(ST_Buffer(gb, :half, 'join=mitre'), -:half, 'join=mitre')))
           END AS pocket
    FROM pairs
), gaps AS (
    -- What no area of the level covers: a third one may fill a notch between two.
    SELECT p.a, p.b, p.overlap, CASE WHEN p.pocket IS NULL OR ST_IsEmpty(p.pocket) THEN 0
        ELSE ST_Area(ST_Difference(p.pocket, coalesce((
            SELECT ST_Union(ST_Transform(o.geom, :srid)) FROM {table} o
            WHERE o.geom && ST_Transform(ST_Envelope(p.pocket), 4326)),
            ST_SetSRID('POLYGON EMPTY'::geometry, :srid))))
        END AS gap
    FROM pockets p
)
SELECT a, b, overlap, gap FROM gaps WHERE overlap > :min OR gap > :min ORDER BY a, b
"""


def find_overlaps(conn: Connection, table: str, codes: list[str]) -> list[str]:
    """Each pair of ``table``'s areas involving ``codes`` that overlap or leave a sliver."""
    if not codes:
        return []
    lon = conn.execute(
        text(
            f"SELECT ST_X(ST_Centroid(ST_Extent(geom))), ST_Y(ST_Centroid(ST_Extent(geom))) "  # noqa: S608
            f"FROM {table}"
        )
    ).one()
    srid = city_epsg(float(lon[0]), float(lon[1]))
    sql = text(PAIRS_SQL.format(table=table))
    found = []
    params = {
        "codes": codes,
        "srid": srid,
        "near": NEAR_DEG,
        "width": SLIVER_M,
        "half": SLIVER_M / 2,
        "min": MIN_M2,
    }
    for a, b, overlap, gap in conn.execute(sql, params):
        if overlap > MIN_M2:
            found.append(f"{a} and {b} overlap by {overlap:,.1f} m²")
        if gap > MIN_M2:
            found.append(
                f"{a} and {b} leave a sliver of {gap:,.1f} m² between them "
                f"(narrower than {SLIVER_M:g} m)"
            )
    return found


def refuse_overlaps(
    conn: Connection, table: str, codes: list[str], *, accept: bool, what: str | None = None
) -> list[str]:
    """Notes for the overlaps and slivers accepted; InvalidInputError when not accepted.
    ``what`` names the areas in the message (default: the table's)."""
    found = find_overlaps(conn, table, codes)
    if not found:
        return []
    if accept:
        return [f"accepted: {f}" for f in found]
    shown = "; ".join(found[:SHOWN])
    more = f" (and {len(found) - SHOWN} more)" if len(found) > SHOWN else ""
    raise InvalidInputError(
        f"{len(found)} overlaps or slivers between {what or table} areas, nothing imported: "
        f"{shown}{more}. Fix the outlines, or import with --accept-overlaps "
        "(accept_overlaps=true) to land them as they are"
    )
