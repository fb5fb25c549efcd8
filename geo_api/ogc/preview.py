"""The map preview of the OGC API's HTML pages, as tipg and pygeoapi show one: the
features of a page of items or of one item, or a collection's extent, on a small
Leaflet map. Leaflet is gridgov's vendored copy (maps.vendor, under /static/vendor),
so the preview works on an intranet with no internet; there is no basemap, only the
features (and an extent's outline).

The features are drawn from the document the page shows, in the CRS it was asked
in (the ``crs`` of its self link): longitude first (CRS84, EPSG:3857 in metres) or
latitude first (EPSG:4326, EPSG:4490), each turned into Leaflet's latitude and
longitude in the browser.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from geo_api.ogc.crs import CRS84, parse_crs
from maps.literal import js_literal
from maps.vendor import ASSETS, DEFAULT_BASE_URL

PREVIEW_STYLE = "#gg-preview{height:420px;max-width:60em;border:1px solid #ccc;margin:1em 0}"
# Past this many features Leaflet draws on a canvas: SVG slows down with thousands.
CANVAS_FROM = 1000

SCRIPT = """
(function () {
  var cfg = JSON.parse(document.getElementById('gg-preview-data').textContent);
  function toLatLng(c) {
    if (cfg.axes === 'latlon') return L.latLng(c[0], c[1]);
    if (cfg.axes === 'metres') return L.Projection.SphericalMercator.unproject(L.point(c[0], c[1]));
    return L.latLng(c[1], c[0]);
  }
  var map = L.map('gg-preview', {preferCanvas: cfg.canvas, maxZoom: 19});
  var bounds = L.latLngBounds([]);
  if (cfg.extent) {
    var e = cfg.extent;
    var box = L.rectangle([[e[1], e[0]], [e[3], e[2]]],
                          {color: '#d95f0e', weight: 2, fill: false, dashArray: '6 4'});
    box.addTo(map);
    bounds.extend(box.getBounds());
  }
  var layer = L.geoJSON(cfg.features, {
    coordsToLatLng: toLatLng,
    style: function () { return {color: '#2b8cbe', weight: 2, fillOpacity: 0.2}; },
    pointToLayer: function (f, ll) {
      return L.circleMarker(ll, {radius: 5, color: '#2b8cbe', weight: 2, fillOpacity: 0.7});
    },
    onEachFeature: function (f, l) {
      // As text, never as HTML: names come from imported files.
      var p = f.properties || {}, tip = document.createElement('span');
      tip.textContent = String(p.name || p.code || f.id);
      l.bindTooltip(tip);
    }
  }).addTo(map);
  if (layer.getLayers().length) bounds.extend(layer.getBounds());
  if (bounds.isValid()) map.fitBounds(bounds, {padding: [20, 20], maxZoom: 18});
  else map.setView([35.6, 111.4], 10);
  window.gg_preview = {map: map, features: layer.getLayers().length};
})();
"""


def _head() -> str:
    base = DEFAULT_BASE_URL
    return (
        f'<link rel="stylesheet" href="{base}/{ASSETS["leaflet_css"]}">'
        f'<script src="{base}/{ASSETS["leaflet"]}"></script>'
    )


def _preview(config: dict[str, Any]) -> tuple[str, str]:
    """(what goes in <head>, the map's element, data and script)."""
    body = (
        '<div id="gg-preview"></div>'
        f'<script type="application/json" id="gg-preview-data">{js_literal(config)}</script>'
        f"<script>{SCRIPT}</script>"
    )
    return _head(), body


def _axes(links: list[dict[str, Any]]) -> str:
    """How the document's coordinates are written, from the ``crs`` of its self link:
    lonlat, latlon or metres (EPSG:3857)."""
    self_href = next((li["href"] for li in links if li.get("rel") == "self"), "")
    asked = dict(parse_qsl(urlsplit(self_href).query)).get("crs")
    crs = parse_crs(asked) if asked else CRS84
    if not crs.degrees:
        return "metres"
    return "latlon" if crs.lat_first else "lonlat"


def features_map(collection: dict[str, Any], links: list[dict[str, Any]]) -> tuple[str, str]:
    """A preview of a FeatureCollection's features (a page of items, or one item)."""
    features = [
        {"type": "Feature", "id": f.get("id"), "properties": f.get("properties"), "geometry": g}
        for f in collection["features"]
        if (g := f.get("geometry"))
    ]
    return _preview(
        {
            "axes": _axes(links),
            "canvas": len(features) >= CANVAS_FROM,
            "features": {"type": "FeatureCollection", "features": features},
            "extent": None,
        }
    )


def extent_map(bbox: list[float]) -> tuple[str, str]:
    """A preview of a collection's extent (west, south, east, north in CRS84)."""
    return _preview(
        {
            "axes": "lonlat",
            "canvas": False,
            "features": {"type": "FeatureCollection", "features": []},
            "extent": [float(v) for v in bbox[:4]],
        }
    )
