"""The command-centre map: boundaries, stations by tier, the three heads and the gaps.

Every asset is served by gridgov (maps.vendor): the page works on an intranet
with no internet, and with no basemap it needs no tile server either.
"""

from __future__ import annotations

import html

import folium
from branca.element import Figure
from folium import plugins
from sqlalchemy import Connection

from geo_api.errors import StoreNotReadyError
from geo_api.figures import key_figures
from geo_api.gaps.finder import GAP_TYPES, find_gaps
from maps import layers
from maps.vendor import DEFAULT_BASE_URL, localise

TITLE = "网格化治理指挥中心"

# Shown when the page opens; the rest are a click away in the layer control.
HIDDEN_AT_START = {"outpost", "head_over_capacity", "beyond_5min_walk", "beyond_15min_walk"}
# Gap layers from the mildest to the worst, so that where two gaps cover the same
# compound or unit the worse one is drawn on top (and listed last).
GAP_DRAW_ORDER = [
    "head_over_capacity",
    "unit_without_head",
    "building_without_head",
    "beyond_5min_walk",
    "beyond_10min_walk",
    "beyond_15min_walk",
    "households_without_head",
    "compound_without_head",
    "grid_without_officer",
    "grid_over_households",
    "community_without_station",
    "station_outside_community",
    "station_below_standard",
    "territory_without_community",
    "community_overlap",
]

# Tier -> (marker colour, Font Awesome icon, Chinese name)
TIERS = {
    "city": ("red", "star", "市党群服务中心"),
    "street": ("orange", "flag", "街道党群服务中心"),
    "community": ("blue", "house", "社区党群服务站"),
    "outpost": ("green", "mug-hot", "党群驿站"),
}
ROLES = {"compound": "小区长", "building": "楼长", "unit": "单元长"}
SEVERITY_COLOURS = {"high": "#d7191c", "medium": "#fd8d3c", "low": "#fecc5c"}
AREA_STYLES = {
    "street": ("街道边界", {"color": "#252525", "weight": 3, "fill": False}),
    "community": ("社区边界", {"color": "#2b8cbe", "weight": 2, "fillOpacity": 0.04}),
    "grid": ("网格边界", {"color": "#7fcdbb", "weight": 1, "dashArray": "4 4", "fill": False}),
    "compound": (
        "小区",
        {"color": "#636363", "weight": 1, "fillColor": "#bdbdbd", "fillOpacity": 0.3},
    ),
}
FIGURE_LABELS = {
    "households": "户数",
    "households_covered": "已联系户数",
    "compound_heads": "小区长",
    "building_heads": "楼长",
    "unit_heads": "单元长",
    "members": "报到党员",
    "city_stations": "市党群服务中心",
    "street_stations": "街道党群服务中心",
    "community_stations": "社区党群服务站",
    "outposts": "党群驿站",
}
# A head's marker: green within target, orange above it, red above the hard maximum.
HEAD_MARKER_JS = """
function (row) {
  var colour = row[2] > row[4] ? '#d7191c' : (row[2] > row[3] ? '#fd8d3c' : '#1a9850');
  var marker = L.circleMarker(new L.LatLng(row[0], row[1]),
                              {radius: 5, color: colour, fillOpacity: 0.8, weight: 1});
  marker.bindTooltip('联系 ' + row[2] + ' 户（目标 ' + row[3] + '）');
  return marker;
}
"""


# Head clusters in a neutral slate, so their colours never read as a gap severity.
HEAD_CLUSTER_JS = """
function (cluster) {
  return L.divIcon({
    html: '<div><span>' + cluster.getChildCount() + '</span></div>',
    className: 'marker-cluster gg-head-cluster', iconSize: new L.Point(40, 40)});
}
"""


def _areas(m: folium.Map, conn: Connection) -> None:
    for level, (name, style) in AREA_STYLES.items():
        frame = layers.area_layer(conn, level)
        folium.GeoJson(
            frame,
            name=name,
            style_function=lambda _f, s=style: s,
            tooltip=folium.GeoJsonTooltip(fields=["name", "code"], aliases=["名称", "代码"]),
            show=level not in HIDDEN_AT_START,
        ).add_to(m)


def _stations(m: folium.Map, conn: Connection) -> None:
    frame = layers.stations(conn)
    for tier, (colour, icon, label) in TIERS.items():
        group = folium.FeatureGroup(name=label, show=tier not in HIDDEN_AT_START)
        for row in frame[frame["tier"] == tier].itertuples():
            popup = (
                f"<b>{html.escape(row.name)}</b><br>{label}<br>面积 {row.floor_area_m2:,.0f} m²"
                f"<br>开放时间 {html.escape(row.hours or '—')}"
            )
            folium.Marker(
                [row.geom.y, row.geom.x],
                popup=folium.Popup(popup, max_width=260),
                tooltip=html.escape(row.name),
                icon=folium.Icon(color=colour, icon=icon, prefix="fa"),
            ).add_to(group)
        group.add_to(m)


def _heads(m: folium.Map, conn: Connection) -> None:
    for role, label in ROLES.items():
        # FastMarkerCluster ignores show=: its group carries the switch instead.
        group = folium.FeatureGroup(name=label, show=role == "unit")
        plugins.FastMarkerCluster(
            layers.heads(conn, role),
            callback=HEAD_MARKER_JS,
            control=False,
            icon_create_function=HEAD_CLUSTER_JS,
        ).add_to(group)
        group.add_to(m)


def _gaps(m: folium.Map, conn: Connection) -> None:
    gaps = layers.compact_gaps(find_gaps(conn))
    for gap in sorted(GAP_TYPES, key=lambda g: GAP_DRAW_ORDER.index(g.name)):
        subset = gaps[gaps["type"] == gap.name]
        station = gap.ref == "station"
        group = folium.FeatureGroup(
            name=f"问题：{gap.label}（{len(subset)}）", show=gap.name not in HIDDEN_AT_START
        )
        if len(subset):
            folium.GeoJson(
                subset,
                style_function=lambda f: {
                    "color": SEVERITY_COLOURS[f["properties"]["severity"]],
                    "fillColor": SEVERITY_COLOURS[f["properties"]["severity"]],
                    "weight": 2,
                    "fillOpacity": 0.5,
                },
                # A station gap rings the station's pin instead of hiding under it.
                marker=folium.CircleMarker(
                    radius=16 if station else 6, fill=not station, weight=4 if station else 2
                ),
                tooltip=folium.GeoJsonTooltip(
                    fields=["detail", "community_name", "households"],
                    aliases=["问题", "社区", "涉及户数"],
                ),
            ).add_to(group)
        group.add_to(m)


def _panel(figures: dict[str, int]) -> str:
    rows = "".join(
        f'<tr><td>{label}</td><td class="fig" data-figure="{key}">{figures[key]:,}</td></tr>'
        for key, label in FIGURE_LABELS.items()
    )
    legend = "".join(
        f'<div><span class="swatch" style="background:{colour}"></span>{name}</div>'
        for name, colour in (("严重", "#d7191c"), ("一般", "#fd8d3c"), ("轻微", "#fecc5c"))
    )
    heads = "".join(
        f'<div><span class="dot" style="background:{colour}"></span>{name}</div>'
        for name, colour in (
            ("未超目标", "#1a9850"),
            ("超过目标", "#fd8d3c"),
            ("超过上限", "#d7191c"),
        )
    )
    return f"""
<style>
  .gg-panel {{position:fixed; top:12px; left:60px; z-index:1000; background:rgba(255,255,255,.92);
    padding:8px 12px; border-radius:6px; font:13px/1.5 sans-serif; box-shadow:0 1px 4px #999;}}
  .gg-panel h1 {{font-size:16px; margin:0 0 4px;}}
  .gg-panel td.fig {{text-align:right; padding-left:12px; font-weight:bold;}}
  .gg-panel .swatch {{display:inline-block; width:12px; height:12px; margin-right:6px;}}
  .gg-panel .dot {{display:inline-block; width:10px; height:10px; border-radius:5px;
    margin-right:6px;}}
  .gg-head-cluster {{background-color:rgba(96,125,139,.35);}}
  .gg-head-cluster div {{background-color:rgba(69,90,100,.85); color:#fff;}}
  .folium-map {{background:#f4f1ea;}}
</style>
<div class="gg-panel" id="gg-panel"><h1>{TITLE}</h1><table>{rows}</table>
<div style="margin-top:6px"><b>问题严重程度</b>{legend}</div>
<div style="margin-top:6px"><b>三长联系户数</b>{heads}</div></div>
"""


def command_centre_page(conn: Connection, base_url: str = DEFAULT_BASE_URL) -> str:
    """The whole command-centre page as HTML, with assets served from ``base_url``."""
    # Open on where people live (the compounds), not the whole county.
    bounds = layers.compound_extent(conn)
    if bounds is None:
        raise StoreNotReadyError("the store has no city yet: load one with `gridgov demo`")
    m = folium.Map(
        location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        zoom_start=12,
        tiles=None,
        # Without a tile layer Leaflet knows no zoom range, which MarkerCluster needs.
        maxZoom=19,
        minZoom=9,
        control_scale=True,
        prefer_canvas=True,
    )
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    _areas(m, conn)
    _stations(m, conn)
    _heads(m, conn)
    _gaps(m, conn)
    folium.LayerControl(collapsed=False).add_to(m)
    plugins.Fullscreen(title="全屏", title_cancel="退出全屏").add_to(m)
    root = m.get_root()
    assert isinstance(root, Figure)
    root.html.add_child(folium.Element(_panel(key_figures(conn))))
    root.title = TITLE
    localise(root, base_url)
    return str(root.render())
