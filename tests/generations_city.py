"""A second generation of the test city's boundaries: one community split in two.

The test city's communities have one grid each, so the split is the one a new
estate brings: the part of the most populous community around its compound
(the compound's bounding box, 200 m wider) becomes a new community (the same
street's code + 999), and the community's grids move to it; the old community keeps
its code and the rest of its ground. Written as the files a planner would import:
every community, and every grid with its community's code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
from sqlalchemy import Connection, text


@dataclass(frozen=True)
class Split:
    """The files and what they change."""

    communities: Path
    grids: Path
    old: str  # the split community's code
    new: str  # the new community's code
    moved: list[str]  # the grids that go to the new one
    moved_households: set[int]  # current households in them


def split_files(conn: Connection, folder: Path) -> Split:
    """Write the split's two files into ``folder``."""
    old = conn.execute(
        text("""
            SELECT c.code FROM community c JOIN compound cp ON cp.community_id = c.id
            JOIN building b ON b.compound_id = cp.id JOIN unit u ON u.building_id = b.id
            JOIN household h ON h.unit_id = u.id
            GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 1
        """)
    ).scalar_one()
    moved = list(
        conn.execute(
            text(
                "SELECT g.code FROM grid g JOIN community c ON c.id = g.community_id "
                "WHERE c.code = :c ORDER BY g.code"
            ),
            {"c": old},
        ).scalars()
    )
    new = old[:9] + "999"
    communities = gpd.read_postgis(
        text("""
            WITH part AS (
                SELECT ST_Intersection(c.geom, ST_Transform(ST_Expand(ST_Transform(
                           ST_Envelope(ST_Collect(cp.geom)), 4546), 200), 4326)) AS geom
                FROM community c JOIN compound cp ON cp.community_id = c.id
                WHERE c.code = :old GROUP BY c.geom)
            SELECT c.code, c.name,
                   CASE WHEN c.code = :old THEN ST_Multi(ST_CollectionExtract(
                       ST_Difference(c.geom, part.geom), 3)) ELSE c.geom END AS geom
            FROM community c CROSS JOIN part
            UNION ALL
            SELECT :new, '新分社区', ST_Multi(ST_CollectionExtract(part.geom, 3)) FROM part
            ORDER BY 1
        """),
        conn,
        params={"old": old, "new": new},
        geom_col="geom",
    )
    grid_frame, households = _moved_grids(conn, moved, new)
    split = Split(folder / "communities.geojson", folder / "grids.geojson", old, new, moved,
                  households)  # fmt: skip
    communities.to_file(split.communities)
    grid_frame.to_file(split.grids)
    return split


@dataclass(frozen=True)
class Merge:
    """Two neighbouring communities of a street made one: ``gone`` joins ``kept``."""

    communities: Path
    grids: Path
    kept: str
    gone: str
    moved: list[str]  # the grids of ``gone``, now of ``kept``
    moved_households: set[int]


def merge_files(conn: Connection, folder: Path) -> Merge:
    """Write the merge's two files into ``folder``: every community but ``gone``, whose
    ground joins ``kept``'s, and every grid, ``gone``'s with ``kept``'s code."""
    kept, gone = conn.execute(
        text("""
            SELECT a.code, b.code FROM community a JOIN community b
              ON a.street_id = b.street_id AND a.id < b.id AND ST_Touches(a.geom, b.geom)
            WHERE EXISTS (SELECT 1 FROM compound cp WHERE cp.community_id = b.id)
            ORDER BY a.id, b.id LIMIT 1
        """)
    ).one()
    communities = gpd.read_postgis(
        text("""
            SELECT c.code, c.name,
                   CASE WHEN c.code = :kept THEN ST_Multi(ST_CollectionExtract(ST_Union(
                       c.geom, (SELECT geom FROM community WHERE code = :gone)), 3))
                   ELSE c.geom END AS geom
            FROM community c WHERE c.code <> :gone ORDER BY 1
        """),
        conn,
        params={"kept": kept, "gone": gone},
        geom_col="geom",
    )
    moved = list(
        conn.execute(
            text(
                "SELECT g.code FROM grid g JOIN community c ON c.id = g.community_id "
                "WHERE c.code = :gone ORDER BY g.code"
            ),
            {"gone": gone},
        ).scalars()
    )
    grid_frame, households = _moved_grids(conn, moved, kept)
    merge = Merge(folder / "merged_communities.geojson", folder / "merged_grids.geojson",
                  kept, gone, moved, households)  # fmt: skip
    communities.to_file(merge.communities)
    grid_frame.to_file(merge.grids)
    return merge


def _moved_grids(conn: Connection, moved: list[str], to: str) -> tuple[gpd.GeoDataFrame, set[int]]:
    """Every grid, those ``moved`` with community ``to``; and the current households
    living in the moved ones."""
    grids = gpd.read_postgis(
        text("""
            SELECT g.code, g.name,
                   CASE WHEN g.code = ANY(:moved) THEN :to ELSE c.code END AS community_code,
                   g.geom
            FROM grid g JOIN community c ON c.id = g.community_id ORDER BY g.code
        """),
        conn,
        params={"moved": moved, "to": to},
        geom_col="geom",
    )
    households = set(
        conn.execute(
            text("""
                SELECT h.id FROM household h JOIN unit u ON u.id = h.unit_id
                JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
                JOIN grid g ON g.id = cp.grid_id
                WHERE g.code = ANY(:moved) AND h.ended_on IS NULL
            """),
            {"moved": moved},
        ).scalars()
    )
    return grids, households
