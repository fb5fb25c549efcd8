"""The wall's parts of the command-centre page: its HTML skeleton, its data (the wall
JSON it opens with, the places to label and drill into) and its script and style,
ECharts served from maps/assets like every other asset, the wall's own script and
style (maps/assets/local/wall) inside the page.

The page is built once per data version (geo_api.db.results); what changes between
versions (figures, alerts) the script fetches from /wall.json and draws in place.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import folium
from branca.element import Figure
from sqlalchemy import Connection, text

from geo_api.stats.wall import CARDS, wall
from maps.literal import js_literal
from maps.options import PageOptions
from maps.page import Bounds
from maps.shift import latlon_to_gcj02
from maps.theme import SEVERITY_COLOURS, SHARE_COLOURS
from maps.vendor import WALL
from maps.wall.words import wall_words

# The wall's own script and style: gridgov's, not from npm; inside the page (17 KB),
# so that an edit shows at the next page build, with no `make assets`.
OWN_ASSETS = Path(__file__).resolve().parents[1] / "assets" / "local" / "wall"

PLACES_SQL = text("""
SELECT 'street' AS level, s.code, s.name, NULL AS street,
       ST_Y(ST_PointOnSurface(s.geom)) AS lat, ST_X(ST_PointOnSurface(s.geom)) AS lon,
       ST_XMin(s.geom) AS west, ST_YMin(s.geom) AS south,
       ST_XMax(s.geom) AS east, ST_YMax(s.geom) AS north
FROM street s
UNION ALL
SELECT 'community', c.code, c.name, s.code,
       ST_Y(ST_PointOnSurface(c.geom)), ST_X(ST_PointOnSurface(c.geom)),
       ST_XMin(c.geom), ST_YMin(c.geom), ST_XMax(c.geom), ST_YMax(c.geom)
FROM community c JOIN street s ON s.id = c.street_id
ORDER BY 1 DESC, 2
""")


def own(name: str) -> str:
    """One of the wall's own files, safe inside a <script> or <style> element."""
    body = (OWN_ASSETS / name).read_text(encoding="utf-8")
    return re.sub(r"(?i)</(script|style)", r"<\\/\1", body)


def _latlon(opts: PageOptions, lat: float, lon: float) -> list[float]:
    """A point as [lat, lon] in the basemap's coordinates, to 6 decimals (0.1 m)."""
    if opts.basemap.gcj02:
        (lat,), (lon,) = latlon_to_gcj02([lat], [lon])
    return [round(lat, 6), round(lon, 6)]


def places(conn: Connection, opts: PageOptions) -> list[dict[str, Any]]:
    """Every street and community: name, code, label point and bounds."""
    return [
        {
            "level": r.level,
            "code": r.code,
            "name": r.name,
            "street": r.street,
            **dict(zip(("lat", "lon"), _latlon(opts, r.lat, r.lon), strict=True)),
            "bounds": [_latlon(opts, r.south, r.west), _latlon(opts, r.north, r.east)],
        }
        for r in conn.execute(PLACES_SQL)
    ]


def skeleton(opts: PageOptions, words: dict[str, str], title: str) -> str:
    """The wall's boxes, filled by wall.js: top bar, cards and alerts (left), trend and
    rankings (right), and the legend under the map."""
    w = {k: html.escape(v) for k, v in words.items()}
    severity = "".join(
        f'<span><span class="swatch" style="background:{colour}"></span>'
        f"{html.escape(opts.t(f'severity.{key}'))}</span>"
        for key, colour in SEVERITY_COLOURS.items()
    )
    share = "".join(
        f'<span class="swatch" style="background:{colour}"></span>' for colour in SHARE_COLOURS
    )
    return f"""
<div id="gg-top"><h1>{html.escape(title)}</h1>
  <button id="gg-back" type="button">‹ {w["back"]}</button><div id="gg-where"></div>
  <div class="gg-spacer"></div><span id="gg-offline">{w["offline"]}</span>
  <div id="gg-status"></div>
  <div id="gg-clock"><div class="time" id="gg-clock-time"></div>
    <div class="date" id="gg-clock-date"></div></div></div>
<div id="gg-left"><div id="gg-cards"></div>
  <div id="gg-alerts" class="gg-box"><h2>{w["alerts"]}</h2><ol id="gg-alert-list"></ol></div>
</div>
<div id="gg-right">
  <div id="gg-trend" class="gg-box"><h2>{w["trend"]}</h2>
    <div class="gg-chart" id="gg-chart-trend"></div></div>
  <div id="gg-streets-box" class="gg-box"><h2>{w["streets"]}</h2><div id="gg-streets"></div></div>
  <div id="gg-rank-cov" class="gg-box"><h2>{w["rank.coverage"]}</h2>
    <div class="gg-chart" id="gg-chart-cov"></div></div>
  <div id="gg-rank-gaps" class="gg-box"><h2>{w["rank.gaps"]}</h2>
    <div class="gg-chart" id="gg-chart-gaps"></div></div>
</div>
<div id="gg-legend" class="gg-box">{severity}
  <span>{html.escape(opts.t("coverage.title"))} 0% {share} 100%</span></div>
"""


def add_wall(
    m: folium.Map, conn: Connection, opts: PageOptions, city_bounds: Bounds, title: str
) -> str:
    """Put the wall's script, style and data in the page; returns its HTML, which
    takes the place of the office page's panel."""
    words = wall_words(opts.lang)
    west, south, east, north = city_bounds
    config = {
        "data": wall(conn),
        "places": places(conn, opts),
        "city_bounds": [_latlon(opts, south, west), _latlon(opts, north, east)],
        "words": words,
        "cards": list(CARDS),
        "locale": "zh-CN" if opts.lang == "zh" else "en-GB",
        # The wall polls its figures at the page's refresh; it never reloads itself.
        "poll_ms": (opts.refresh_s or 0) * 1000,
    }
    root = m.get_root()
    assert isinstance(root, Figure)
    base = opts.base_url.rstrip("/")
    root.header.add_child(
        folium.Element(
            f"<style>{own('wall.css')}</style>"
            f'<script src="{base}/{WALL["echarts"]}"></script>'
            f"<script>{own('wall.js')}</script>"
            f"<script>window.gg_wall_cfg = {js_literal(config)};</script>"
        )
    )
    return skeleton(opts, words, title)
