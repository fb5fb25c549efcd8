"""Colours, styles and the panel's look: the office theme and the big-screen theme.

The big screen (指挥大屏) is a dark wall display read from across a room: dark
ground and panel, light boundaries, large type in the panel, legend and layer
control.
"""

from __future__ import annotations

from typing import Any

SEVERITY_COLOURS = {"high": "#d7191c", "medium": "#fd8d3c", "low": "#fecc5c"}
# Homes beyond the 5-, 10- and 15-minute walks: one hue, darker as the walk is longer.
WALK_COLOURS = ("#9e9ac8", "#6a51a3", "#3f007d")
LOAD_COLOURS = {"within": "#1a9850", "over_target": "#fd8d3c", "over_max": "#d7191c"}
# Share of households covered: from none (red) to all (green), five classes.
SHARE_BREAKS = (0.5, 0.7, 0.85, 0.95)
SHARE_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
# A building by the share of its households that have a unit head.
BUILDING_COLOURS = {"all": "#1a9641", "some": "#fdae61", "none": "#d7191c", "empty": "#bdbdbd"}

_AREA_STYLES: dict[str, dict[str, dict[str, Any]]] = {
    "office": {
        "street": {"color": "#252525", "weight": 3, "fill": False},
        "community": {"color": "#2b8cbe", "weight": 2, "fillOpacity": 0.04},
        "grid": {"color": "#7fcdbb", "weight": 1, "dashArray": "4 4", "fill": False},
        "compound": {"color": "#636363", "weight": 1, "fillColor": "#bdbdbd", "fillOpacity": 0.3},
    },
    "big": {
        "street": {"color": "#f5f5f5", "weight": 3, "fill": False},
        "community": {"color": "#6cc3ff", "weight": 2, "fillColor": "#6cc3ff", "fillOpacity": 0.05},
        "grid": {"color": "#5fd4c4", "weight": 1.5, "dashArray": "4 4", "fill": False},
        "compound": {"color": "#cfd8dc", "weight": 1, "fillColor": "#78909c", "fillOpacity": 0.4},
    },
}


def area_style(level: str, big: bool) -> dict[str, Any]:
    """The outline and fill of one level of areas."""
    return _AREA_STYLES["big" if big else "office"][level]


def share_colour(share: float | None) -> str:
    """The choropleth colour of a share (0 to 1); grey when there is nobody to cover."""
    if share is None:
        return BUILDING_COLOURS["empty"]
    return SHARE_COLOURS[sum(share >= b for b in SHARE_BREAKS)]


def building_class(households: int, covered: int) -> str:
    """all, some or none of a building's households have a unit head; empty: nobody lives there."""
    if households == 0:
        return "empty"
    return "all" if covered == households else ("some" if covered else "none")


_COMMON = """
  body, .leaflet-container, .gg-panel, .leaflet-control-layers, .leaflet-popup-content,
  .leaflet-tooltip, .leaflet-control-search .search-input {
    font-family:'Noto Sans SC', 'Noto Sans CJK SC', sans-serif;}
  .gg-panel {position:fixed; top:56px; left:60px; z-index:1000; padding:8px 12px;
    border-radius:6px; max-height:calc(100% - 24px); overflow:auto;}
  .gg-panel h1 {margin:0 0 4px;}
  .gg-panel td.fig {text-align:right; padding-left:12px; font-weight:bold;}
  .gg-panel .legends {column-count:2; column-gap:16px;}
  .gg-panel .legend {margin-top:6px; break-inside:avoid;}
  .gg-panel .swatch {display:inline-block; width:0.9em; height:0.9em; margin-right:6px;
    vertical-align:-1px;}
  .gg-panel .dot {border-radius:50%;}
  .gg-panel .status {opacity:.7; font-size:.85em; margin-top:4px;}
  .gg-head-cluster {background-color:rgba(96,125,139,.35);}
  .gg-head-cluster div {background-color:rgba(69,90,100,.85); color:#fff;}
  .leaflet-control-search {clear:both;}
"""
_OFFICE = """
  .gg-panel {background:rgba(255,255,255,.92); font-size:13px; line-height:1.5;
    box-shadow:0 1px 4px #999;}
  .gg-panel h1 {font-size:16px;}
  .folium-map {background:#f4f1ea;}
"""
_BIG = """
  .folium-map {background:#0b1622;}
  .gg-panel {background:rgba(12,24,38,.93); color:#e8f1fa; font-size:22px; line-height:1.45;
    box-shadow:0 0 14px #000; left:70px; top:64px;}
  .gg-panel h1 {font-size:32px; color:#fff;}
  .gg-panel td.fig {color:#ffd54f; padding-left:24px;}
  .leaflet-control-layers {background:rgba(12,24,38,.93); color:#e8f1fa; font-size:18px;
    line-height:1.6;}
  .leaflet-control-layers-expanded {padding:10px 16px;}
  .leaflet-control-layers-overlays input {width:18px; height:18px; vertical-align:-3px;}
  .leaflet-bar a, .leaflet-bar a:hover {background:#1c2b3a; color:#e8f1fa;
    width:40px; height:40px; line-height:40px; font-size:26px;}
  .leaflet-control-scale-line {background:rgba(12,24,38,.8); color:#e8f1fa;
    border-color:#e8f1fa; font-size:16px;}
  .leaflet-container .leaflet-control-attribution {background:rgba(12,24,38,.8);
    color:#9fb3c8;}
  .leaflet-container .leaflet-control-attribution a {color:#9fb3c8;}
  .leaflet-tooltip, .leaflet-popup-content {font-size:18px;}
  .leaflet-control-zoom-fullscreen {filter:invert(90%);}
  .leaflet-control-search .search-input {font-size:18px; height:32px;}
  .leaflet-control-search .search-tooltip {font-size:18px;}
  /* Day-time basemaps, darkened to sit under the dark theme. */
  .leaflet-tile-pane {filter:invert(100%) hue-rotate(180deg) brightness(90%) contrast(90%);}
"""


def page_css(big: bool) -> str:
    """The <style> element of a page."""
    return f"<style>{_COMMON}{_BIG if big else _OFFICE}</style>"
