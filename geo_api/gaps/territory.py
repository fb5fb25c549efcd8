"""Gaps in territory: ground no community covers, and communities that overlap.

Both are the street office's to settle. Areas are m² on the geography type; pieces
smaller than ``TERRITORY_MIN_M2`` (slivers of reprojection and digitising) are not
gaps.
"""

from __future__ import annotations

from geo_api.gaps.types import GapType

TERRITORY_MIN_M2 = 100.0

TERRITORY_GAPS = [
    GapType(
        "territory_without_community",
        "无社区覆盖的区域",
        "street",
        "street",
        """
        SELECT st.id AS ref_id, NULL::int AS community_id,
               (SELECT count(*) FROM household h WHERE ST_Intersects(h.geom, gap.geom)
                AND h.ended_on IS NULL)
                   AS households,
               (SELECT coalesce(sum(h.persons), 0) FROM household h
                WHERE ST_Intersects(h.geom, gap.geom) AND h.ended_on IS NULL) AS persons,
               'medium' AS severity,
               format('%s有%s平方米不属于任何社区', st.name,
                      round(ST_Area(gap.geom::geography)::numeric)) AS detail,
               gap.geom
        FROM street st
        CROSS JOIN LATERAL (
            SELECT ST_Collect(part.geom) AS geom
            FROM (SELECT coalesce(ST_Difference(st.geom, ST_Union(c.geom)), st.geom) AS geom
                  FROM community c WHERE ST_Intersects(c.geom, st.geom)) left_over
            CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(left_over.geom, 3)) part
            WHERE ST_Area(part.geom::geography) > :territory_m2) gap
        WHERE gap.geom IS NOT NULL""",
    ),
    GapType(
        "community_overlap",
        "社区边界重叠",
        "street",
        "community",
        """
        SELECT a.id AS ref_id, a.id AS community_id,
               (SELECT count(*) FROM household h WHERE ST_Intersects(h.geom, ov.geom)
                AND h.ended_on IS NULL)
                   AS households,
               (SELECT coalesce(sum(h.persons), 0) FROM household h
                WHERE ST_Intersects(h.geom, ov.geom) AND h.ended_on IS NULL) AS persons,
               'medium' AS severity,
               format('%s与%s重叠%s平方米', a.name, b.name,
                      round(ST_Area(ov.geom::geography)::numeric)) AS detail,
               ov.geom
        FROM community a JOIN community b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
        CROSS JOIN LATERAL (
            SELECT ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3) AS geom) ov
        WHERE ST_Area(ov.geom::geography) > :territory_m2""",
    ),
]
