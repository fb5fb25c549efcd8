"""The command-centre map: boundaries, stations by tier, the three heads, the gaps,
coverage by community, buildings and households, and a search box.

Every asset is served by gridgov (maps.vendor): the page works on an intranet
with no internet, and with no basemap it needs no tile server either. Options
(maps.options) choose the language, the big-screen theme, the basemap and
whether households and buildings come from vector tiles.
"""

from __future__ import annotations

import html

import folium
from folium import plugins
from sqlalchemy import Connection

from geo_api.errors import StoreNotReadyError
from geo_api.figures import key_figures
from geo_api.gaps.finder import GAP_TYPES
from geo_api.gaps.stored import city_gaps
from geo_api.gaps.types import GapType
from maps import coverage_layers, layers
from maps.coverage import (
    add_buildings,
    add_choropleths,
    add_households,
    buildings_legend,
    choropleth_legend,
)
from maps.gap_layers import add_gaps, gap_legends
from maps.grid_officers import add_grid_officers, grid_covers
from maps.options import PageOptions
from maps.page import (
    add_search,
    data_time,
    finish,
    js_format,
    new_map,
    panel,
    sql_format,
)
from maps.party import add_party
from maps.reach import add_roads, add_service_areas, reach_legend
from maps.theme import LOAD_COLOURS, area_style
from maps.vector_tiles import add_tile_layers
from maps.wall.page import add_wall

AREA_LEVELS = ("street", "community", "grid", "compound")
# Shown when the page opens; the rest are a click away in the layer control.
HIDDEN_AT_START = {"outpost"}
# Gap layers from the mildest to the worst, so that where two gaps cover the same
# compound or unit the worse one is drawn on top (and listed last). A gap type not
# listed yet is drawn first, under the known ones.
GAP_DRAW_ORDER = [
    "members_inactive",
    "community_without_alliance",
    "project_behind_milestones",
    "demand_past_checkpoint",
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
# Tier -> (marker colour, Font Awesome icon)
TIERS = {
    "city": ("red", "star"),
    "street": ("orange", "flag"),
    "community": ("blue", "house"),
    "outpost": ("green", "mug-hot"),
}
ROLES = ("compound", "building", "unit")
FIGURES = (
    "households",
    "households_covered",
    "compound_heads",
    "building_heads",
    "unit_heads",
    "members",
    "city_stations",
    "street_stations",
    "community_stations",
    "outposts",
)
# Head clusters in a neutral slate, so their colours never read as a gap severity.
HEAD_CLUSTER_JS = """
function (cluster) {
  return L.divIcon({
    html: '<div><span>' + cluster.getChildCount() + '</span></div>',
    className: 'marker-cluster gg-head-cluster', iconSize: new L.Point(40, 40)});
}
"""


def gap_types_in_draw_order() -> list[GapType]:
    """Every gap type, mildest first (types not in GAP_DRAW_ORDER before the rest)."""
    rank = {name: i for i, name in enumerate(GAP_DRAW_ORDER)}
    return sorted(GAP_TYPES, key=lambda g: rank.get(g.name, -1))


def head_marker_js(opts: PageOptions) -> str:
    """A head's marker from [lat, lon, load, target, maximum]: green within target,
    orange above it, red above the hard maximum; its tooltip gives the three."""
    tip = js_format(opts.t("head.tooltip"), load="row[2]", target="row[3]", max="row[4]")
    within, over, beyond = (LOAD_COLOURS[k] for k in ("within", "over_target", "over_max"))
    return f"""
function (row) {{
  var colour = row[2] > row[4] ? '{beyond}' : (row[2] > row[3] ? '{over}' : '{within}');
  var marker = L.circleMarker(new L.LatLng(row[0], row[1]),
                              {{radius: 5, color: colour, fillOpacity: 0.8, weight: 1}});
  marker.bindTooltip({tip});
  return marker;
}}
"""


def add_areas(
    m: folium.Map,
    conn: Connection,
    opts: PageOptions,
    levels: tuple[str, ...] = AREA_LEVELS,
    community: str | None = None,
    grid: str | None = None,
) -> None:
    """Boundaries of each level, named and coded in their tooltips."""
    for level in levels:
        frame = opts.place(layers.area_layer(conn, level, community, grid, opts.at))
        style = area_style(level, opts.big)
        folium.GeoJson(
            frame,
            name=opts.t(f"area.{level}"),
            style_function=lambda _f, s=style: s,
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "code"], aliases=[opts.t("field.name"), opts.t("field.code")]
            ),
            show=level not in HIDDEN_AT_START,
        ).add_to(m)


def _reach(households: float | None) -> str:
    """A station's households in reach, or a dash before its service area is built."""
    return "—" if households is None or households != households else f"{int(households):,}"


def add_stations(
    m: folium.Map, conn: Connection, opts: PageOptions, community: str | None = None
) -> None:
    """Stations by tier; the popup gives tier, floor area, hours and households in reach."""
    frame = opts.place(layers.stations(conn, community))
    for tier, (colour, icon) in TIERS.items():
        if community is not None and not (frame["tier"] == tier).any():
            continue  # a community's map: no empty city and street tiers
        label = opts.t(f"tier.{tier}")
        group = folium.FeatureGroup(name=label, show=tier not in HIDDEN_AT_START)
        for row in frame[frame["tier"] == tier].itertuples():
            popup = (
                f"<b>{html.escape(row.name)}</b>"
                f"<br>{opts.t('station.tier')}：{label}"
                f"<br>{opts.t('station.area')}：{row.floor_area_m2:,.0f} m²"
                f"<br>{opts.t('station.hours')}：{html.escape(_text(row.hours))}"
                f"<br>{opts.t('station.reach')}：{_reach(row.households_within)}"
            )
            folium.Marker(
                [row.geometry.y, row.geometry.x],
                popup=folium.Popup(popup, max_width=300),
                tooltip=html.escape(row.name),
                icon=folium.Icon(color=colour, icon=icon, prefix="fa"),
            ).add_to(group)
        group.add_to(m)


def _heads(m: folium.Map, conn: Connection, opts: PageOptions) -> None:
    for role in ROLES:
        # FastMarkerCluster ignores show=: its group carries the switch instead.
        group = folium.FeatureGroup(name=opts.t(f"role.{role}"), show=role == "unit")
        plugins.FastMarkerCluster(
            opts.place_points(layers.heads(conn, role)),
            callback=head_marker_js(opts),
            control=False,
            icon_create_function=HEAD_CLUSTER_JS,
        ).add_to(group)
        group.add_to(m)


def command_centre_page(conn: Connection, opts: PageOptions | None = None) -> str:
    """The whole command-centre page as HTML."""
    opts = opts or PageOptions()
    read_at = data_time(conn)
    # Open on where people live (the compounds), not the whole county.
    bounds = layers.compound_extent(conn)
    if bounds is None:
        raise StoreNotReadyError("the store has no city yet: load one with `gridgov demo`")
    figures = key_figures(conn)
    m = new_map(bounds, opts)
    add_choropleths(m, coverage_layers.community_coverage(conn), opts)
    add_roads(m, conn, opts)
    add_areas(m, conn, opts)
    if opts.use_tiles(figures["households"]):
        add_tile_layers(m, opts)
    else:
        add_buildings(m, coverage_layers.buildings(conn), opts, show=False)
        add_households(m, coverage_layers.units(conn), opts)
    add_service_areas(m, conn, opts)
    add_stations(m, conn, opts)
    add_party(m, conn, opts)
    _heads(m, conn, opts)
    add_grid_officers(m, grid_covers(conn), opts)
    # The command centre sees people masked (its role does not reveal them).
    add_gaps(m, city_gaps(conn), opts, conn)
    add_search(m, layers.search_places(conn, building=sql_format(opts.t("building.name"))), opts)
    title = opts.t("title.command_centre")
    if opts.big:
        # The wall: its cards, rankings and alerts refresh in place, never a reload.
        wall_html = add_wall(m, conn, opts, bounds, title)
        return finish(m, opts.without_refresh(), title, wall_html, read_at)
    legends = [
        *gap_legends(opts),
        reach_legend(opts),
        choropleth_legend(opts),
        buildings_legend(opts),
    ]
    rows = [(key, opts.t(f"figure.{key}"), figures[key]) for key in FIGURES]
    return finish(m, opts, title, panel(opts, title, rows, legends), read_at)


def _text(value: object) -> str:
    """An optional text cell as shown: a dash where it is empty (None or pandas' NaN)."""
    return value if isinstance(value, str) and value else "—"
