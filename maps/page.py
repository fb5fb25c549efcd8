"""What every map page shares: the map, the panel, the layer control, the search box,
the page script (refresh, readiness) and the rendering with gridgov's own assets."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import folium
import geopandas as gpd
from branca.element import Figure, MacroElement
from folium import plugins
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template
from sqlalchemy import Connection, text

from maps.basemaps import add_basemap
from maps.literal import js_literal
from maps.options import PageOptions
from maps.shift import latlon_to_gcj02
from maps.theme import page_css
from maps.vendor import font_links, localise

# gridgov's icon (a grid of four cells) as a data: URI.
FAVICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E"
    "%3Cpath fill='%232b8cbe' d='M1 1h6v6H1zM9 1h6v6H9zM1 9h6v6H1zM9 9h6v6H9z'/%3E%3C/svg%3E"
)
Bounds = tuple[float, float, float, float]  # west, south, east, north (WGS 84)
LegendItem = tuple[str, str, bool]  # label, colour, round (a dot) or square


def js_format(template: str, **exprs: str) -> str:
    """A JS expression for a label with {placeholders} filled by JS expressions:
    js_format('covers {n}', n='row[2]') -> '"covers " + row[2] + ""'."""
    parts = re.split(r"\{(\w+)\}", template)
    pieces = [
        json.dumps(part, ensure_ascii=False) if i % 2 == 0 else f"({exprs[part]})"
        for i, part in enumerate(parts)
    ]
    return " + ".join(pieces)


def sql_format(template: str) -> str:
    """A label with {placeholders} as a pattern for SQL format(), placeholders in order:
    sql_format('{compound}{number}号楼') -> '%s%s号楼'."""
    return re.sub(r"\{\w+\}", "%s", template.replace("%", "%%"))


def new_map(bounds: Bounds, opts: PageOptions) -> folium.Map:
    """An empty map fitted to ``bounds``, with the basemap the options name."""
    west, south, east, north = bounds
    if opts.basemap.gcj02:
        (south, north), (west, east) = latlon_to_gcj02([south, north], [west, east])
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=12,
        tiles=None,
        # Without a tile layer Leaflet knows no zoom range, which MarkerCluster needs.
        maxZoom=19,
        minZoom=9,
        prefer_canvas=True,
    )
    MetricScale().add_to(m)
    add_basemap(m, opts.basemap)
    # Leave room for the panel (left) and the layer control (right).
    left, right = (500, 420) if opts.big else (360, 300)
    m.fit_bounds(
        [[south, west], [north, east]],
        padding_top_left=(left, 40),
        padding_bottom_right=(right, 20),
    )
    return m


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's control_scale adds
    miles and feet beside them, which no Chinese officer reads)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, maxWidth: 160}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class CompactPoints(Layer):
    """A layer of many points sent as rows of numbers, each drawn by a JS function
    ``make(row) -> L.Layer``: a fraction of the size of the same points as GeoJSON."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
          var make = {{ this.make }};
          var group = L.layerGroup();
          {{ this.rows }}.forEach(function (row) { group.addLayer(make(row)); });
          return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self, rows: list[list[Any]], make: str, name: str, show: bool = True, control: bool = True
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "CompactPoints"
        self.rows = js_literal(rows)
        self.make = make


class PageScript(MacroElement):
    """The page's own script, added last: exposes the map, reloads the page every
    ``refresh`` seconds while the server answers, and marks the page ready."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }};
          window.gg_map = map;
          var status = document.getElementById('gg-status');
          // The time the data was read, not the time the page was opened: a saved
          // page opened days later must not look fresh.
          window.gg_read_at = {{ this.read_at|tojson }};
          if (status) status.textContent = {{ this.updated|tojson }} + ' '
            + new Date(window.gg_read_at).toLocaleString({{ this.locale|tojson }}, {
                year: 'numeric', month: '2-digit', day: '2-digit',
                hour: '2-digit', minute: '2-digit'});
          {%- if this.refresh_ms %}
          var health = location.pathname.replace(/\\/maps\\/.*$/, '/health');
          window.gg_refresh = function () {
            return fetch(health, {cache: 'no-store'}).then(function (r) {
              if (!r.ok) throw new Error('HTTP ' + r.status);
              // Read the answer to its end first: a reload would abort it half-read.
              return r.text().then(function () { location.reload(); });
            }).catch(function () {
              if (status) status.textContent = {{ this.offline|tojson }};
            });
          };
          if (location.protocol.indexOf('http') === 0) {
            window.gg_refresh_every = {{ this.refresh_ms }};
            setInterval(window.gg_refresh, {{ this.refresh_ms }});
          }
          {%- endif %}
          window.gg_ready = performance.now();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, opts: PageOptions, read_at: datetime) -> None:
        super().__init__()
        self._name = "PageScript"
        self.read_at = read_at.isoformat(timespec="seconds")
        self.refresh_ms = (opts.refresh_s or 0) * 1000
        self.updated = opts.t("refresh.updated")
        self.locale = "zh-CN" if opts.lang == "zh" else "en-GB"
        self.offline = opts.t("refresh.offline")


# folium writes its layers' data with json.dumps' default, every Chinese character as
# \uXXXX: six bytes where UTF-8 takes three. Inside the page's scripts these escapes
# (CJK, its punctuation and full-width forms; never <, >, & or a line separator) are
# written back as the characters they stand for: the same strings, a sixth smaller page.
SCRIPT = re.compile(r"(<script\b[^>]*>)(.*?)(</script>)", re.S)
CJK_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u(3[0-9a-f]{3}|[4-9][0-9a-f]{3}|ff[0-9a-e][0-9a-f])")


def cjk_as_characters(page: str) -> str:
    """``page`` with the \\u escapes of Chinese characters in its scripts written as
    the characters (an escaped backslash before a ``u`` is left alone)."""

    def characters(m: re.Match[str]) -> str:
        return m.group(1) + chr(int(m.group(2), 16))

    return SCRIPT.sub(
        lambda m: m.group(1) + CJK_ESCAPE.sub(characters, m.group(2)) + m.group(3), page
    )


class SearchBox(JSCSSMixin, MacroElement):
    """leaflet-search over places sent as [lat, lon, label] rows: typing part of a name
    lists the places whose label holds it; choosing one flies there and rings it."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var places = {{ this.rows }}.map(function (row) {
            return {title: row[2], loc: [row[0], row[1]]};
          });
          // sourceData, not a layer: leaflet-search would draw a layer's markers.
          {{ this._parent.get_name() }}.addControl(new L.Control.Search({
            sourceData: function (text, callResponse) {
              callResponse(places);
              return {abort: function () {}};
            },
            propertyName: 'title', propertyLoc: 'loc', initial: false, zoom: 17,
            collapsed: false, position: 'topleft', textPlaceholder: {{ this.placeholder }},
            marker: {icon: false, animate: true,
                     circle: {radius: 18, weight: 4, color: '#e6007e', fill: false}}
          }));
        })();
        {% endmacro %}
        """
    )
    # The same files as folium.plugins.Search, so maps.vendor serves gridgov's copies.
    default_js = plugins.Search.default_js
    default_css = plugins.Search.default_css

    def __init__(self, rows: list[list[Any]], placeholder: str) -> None:
        super().__init__()
        self._name = "SearchBox"
        self.rows = js_literal(rows)
        self.placeholder = js_literal(placeholder)


def add_search(m: folium.Map, places: gpd.GeoDataFrame, opts: PageOptions) -> None:
    """A search box over ``places`` (label, kind, point), each labelled with its kind."""
    places = opts.place(places)
    rows = [
        [
            round(p.y, 6),
            round(p.x, 6),
            f"{label}（{opts.t('search.' + kind)}）"
            if opts.lang == "zh"
            else f"{label} ({opts.t('search.' + kind)})",
        ]
        for p, label, kind in zip(places.geometry, places["label"], places["kind"], strict=True)
    ]
    SearchBox(rows, opts.t("search.placeholder")).add_to(m)


def panel(
    opts: PageOptions,
    title: str,
    figures: Sequence[tuple[str, str, int]],
    legends: Sequence[tuple[str, Sequence[LegendItem]]],
) -> str:
    """The panel: title, figures (key, label, value) and legends (title, items)."""
    rows = "".join(
        f'<tr><td>{html.escape(label)}</td><td class="fig" data-figure="{key}">{value:,}</td></tr>'
        for key, label, value in figures
    )
    blocks = "".join(
        f'<div class="legend"><b>{html.escape(name)}</b>'
        + "".join(
            f'<div><span class="swatch{" dot" if dot else ""}" style="background:{colour}">'
            f"</span>{html.escape(label)}</div>"
            for label, colour, dot in items
        )
        + "</div>"
        for name, items in legends
    )
    return (
        f'<div class="gg-panel" id="gg-panel"><h1>{html.escape(title)}</h1>'
        f'<table>{rows}</table><div class="legends">{blocks}</div>'
        '<div class="status" id="gg-status"></div></div>'
    )


def data_time(conn: Connection) -> datetime:
    """When the data of a page is read: the start of the store's transaction, which
    every read of the page shares (its snapshot)."""
    return conn.execute(text("SELECT now()")).scalar_one()  # type: ignore[no-any-return]


def finish(m: folium.Map, opts: PageOptions, title: str, panel_html: str, read_at: datetime) -> str:
    """Add the controls and the page script (which shows ``read_at``, the data's time),
    and render with gridgov's assets."""
    # On the big screen nobody picks layers, and the open list hid a third of the map.
    folium.LayerControl(collapsed=opts.big).add_to(m)
    plugins.Fullscreen(title=opts.t("fullscreen"), title_cancel=opts.t("fullscreen.exit")).add_to(m)
    PageScript(opts, read_at).add_to(m)
    root = m.get_root()
    assert isinstance(root, Figure)
    root.html.add_child(folium.Element(page_css(opts.big) + panel_html))
    # The icon inside the page: a file opened offline has no /favicon.ico to ask for.
    root.header.add_child(folium.Element(f'<link rel="icon" href="{FAVICON}">'))
    # Chinese needs a font: gridgov's own, since a wall screen's PC may have none.
    root.header.add_child(folium.Element(font_links(opts.base_url)))
    root.title = title
    localise(root, opts.base_url)
    page = cjk_as_characters(str(root.render()))
    # Screen readers and fonts pick the right language from <html lang>.
    return page.replace("<html>", f'<html lang="{"zh-CN" if opts.lang == "zh" else "en"}">', 1)
