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
from maps.page import CompactPoints

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


# A diamond, not a dot: dots with popups are the unit heads. [lat, lon, colour,
# tooltip, popup] per grid; one marker with a popup as folium writes it is 1 KB.
DIAMOND_JS = """function (r) {
  var icon = L.divIcon({className: '', iconSize: [12, 12], iconAnchor: [6, 6],
    html: '<div style="width:12px;height:12px;background:' + r[2]
      + ';border:1px solid #263238;transform:rotate(45deg)"></div>'});
  return L.marker([r[0], r[1]], {icon: icon}).bindTooltip(r[3])
    .bindPopup(r[4], {maxWidth: 300});
}"""


def add_grid_officers(m: folium.Map, covers: gpd.GeoDataFrame, opts: PageOptions) -> None:
    """The grids' cover as a layer of diamonds, with a popup each."""
    rows = []
    for row in opts.place(covers).itertuples():
        said = opts.t(f"officer.{row.reason}")
        if row.reason != "none":
            kind = opts.t("officer.part_time" if row.part_time else "officer.full_time")
            said += "<br>" + html.escape(
                opts.t("officer.load", kind=kind, grids=row.grids, most=row.max_grids)
            )
        rows.append(
            [
                round(row.geom.y, 6),
                round(row.geom.x, 6),
                COLOURS[row.reason],
                html.escape(f"{row.name} · {opts.t(f'officer.{row.reason}')}"),
                f"<b>{html.escape(row.name)}</b><br>{said}",
            ]
        )
    CompactPoints(rows, DIAMOND_JS, opts.t("officer.layer")).add_to(m)
