"""The validation report as a map page: each problem where it is, by kind.

Overlaps, uncovered parts of parents and stray homes have a geometry; children
outside their parent are listed in the panel (the child's outline is in the
store). Assets come from gridgov's own copies (maps.vendor), as every page.
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
from branca.element import Figure

from maps.page import MetricScale
from maps.vendor import DEFAULT_BASE_URL, localise

KINDS = {  # kind -> (colour, Chinese label)
    "overlap": ("#d7191c", "重叠"),
    "uncovered": ("#fdae61", "未覆盖"),
    "home_outside_compound": ("#2c7bb6", "户不在小区内"),
    "outside_parent": ("#7b3294", "超出上级边界"),
}
TITLE = "gridgov 数据校验"


def validation_page(problems: gpd.GeoDataFrame, base_url: str = DEFAULT_BASE_URL) -> str:
    """The report's problems on a map (an empty report: a map saying so)."""
    located = problems[problems.geometry.notna() & ~problems.geometry.is_empty]
    if len(located):
        west, south, east, north = located.total_bounds
        centre = [(south + north) / 2, (west + east) / 2]
    else:
        centre, west, south, east, north = [35.6, 111.35], 111.2, 35.5, 111.5, 35.7
    m = folium.Map(location=centre, zoom_start=13, tiles=None, maxZoom=19)
    MetricScale().add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    for kind, (colour, label) in KINDS.items():
        subset = located[located["kind"] == kind]
        group = folium.FeatureGroup(name=f"{label}（{len(problems[problems['kind'] == kind])}）")
        if len(subset):
            folium.GeoJson(
                subset[["kind", "table", "id", "message", "geometry"]].to_json(drop_id=True),
                style_function=lambda _, c=colour: {"color": c, "fillColor": c, "weight": 2},
                marker=folium.CircleMarker(radius=5, color=colour, fill=True),
                popup=folium.GeoJsonPopup(fields=["message"], labels=False),
            ).add_to(group)
        group.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    root = m.get_root()
    assert isinstance(root, Figure)
    root.html.add_child(folium.Element(_panel(problems)))
    root.title = TITLE
    localise(root, base_url)
    return str(root.render())


def _panel(problems: gpd.GeoDataFrame) -> str:
    """The counts, and the first problems in words."""
    items = (
        "".join(f"<li>{html.escape(str(m))}</li>" for m in problems["message"].head(30))
        or "<li>没有问题</li>"
    )
    return (
        '<div id="report" style="position:fixed;top:10px;left:60px;z-index:1000;'
        "background:white;padding:8px 12px;max-width:480px;max-height:40%;overflow:auto;"
        'font:13px sans-serif;box-shadow:0 1px 4px #888">'
        f"<b>{TITLE}</b>：{len(problems)} 个问题<ul>{items}</ul></div>"
    )
