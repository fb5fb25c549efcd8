"""Folium pages must load every JS/CSS/font/image from gridgov, never from a CDN."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import folium
import pytest
from folium import plugins

from maps import vendor
from tests.browser import visit

ROOT = Path(__file__).resolve().parents[1]
ASSETS_DIR = ROOT / "maps" / "assets"
ARTIFACTS = ROOT / "artifacts"
# Every plugin gridgov uses, so a new CDN asset in any of them shows up here.
PLUGIN_CLASSES: list[type[Any]] = [
    folium.Map,
    plugins.MarkerCluster,
    plugins.FastMarkerCluster,
    plugins.Fullscreen,
    plugins.Search,
    plugins.VectorGridProtobuf,
]
# Packages standing in for files folium takes from outside npm, so their version
# cannot match folium's URL (see the comments in maps/vendor.py ASSETS).
NOT_FROM_FOLIUM_URL = {"@neos21/bootstrap3-glyphicons", "folium-awesome-rotate"}
# folium asks for these at "@latest": the pin is the latest release when vendored.
LATEST_IN_FOLIUM_URL = {"leaflet.vectorgrid"}

SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=[\"']([^\"']+)")
LINK_HREF = re.compile(r"<link\b[^>]*\bhref=[\"']([^\"']+)")


def _grid_geojson() -> dict[str, Any]:
    """A 3x3 block of grid cells (网格) around People's Square, Shanghai."""
    features = []
    for row in range(3):
        for col in range(3):
            x0, y0 = 121.46 + col * 0.01, 31.22 + row * 0.01
            ring = [[x0, y0], [x0 + 0.01, y0], [x0 + 0.01, y0 + 0.01], [x0, y0 + 0.01], [x0, y0]]
            features.append(
                {
                    "type": "Feature",
                    "properties": {"name": f"网格-{row}{col}", "households": 100 + 10 * col},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            )
    return {"type": "FeatureCollection", "features": features}


def build_map() -> folium.Map:
    """A map using every folium feature gridgov uses.

    tiles=None because tile servers are the one thing vendoring cannot cover; the
    intranet deployment points tiles at its own server.
    """
    # maxZoom: MarkerCluster needs it, and with no tile layer nothing else sets it (folium
    # gives its max_zoom argument to the tile layer only).
    m = folium.Map(location=[31.235, 121.475], zoom_start=14, tiles=None, maxZoom=18)
    grids = folium.GeoJson(
        _grid_geojson(),
        name="grids",
        tooltip=folium.GeoJsonTooltip(fields=["name", "households"]),
        popup=folium.GeoJsonPopup(fields=["name", "households"]),
    ).add_to(m)
    cluster = plugins.MarkerCluster(name="cases").add_to(m)
    for i in range(5):
        folium.Marker(
            [31.23 + i * 0.001, 121.47],
            icon=folium.Icon(prefix="fa", icon="bolt", angle=30),
        ).add_to(cluster)
    plugins.FastMarkerCluster([[31.24, 121.48 + i * 0.001] for i in range(20)]).add_to(m)
    # Markers outside clusters so the icon fonts and marker images are actually drawn.
    folium.Marker([31.225, 121.465], icon=folium.Icon(prefix="fa", icon="house", angle=45)).add_to(
        m
    )
    folium.Marker([31.245, 121.465], icon=folium.Icon(icon="info-sign")).add_to(m)
    folium.Marker([31.245, 121.49], tooltip="default Leaflet icon").add_to(m)
    plugins.Fullscreen().add_to(m)
    plugins.Search(layer=grids, search_label="name").add_to(m)
    # Hidden: the page has no tile server, but the script must still load cleanly.
    plugins.VectorGridProtobuf("/tiles/{z}/{x}/{y}.mvt", "tiles", show=False).add_to(m)
    folium.LayerControl().add_to(m)
    return m


def _asset_urls(html: str) -> list[str]:
    return SCRIPT_SRC.findall(html) + LINK_HREF.findall(html)


@pytest.fixture(scope="module")
def localised_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    m = build_map()
    vendor.localise(m.get_root())
    out = tmp_path_factory.mktemp("map") / "map.html"
    m.save(str(out))
    return out.read_text(encoding="utf-8")


def test_assets_installed() -> None:
    assert vendor.assets_installed(), vendor.MISSING_ASSETS_MESSAGE
    vendor.require_assets()


def test_localise_leaves_no_cdn_url_and_every_file_exists(localised_html: str) -> None:
    urls = _asset_urls(localised_html)
    assert len(urls) >= len(vendor.ASSETS), urls
    remote = [u for u in urls if u.startswith(("http://", "https://", "//"))]
    assert remote == []
    for url in urls:
        assert url.startswith(vendor.DEFAULT_BASE_URL + "/"), url
        rel = url.removeprefix(vendor.DEFAULT_BASE_URL + "/")
        assert (vendor.VENDOR_ROOT / rel).is_file(), f"{url} is not under {vendor.VENDOR_ROOT}"
    # Every mapped asset is used by the plugins above, so the mapping has no dead entries.
    used = {u.removeprefix(vendor.DEFAULT_BASE_URL + "/") for u in urls}
    unused = set(vendor.ASSETS.values()) - used
    assert unused == set(), "add the plugin needing these to build_map() or drop the mapping"


def test_localise_custom_base_url_and_class_lists_untouched() -> None:
    m = build_map()
    vendor.localise(m, base_url="https://gis.intranet.example/vendor/")
    html = m.get_root().render()
    assert "https://gis.intranet.example/vendor/leaflet/dist/leaflet.js" in html
    assert "cdn.jsdelivr.net" not in html
    # Instance-level rewrite: folium's shared class lists (and other maps) keep their URLs.
    assert folium.Map.default_js[0][1].startswith("https://cdn.jsdelivr.net/")


def test_unmapped_asset_is_an_error() -> None:
    m = build_map()
    plugins.MiniMap().add_to(m)
    with pytest.raises(vendor.UnmappedAssetError, match="Control_MiniMap"):
        vendor.localise(m.get_root())


def test_pinned_versions_match_folium_urls() -> None:
    package = json.loads((ASSETS_DIR / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ASSETS_DIR / "package-lock.json").read_text(encoding="utf-8"))
    for name, spec in package["dependencies"].items():
        if spec.startswith("file:local/"):  # shipped in the repository itself
            assert (ASSETS_DIR / spec.removeprefix("file:")).is_dir(), spec
            continue
        assert re.fullmatch(r"\d+\.\d+\.\d+", spec), f"{name} must be pinned exactly: {spec}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == spec
    for cls in PLUGIN_CLASSES:
        for name, url in cls.default_js + cls.default_css:
            rel = vendor.ASSETS[name]
            pkg = "/".join(rel.split("/")[: 2 if rel.startswith("@") else 1])
            if pkg in NOT_FROM_FOLIUM_URL:
                continue
            if pkg in LATEST_IN_FOLIUM_URL:
                assert "@latest/" in url, f"folium now pins {pkg}: check {url}"
                continue
            version = package["dependencies"][pkg]
            assert version in url, f"folium wants {url} but {pkg} is pinned at {version}"


def test_inline_assets_leaves_no_vendor_reference(localised_html: str) -> None:
    html = vendor.inline_assets(localised_html)
    assert vendor.DEFAULT_BASE_URL not in html
    assert _asset_urls(html) == []
    # CSS url(...) references became data: URIs (fonts, marker sprites, leaflet images).
    styles = "".join(re.findall(r"<style>(.*?)</style>", html, flags=re.S))
    refs = re.findall(r"""url\(\s*["']?([^"')]+)""", styles)
    assert refs
    assert all(r.startswith(("data:", "#")) for r in refs), {r[:40] for r in refs}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, localised_html: str) -> Iterator[str]:
    """Serve map.html, map-inline.html and /static/vendor/ from 127.0.0.1:<random port>."""
    root = tmp_path_factory.mktemp("site")
    (root / "map.html").write_text(localised_html, encoding="utf-8")
    (root / "map-inline.html").write_text(vendor.inline_assets(localised_html), encoding="utf-8")
    (root / "favicon.ico").write_bytes(b"")
    (root / "static").mkdir()
    (root / "static" / "vendor").symlink_to(vendor.VENDOR_ROOT, target_is_directory=True)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


RENDERED_SELECTORS = (
    ".folium-map .leaflet-pane",
    ".leaflet-control-layers",
    ".leaflet-control-search",
    ".leaflet-control-zoom-fullscreen",
    ".marker-cluster",
    ".awesome-marker",
    "img.leaflet-marker-icon",
)


@pytest.mark.browser
@pytest.mark.parametrize("page_name", ["map.html", "map-inline.html"])
def test_map_loads_offline_in_chromium(site: str, page_name: str) -> None:
    with visit(f"{site}/{page_name}", viewport=(1200, 800)) as seen:
        page = seen.page
        page.evaluate("document.fonts.ready.then(() => true)")
        leaflet_type = page.evaluate("typeof window.L")
        counts = {sel: page.locator(sel).count() for sel in RENDERED_SELECTORS}
        loaded_fonts: list[str] = page.evaluate(
            "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
        )
        # Icon(angle=45) relies on the folium-awesome-rotate CSS.
        rotation = page.evaluate(
            "getComputedStyle(document.querySelector('.fa-rotate-45')).transform"
        )
        ARTIFACTS.mkdir(exist_ok=True)
        shot = "vendor-map.png" if page_name == "map.html" else "vendor-map-inline.png"
        page.screenshot(path=str(ARTIFACTS / shot))

    assert seen.blocked == [], f"page tried to reach the network: {seen.blocked}"
    assert seen.errors == []
    assert leaflet_type == "object", "window.L is missing"
    missing = [sel for sel, n in counts.items() if n == 0]
    assert missing == [], f"not rendered: {missing} (the first one means no Leaflet panes)"
    assert rotation not in ("none", ""), "fa-rotate-45 has no transform"
    # Icon fonts load only when a glyph is drawn, so this proves the font files were served.
    assert any("Font Awesome" in f for f in loaded_fonts), loaded_fonts
    assert any("Glyphicons" in f for f in loaded_fonts), loaded_fonts
