"""Basemaps a page may draw under gridgov's layers: none (the default), OpenStreetMap,
Tianditu (天地图, needs a key), AMap (高德) and Tencent (腾讯), or an intranet tile server.

AMap's and Tencent's tiles are drawn in GCJ-02, so a page on them shifts every
coordinate of gridgov's WGS 84 data to GCJ-02 (maps.shift) to line up. Tianditu
draws CGCS2000, which agrees with WGS 84 to well under a metre; OpenStreetMap
and intranet servers are taken to draw WGS 84.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import folium

from geo_api.errors import InvalidInputError

NAMED = ("none", "osm", "tianditu", "amap", "tencent")
TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)


@dataclass(frozen=True)
class TileSource:
    """One tile layer: a Leaflet URL template and what Leaflet needs to draw it."""

    url: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18


@dataclass(frozen=True)
class Basemap:
    """What ``basemap=`` named: its tile layers (none for a plain page) and its datum."""

    name: str
    layers: tuple[TileSource, ...] = ()
    gcj02: bool = False  # drawn in GCJ-02: shift gridgov's WGS 84 data to match

    @property
    def hosts(self) -> frozenset[str]:
        """Host names the tiles come from, every {s} subdomain spelt out."""
        return frozenset(
            urlsplit(layer.url.replace("{s}", sub)).hostname or ""
            for layer in self.layers
            for sub in layer.subdomains
        )


NO_BASEMAP = Basemap("none")


def resolve_basemap(value: str, lang: str, tianditu_key: str | None) -> Basemap:
    """The basemap ``value`` names (a name in NAMED, or an http(s) XYZ URL template)."""
    if value == "none":
        return NO_BASEMAP
    if value == "osm":
        osm = "&copy; OpenStreetMap contributors"
        return Basemap(value, (TileSource("https://tile.openstreetmap.org/{z}/{x}/{y}.png", osm),))
    if value == "tianditu":
        if not tianditu_key:
            raise InvalidInputError(
                "basemap 'tianditu' needs a Tianditu key: set GEO_API_TIANDITU_KEY "
                "(see .env.example), or choose basemap=none, osm, amap or tencent"
            )
        labels = "cva" if lang == "zh" else "eva"  # Chinese or English place names
        return Basemap(
            value,
            tuple(
                TileSource(
                    TIANDITU.replace("{layer}", layer).replace("{key}", tianditu_key),
                    "&copy; 天地图 Tianditu",
                    subdomains="01234567",
                )
                for layer in ("vec", labels)
            ),
        )
    if value == "amap":
        amap = (
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang="
            + ("zh_cn" if lang == "zh" else "en")
            + "&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
        )
        return Basemap(value, (TileSource(amap, "&copy; 高德地图 AutoNavi", "1234"),), gcj02=True)
    if value == "tencent":
        tencent = "https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={-y}&type=vector&styleid=0"
        return Basemap(value, (TileSource(tencent, "&copy; 腾讯地图 Tencent", "0123"),), gcj02=True)
    return Basemap("custom", (custom_tiles(value),))


def custom_tiles(url: str) -> TileSource:
    """An intranet tile server's XYZ template: http(s), with {z}, {x} and {y} in it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(
            f"basemap {url!r} is neither one of {', '.join(NAMED)} nor an http(s) URL template"
        )
    missing = [
        p for p in ("{z}", "{x}", "{y}") if p not in url and not (p == "{y}" and "{-y}" in url)
    ]
    if missing:
        raise InvalidInputError(f"basemap URL {url!r} lacks {', '.join(missing)}")
    if any(c in url for c in "<>\"'`\\ "):
        raise InvalidInputError(f"basemap URL {url!r} has characters a URL cannot hold")
    return TileSource(url, f"tiles: {parts.hostname}", subdomains="abc", max_zoom=19)


def add_basemap(m: folium.Map, basemap: Basemap) -> None:
    """Put the basemap's tile layers under everything (not in the layer control)."""
    for layer in basemap.layers:
        folium.TileLayer(
            tiles=layer.url,
            attr=layer.attribution,
            subdomains=layer.subdomains,
            max_zoom=layer.max_zoom,
            max_native_zoom=layer.max_zoom,
            control=False,
            overlay=False,
        ).add_to(m)
