"""The gaps on a map, drawn so that the map stays readable.

Area gaps (units, buildings, compounds, grids, communities) are outlines with a
hatching of their severity's colour, in a pane of their own above the areas and
buildings but under every marker: the buildings show through, and the markers
stay on top and clickable. Only a gap's outline takes clicks (its popup), so the
buildings under the hatching keep their tooltips. Gap types are grouped into a
few layers; the three walking circles are one layer in three shades.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.template import Template
from sqlalchemy import Connection

from geo_api.gaps.finder import GAP_TYPES
from geo_api.gaps.types import GapType
from geo_api.gaps.who_acts import Actor, who_acts_frame
from maps import layers
from maps.labels import gap_label
from maps.options import PageOptions
from maps.page import LegendItem
from maps.theme import LOAD_COLOURS, SEVERITY_COLOURS, WALK_COLOURS

GAPS_PANE = "gg-gaps"
GAPS_PANE_Z = 450  # over the overlay pane (400: areas, buildings), under markers (600)
# Gap types shown together, in the layer control's order; a type in no group (a new
# one) gets a layer of its own after them.
GAP_GROUPS: dict[str, tuple[str, ...]] = {
    "heads": (
        "head_over_capacity",
        "unit_without_head",
        "building_without_head",
        "households_without_head",
        "compound_without_head",
    ),
    "walk": ("beyond_5min_walk", "beyond_10min_walk", "beyond_15min_walk"),
    "grids": ("grid_without_officer", "grid_over_households"),
    "stations": (
        "community_without_station",
        "station_outside_community",
        "station_below_standard",
    ),
    "territory": ("territory_without_community", "community_overlap"),
}
WALK_TYPES = GAP_GROUPS["walk"]
HIDDEN_AT_START = {"territory"}
SHADES = {**SEVERITY_COLOURS, **{f"walk{i}": c for i, c in enumerate(WALK_COLOURS)}}


class GapsPane(MacroElement):
    """The gaps' pane, its SVG renderer (patterns need SVG: the page draws on canvas)
    and the hatchings, one per colour, defined once in the page."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .leaflet-{{ this.pane }}-pane > svg {pointer-events:none;}
          .leaflet-{{ this.pane }}-pane > svg path.leaflet-interactive {
            pointer-events:visibleStroke;}
          .leaflet-{{ this.pane }}-pane > svg path.gg-gap-point.leaflet-interactive {
            pointer-events:visiblePainted;}
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
        {%- for id, colour in this.hatches %}
          <pattern id="{{ id }}" width="8" height="8" patternUnits="userSpaceOnUse"
                   patternTransform="rotate(45)">
            <rect width="8" height="8" fill="{{ colour }}" fill-opacity="0.08"></rect>
            <line x1="0" y1="0" x2="0" y2="8" stroke="{{ colour }}" stroke-width="3"
                  stroke-opacity="0.6"></line>
          </pattern>
        {%- endfor %}
        </defs></svg>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }};
          var pane = map.createPane({{ this.pane|tojson }});
          pane.style.zIndex = {{ this.z }};
          // Leaflet asks for a pane's renderer by name: an SVG one, set before any
          // gap is added, so that the page's canvas renderer is not used for it.
          map._paneRenderers = map._paneRenderers || {};
          map._paneRenderers[{{ this.pane|tojson }}] = L.svg({pane: {{ this.pane|tojson }}});
        })();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "GapsPane"
        self.pane = GAPS_PANE
        self.z = GAPS_PANE_Z
        self.hatches = [(hatch_id(key), colour) for key, colour in SHADES.items()]


def hatch_id(key: str) -> str:
    """The id of the hatching of a severity or walk shade ('high', 'walk0')."""
    return f"gg-hatch-{key}"


def shade(gap_type: str, severity: str) -> str:
    """The colour key of a gap: its walk's shade for walking gaps, else its severity."""
    if gap_type in WALK_TYPES:
        return f"walk{WALK_TYPES.index(gap_type)}"
    return severity


def _style(props: dict[str, Any]) -> dict[str, object]:
    """A point gap (a head, a station) rings its place; an area gap is hatched."""
    key = props["shade"]
    colour = SHADES[key]
    if props["point"]:
        return {"color": colour, "fillColor": colour, "weight": 3, "fillOpacity": 0.35}
    return {
        "color": colour,
        "weight": 2,
        "fillColor": f"url(#{hatch_id(key)})",
        "fillOpacity": 1,
    }


def actor_text(actor: Actor, opts: PageOptions) -> str:
    """Who must act, as a popup line: role, then name and phone where there are some."""
    role = opts.t(f"actor.{actor.role}")
    parts = [role, actor.name or "", actor.phone or ""] if actor.person else [actor.name or role]
    return " ".join(p for p in parts if p)


def gap_groups() -> list[tuple[str, list[GapType]]]:
    """The layers of gaps: (group key, its types, mildest first so the worst is on top)."""
    by_name = {g.name: g for g in GAP_TYPES}
    grouped = [
        (key, [by_name[n] for n in names if n in by_name]) for key, names in GAP_GROUPS.items()
    ]
    listed = {n for names in GAP_GROUPS.values() for n in names}
    return grouped + [(g.name, [g]) for g in GAP_TYPES if g.name not in listed]


def group_label(key: str, types: list[GapType], opts: PageOptions) -> str:
    """A group's name in the layer control (a lone type: its own name)."""
    if len(types) == 1 and key == types[0].name:
        return gap_label(types[0].name, types[0].label, opts.lang)
    return opts.t(f"gaps.{key}")


def add_gaps(
    m: folium.Map,
    gaps: gpd.GeoDataFrame,
    opts: PageOptions,
    conn: Connection | None = None,
    reveal: bool = False,
) -> list[str]:
    """The gaps, a layer per group; a gap's popup says what is wrong and who must act
    (geo_api.gaps.who_acts; with no ``conn``, the level responsible). People are
    named in full only if ``reveal``: returns their audit records."""
    GapsPane().add_to(m)
    actors = who_acts_frame(conn, gaps) if conn is not None else None
    gaps = opts.place(layers.compact_gaps(gaps))
    records: list[str] = []
    if actors is None:
        who = [opts.t(f"level.{level}") for level in gaps["level"]]
    else:
        shown = [a.shown(reveal) for a in actors]
        who = [actor_text(a, opts) for a in shown]
        records = sorted({a.record for a in actors if reveal and a.record})
    gaps = gaps.assign(
        who=who,
        what=[
            gap_label(t, lb, opts.lang) for t, lb in zip(gaps["type"], gaps["label"], strict=True)
        ],
        shade=[shade(t, s) for t, s in zip(gaps["type"], gaps["severity"], strict=True)],
        point=gaps.geom_type == "Point",
    )
    fields = ["what", "detail", "who", "community_name", "households"]
    aliases = [opts.t(f"gap.{k}") for k in ("what", "detail", "who", "community", "households")]
    for key, types in gap_groups():
        names = [g.name for g in types]
        subset = gaps[gaps["type"].isin(names)]
        # Mildest first: where two gaps cover the same place the worse is on top.
        subset = subset.iloc[subset["type"].map(names.index).argsort(kind="stable")]
        label = opts.t("gap.layer", label=group_label(key, types, opts), n=len(subset))
        group = folium.FeatureGroup(name=label, show=key not in HIDDEN_AT_START)
        if len(subset):
            folium.GeoJson(
                subset[[*fields, "shade", "point", "geometry"]].to_json(drop_id=True),
                pane=GAPS_PANE,
                style_function=lambda f: _style(f["properties"]),
                marker=folium.CircleMarker(radius=14, pane=GAPS_PANE, class_name="gg-gap-point"),
                tooltip=folium.GeoJsonTooltip(fields=["detail"], labels=False),
                popup=folium.GeoJsonPopup(fields=fields, aliases=aliases, max_width=360),
            ).add_to(group)
        group.add_to(m)
    return records


def gap_legends(opts: PageOptions) -> list[tuple[str, list[LegendItem]]]:
    """Gap severity, the walking gaps' three shades, and the colours of heads by load."""
    severity: list[LegendItem] = [
        (opts.t(f"severity.{k}"), colour, False) for k, colour in SEVERITY_COLOURS.items()
    ]
    walk: list[LegendItem] = [(opts.t(f"walk.{i}"), c, False) for i, c in enumerate(WALK_COLOURS)]
    load: list[LegendItem] = [(opts.t(f"load.{k}"), c, True) for k, c in LOAD_COLOURS.items()]
    return [
        (opts.t("severity.title"), severity),
        (opts.t("walk.title"), walk),
        (opts.t("load.title"), load),
    ]
