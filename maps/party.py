"""The party-building layers of the map pages (issue 17): alliance units, the year's
resources and open demands, and the matches made (a line from each project's
demand to each resource committed to it). No personal data: units without their
liaison, demands without who raised them.

The labels are this module's own (zh and en) so the page's word table, which
other layers share, is left alone.
"""

from __future__ import annotations

import html
from typing import Any

import folium
import geopandas as gpd
from sqlalchemy import Connection, text

from maps.options import PageOptions
from maps.page import CompactPoints

LABELS = {
    "zh": {
        "party": "党建联盟与清单（单位、资源、需求、匹配）",
        "units": "联盟单位", "resources": "资源清单", "demands": "需求（未满足）",
        "matches": "已匹配（需求—资源）", "kind": "类型", "category": "类别",
        "capacity": "容量", "urgency": "紧急程度", "metres": "步行距离",
    },
    "en": {
        "party": "Alliance units and lists (units, resources, demands, matches)",
        "units": "Alliance units", "resources": "Resources", "demands": "Open demands",
        "matches": "Matches (demand to resource)", "kind": "Kind", "category": "Category",
        "capacity": "Capacity", "urgency": "Urgency", "metres": "Walk",
    },
}  # fmt: skip
URGENCY_COLOURS = {1: "#fdae6b", 2: "#f16913", 3: "#a50f15"}

# The latest year with lists: what the map shows.
YEAR_SQL = "SELECT max(year) FROM party_demand"
UNITS_SQL = """
SELECT u.id, u.name, u.kind, u.geom FROM alliance_unit u
WHERE u.geom IS NOT NULL AND (CAST(:c AS text) IS NULL OR EXISTS (
    SELECT 1 FROM alliance_agreement a JOIN community c ON c.code = :c
    WHERE a.unit_id = u.id AND (a.community_id = c.id OR a.street_id = c.street_id)))
"""
RESOURCES_SQL = """
SELECT r.id, r.title, lc.name_zh, lc.name_en, r.capacity, r.geom
FROM party_resource r JOIN list_category lc ON lc.id = r.category_id
LEFT JOIN community c ON c.id = r.community_id
WHERE r.year = :y AND r.withdrawn_on IS NULL AND r.geom IS NOT NULL
  AND (CAST(:c AS text) IS NULL OR c.code = :c)
"""
DEMANDS_SQL = """
SELECT d.id, d.title, lc.name_zh, lc.name_en, d.urgency, d.geom
FROM party_demand d JOIN list_category lc ON lc.id = d.category_id
JOIN community c ON c.id = d.community_id
WHERE d.year = :y AND d.status = 'open' AND (CAST(:c AS text) IS NULL OR c.code = :c)
"""
MATCHES_SQL = """
SELECT p.id, p.title, pr.distance_m, ST_MakeLine(d.geom, r.geom) AS geom
FROM party_project p JOIN party_demand d ON d.id = p.demand_id
JOIN community c ON c.id = p.community_id
JOIN project_resource pr ON pr.project_id = p.id
JOIN party_resource r ON r.id = pr.resource_id
WHERE p.year = :y AND r.geom IS NOT NULL AND p.status <> 'dropped'
  AND (CAST(:c AS text) IS NULL OR c.code = :c)
"""


def _frame(conn: Connection, sql: str, params: dict[str, object]) -> gpd.GeoDataFrame:
    return gpd.read_postgis(text(sql), conn, geom_col="geom", params=params)


def add_party(
    m: folium.Map, conn: Connection, opts: PageOptions, community: str | None = None
) -> None:
    """Units, resources, open demands and matches as layers (hidden at first), the
    whole city's or one community's (by code)."""
    words = LABELS["en" if opts.lang == "en" else "zh"]
    name_col = "name_en" if opts.lang == "en" else "name_zh"
    year = conn.execute(text(YEAR_SQL)).scalar()
    params: dict[str, object] = {"y": year, "c": community}
    # One entry in the layer list for all four: the list stays short on the wall.
    party = folium.FeatureGroup(name=words["party"], show=False)
    # Rows of numbers and escaped text, each drawn by a JS function (maps.page's
    # CompactPoints): a marker with a popup as folium writes it is about 1 KB.
    units = [
        [round(r.geom.y, 6), round(r.geom.x, 6), html.escape(r.name),
         f"<b>{html.escape(r.name)}</b><br>{words['kind']}：{html.escape(str(r.kind))}"]
        for r in opts.place(_frame(conn, UNITS_SQL, {"c": community})).itertuples()
    ]  # fmt: skip
    _points(party, units, UNIT_JS, words["units"])
    party.add_to(m)
    if year is None:
        return
    resources = [
        [round(r.geom.y, 6), round(r.geom.x, 6), "#238b45", 5,
         html.escape(f"{r.title} · {getattr(r, name_col)}"),
         f"<b>{html.escape(r.title)}</b><br>{words['capacity']}：{html.escape(str(r.capacity))}"]
        for r in opts.place(_frame(conn, RESOURCES_SQL, params)).itertuples()
    ]  # fmt: skip
    _points(party, resources, DOT_JS, words["resources"])
    demands = [
        [round(r.geom.y, 6), round(r.geom.x, 6), URGENCY_COLOURS[r.urgency], 6,
         html.escape(f"{r.title} · {getattr(r, name_col)}"),
         f"<b>{html.escape(r.title)}</b><br>{words['urgency']}：{html.escape(str(r.urgency))}"]
        for r in opts.place(_frame(conn, DEMANDS_SQL, params)).itertuples()
    ]  # fmt: skip
    _points(party, demands, DOT_JS, words["demands"])
    matches = []
    for r in opts.place(_frame(conn, MATCHES_SQL, params)).itertuples():
        walk = (
            "—"
            if r.distance_m != r.distance_m or r.distance_m is None
            else f"{r.distance_m:,.0f} m"
        )
        line = [[round(y, 6), round(x, 6)] for x, y in r.geom.coords]
        matches.append([line, html.escape(f"{r.title} · {words['metres']} {walk}")])
    _points(party, matches, LINE_JS, words["matches"])


# How each kind of row is drawn: [lat, lon, tooltip, popup] as a red flag; [lat,
# lon, colour, radius, tooltip, popup] as a dot; [[[lat, lon], ...], tooltip] as a line.
UNIT_JS = """function (r) {
  return L.marker([r[0], r[1]], {icon: L.AwesomeMarkers.icon(
      {icon: 'flag', markerColor: 'red', prefix: 'fa', extraClasses: 'fa-rotate-0'})})
    .bindTooltip(r[2]).bindPopup(r[3]);
}"""
DOT_JS = """function (r) {
  return L.circleMarker([r[0], r[1]], {radius: r[3], color: r[2], fill: true})
    .bindTooltip(r[4]).bindPopup(r[5]);
}"""
LINE_JS = """function (r) {
  return L.polyline(r[0], {color: '#6a51a3', weight: 2}).bindTooltip(r[1]);
}"""


def _points(group: folium.FeatureGroup, rows: list[list[Any]], make: str, name: str) -> None:
    """Rows drawn by ``make`` inside the party's group (not listed on their own)."""
    if rows:
        CompactPoints(rows, make, name, control=False).add_to(group)
