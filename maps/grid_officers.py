"""Who covers each grid, on the maps: a diamond per grid, green where its own officer
serves, amber where another officer of the community covers it (the nearest with
room, or given by hand), red where nobody does. The popup says whether the officer
is full- or part-time and how many grids they cover of their limit; never a name
or a phone (the maps carry no personal data)."""

from __future__ import annotations

import html

import folium
import geopandas as gpd
from sqlalchemy import Connection, text

from maps.options import PageOptions

COLOURS = {"own": "#2e7d32", "nearest": "#f9a825", "assigned": "#f9a825", "none": "#c62828"}
GRIDS_SQL = """
SELECT g.code, g.name, coalesce(pc.reason, 'none') AS reason, o.part_time, o.max_grids,
       (SELECT count(*) FROM place_cover p2 WHERE p2.level = 'grid' AND p2.officer_id = o.id
        AND p2.valid_to IS NULL)::int AS grids,
       ST_PointOnSurface(g.geom) AS geom
FROM grid g JOIN community c ON c.id = g.community_id
LEFT JOIN place_cover pc ON pc.level = 'grid' AND pc.grid_id = g.id AND pc.valid_to IS NULL
LEFT JOIN grid_officer o ON o.id = pc.officer_id
WHERE (CAST(:community AS text) IS NULL OR c.code = :community)
  AND (CAST(:grid AS text) IS NULL OR g.code = :grid)
ORDER BY g.code
"""


def grid_covers(
    conn: Connection, community: str | None = None, grid: str | None = None
) -> gpd.GeoDataFrame:
    """Each grid (of a community, one grid, or the city) with how it is covered now."""
    return gpd.read_postgis(
        text(GRIDS_SQL), conn, params={"community": community, "grid": grid}, geom_col="geom"
    )


def add_grid_officers(m: folium.Map, covers: gpd.GeoDataFrame, opts: PageOptions) -> None:
    """The grids' cover as a layer of dots, with a popup each."""
    group = folium.FeatureGroup(name=opts.t("officer.layer"))
    for row in opts.place(covers).itertuples():
        said = opts.t(f"officer.{row.reason}")
        if row.reason != "none":
            kind = opts.t("officer.part_time" if row.part_time else "officer.full_time")
            said += "<br>" + html.escape(
                opts.t("officer.load", kind=kind, grids=row.grids, most=row.max_grids)
            )
        # A diamond, not a dot: dots with popups are the unit heads.
        diamond = (
            f'<div style="width:12px;height:12px;background:{COLOURS[row.reason]};'
            'border:1px solid #263238;transform:rotate(45deg)"></div>'
        )
        folium.Marker(
            [row.geom.y, row.geom.x],
            icon=folium.DivIcon(html=diamond, icon_size=(12, 12), icon_anchor=(6, 6)),
            tooltip=html.escape(f"{row.name} · {opts.t(f'officer.{row.reason}')}"),
            popup=folium.Popup(f"<b>{html.escape(row.name)}</b><br>{said}", max_width=300),
        ).add_to(group)
    group.add_to(m)
