"""Serve folium's JS/CSS from pinned npm packages instead of public CDNs.

Map pages run on an intranet with no internet, so every asset folium and its plugins
would load from a CDN is installed from npm into ``maps/assets/node_modules`` (``make
assets``) and served by gridgov under ``/static/vendor``.  Whole package folders are
served, so fonts and images that CSS files reference relatively keep working.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from branca.element import Element

VENDOR_ROOT: Final[Path] = Path(__file__).resolve().parent / "assets" / "node_modules"
DEFAULT_BASE_URL: Final = "/static/vendor"

# folium asset name (first item of the default_js/default_css tuples) -> file under
# VENDOR_ROOT. Versions are pinned in maps/assets/package.json to the ones folium 0.20
# requests from the CDN; tests/test_vendor.py fails if a folium upgrade changes them.
ASSETS: Final[dict[str, str]] = {
    # folium.Map
    "leaflet": "leaflet/dist/leaflet.js",
    "jquery": "jquery/dist/jquery.min.js",
    "bootstrap": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "awesome_markers": "drmonty-leaflet-awesome-markers/js/leaflet.awesome-markers.js",
    "leaflet_css": "leaflet/dist/leaflet.css",
    "bootstrap_css": "bootstrap/dist/css/bootstrap.min.css",
    # folium asks for Bootstrap 3.0.0's glyphicons-only CSS, which no npm package of
    # bootstrap ships; this package is the same font and classes (from Bootstrap 3.3.7).
    "glyphicons_css": "@neos21/bootstrap3-glyphicons/dist/css/bootstrap3-glyphicons.min.css",
    "awesome_markers_font_css": "@fortawesome/fontawesome-free/css/all.min.css",
    "awesome_markers_css": "drmonty-leaflet-awesome-markers/css/leaflet.awesome-markers.css",
    # Not on npm (folium serves it from its GitHub repo): a local package in
    # maps/assets/local holds the same fa-rotate-0..359 classes Icon(angle=...) uses.
    "awesome_rotate_css": "folium-awesome-rotate/leaflet.awesome.rotate.css",
    # folium.plugins.MarkerCluster / FastMarkerCluster
    "markerclusterjs": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/dist/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/dist/MarkerCluster.Default.css",
    # folium.plugins.Fullscreen (the npm package has no .min.js; the CDN minifies on the fly)
    "Control.Fullscreen.js": "leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
    # folium.plugins.Search
    "Leaflet.Search.js": "leaflet-search/dist/leaflet-search.min.js",
    "Leaflet.Search.css": "leaflet-search/dist/leaflet-search.min.css",
    # folium.plugins.VectorGridProtobuf: folium asks for "@latest"; 1.3.0 is the latest
    # release, pinned. Big cities' household and building layers come from /tiles/.
    "vectorGrid": "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
}

# The command-centre wall (maps.wall): ECharts' build of line and bar charts only
# (0.5 MB of the full 1.1 MB). The wall's own script and style are gridgov's, in
# maps/assets/local/wall, and go inside the page (maps.wall.page).
WALL: Final[dict[str, str]] = {"echarts": "echarts/dist/echarts.simple.min.js"}

# The API's interactive docs (/docs): Swagger UI from npm rather than a CDN.
SWAGGER_UI: Final[dict[str, str]] = {
    "js": "swagger-ui-dist/swagger-ui-bundle.js",
    "css": "swagger-ui-dist/swagger-ui.css",
    "favicon": "swagger-ui-dist/favicon-32x32.png",
}

# Fonts the pages name in their own CSS (maps/theme.py). Noto Sans SC comes from
# @fontsource as ~100 @font-face blocks, each a woff2 file for one unicode-range: a
# browser fetches only the blocks whose characters a page shows, and a self-contained
# page (inline_assets) carries only those, so Chinese renders without any system font.
FONTS: Final[dict[str, str]] = {
    "noto_sans_sc": "@fontsource/noto-sans-sc/400.css",
}
WEB_FONT: Final = "Noto Sans SC"

MISSING_ASSETS_MESSAGE: Final = (
    f"Map assets are not installed in {VENDOR_ROOT}: run `make assets` "
    "(cd maps/assets && npm ci) to install the pinned JS/CSS that map pages need."
)


class UnmappedAssetError(LookupError):
    """A folium element wants a CDN asset that has no local copy in ASSETS."""


class AssetsMissingError(RuntimeError):
    """maps/assets/node_modules is missing or incomplete."""


def _every_asset() -> list[str]:
    return [*ASSETS.values(), *WALL.values(), *SWAGGER_UI.values(), *FONTS.values()]


def font_links(base_url: str = DEFAULT_BASE_URL) -> str:
    """The <link> tags of the pages' web fonts."""
    base = base_url.rstrip("/")
    return "".join(f'<link rel="stylesheet" href="{base}/{rel}">' for rel in FONTS.values())


def assets_installed() -> bool:
    """Return True when every file in ASSETS exists under VENDOR_ROOT."""
    return all((VENDOR_ROOT / rel).is_file() for rel in _every_asset())


def require_assets() -> None:
    """Raise AssetsMissingError (telling the user to run `make assets`) if not installed."""
    if not assets_installed():
        missing = sorted(rel for rel in _every_asset() if not (VENDOR_ROOT / rel).is_file())
        # Listing files helps with a partial or outdated install.
        detail = f" Missing: {', '.join(missing)}" if VENDOR_ROOT.is_dir() else ""
        raise AssetsMissingError(MISSING_ASSETS_MESSAGE + detail)


def _walk(element: Element) -> Iterator[Element]:
    # Figure and Popup keep header/html/script as attributes rather than children, and
    # plugins may hang off any of them, so both are followed; `seen` guards against cycles.
    stack, seen = [element], set()
    while stack:
        el = stack.pop()
        if id(el) in seen:
            continue
        seen.add(id(el))
        yield el
        stack.extend(getattr(el, "_children", {}).values())
        stack.extend(
            part
            for part in (getattr(el, a, None) for a in ("header", "html", "script"))
            if isinstance(part, Element)
        )


def localise(element: Element, base_url: str = DEFAULT_BASE_URL) -> None:
    """Point every default_js/default_css entry under element at base_url/<package>/<path>."""
    base = base_url.rstrip("/")
    for el in _walk(element):
        for attr in ("default_js", "default_css"):
            links: list[tuple[str, str]] | None = getattr(el, attr, None)
            if not links:
                continue
            local = []
            for name, url in links:
                if name not in ASSETS:
                    # Failing here beats a page that silently needs the internet.
                    raise UnmappedAssetError(
                        f"folium asset {name!r} ({url}) used by {type(el).__name__} has no "
                        "local copy: add its npm package to maps/assets/package.json and map "
                        "it in maps/vendor.py ASSETS"
                    )
                local.append((name, f"{base}/{ASSETS[name]}"))
            # Set on the instance: the lists are class attributes shared by every map.
            setattr(el, attr, local)


_FONT_TYPES: Final = {
    # mimetypes on Python 3.11 does not know all web font types.
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    ".svg": "image/svg+xml",
}
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]+))\s*\)""")
# Browsers that run Leaflet 1.9 all read woff2, so the fallback formats in an @font-face
# src list would only bloat inline pages (font-awesome + glyphicons: ~5 MB -> ~2 MB).
_WOFF2_SRC = re.compile(r"src:[^;}]*?(url\([^)]*\.woff2[^)]*\)\s*format\([^)]*\))[^;}]*")


def _data_uri(path: Path) -> str:
    mime = _FONT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    payload = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:{mime or 'application/octet-stream'};base64,{payload}"


def _read_asset(rel: str) -> Path:
    # Only files inside VENDOR_ROOT may be read, whatever the page's URLs say (resolve
    # both sides: node_modules may itself be a symlink, e.g. to a CI cache).
    root = VENDOR_ROOT.resolve()
    path = (root / rel).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise FileNotFoundError(f"{rel!r} is not a file under {VENDOR_ROOT}")
    return path


_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
_UNICODE_RANGE = re.compile(r"unicode-range:\s*([^;}]+)")


def _in_range(spec: str, used: set[int]) -> bool:
    """Whether a CSS unicode-range (U+4e00-4e0f,U+20ac,…) holds any of ``used``."""
    for part in spec.split(","):
        bounds = part.strip().removeprefix("U+").removeprefix("u+")
        if "?" in bounds:  # U+4?? : a wildcard range
            low, high = int(bounds.replace("?", "0"), 16), int(bounds.replace("?", "f"), 16)
        else:
            first, _, last = bounds.partition("-")
            low, high = int(first, 16), int(last or first, 16)
        if any(low <= c <= high for c in used):
            return True
    return False


def subset_font_faces(css: str, text: str) -> str:
    """The CSS without the @font-face blocks whose unicode-range holds none of the
    characters of ``text``: a page carries the font files it needs, not all 100."""
    used = {ord(c) for c in set(text)}

    def keep(match: re.Match[str]) -> str:
        found = _UNICODE_RANGE.search(match.group(0))
        return match.group(0) if found is None or _in_range(found.group(1), used) else ""

    return _FONT_FACE.sub(keep, css)


def _inline_css(rel: str, text: str = "") -> str:
    css_dir = Path(rel).parent

    def embed(match: re.Match[str]) -> str:
        ref = next(g for g in match.groups() if g is not None)
        if ref.startswith(("data:", "#", "http:", "https:", "//", "/")):
            return match.group(0)
        target = _read_asset((css_dir / re.split(r"[?#]", ref)[0]).as_posix())
        return f'url("{_data_uri(target)}")'

    css = _WOFF2_SRC.sub(r"src:\1", _read_asset(rel).read_text(encoding="utf-8"))
    if rel in FONTS.values():
        css = subset_font_faces(css, text)
    css = _CSS_URL.sub(embed, css)
    return css.replace("</style", r"<\/style")


def _leaflet_icon_fix(images: Path) -> str:
    # Leaflet finds its default marker images by parsing leaflet.css for a URL ending in
    # "marker-icon.png"; once that URL is a data: URI the lookup fails and markers point
    # at ./marker-icon.png, so inline pages set the three images explicitly.
    opts = ",".join(
        f"{key}:'{_data_uri(_read_asset((images / name).as_posix()))}'"
        for key, name in (
            ("iconUrl", "marker-icon.png"),
            ("iconRetinaUrl", "marker-icon-2x.png"),
            ("shadowUrl", "marker-shadow.png"),
        )
    )
    return f"L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({{{opts}}});"


def _inline_js(rel: str) -> str:
    js = _read_asset(rel).read_text(encoding="utf-8")
    if rel == ASSETS["leaflet"]:
        js += "\n" + _leaflet_icon_fix(Path(rel).parent / "images")
    # An HTML parser would end the inline <script> at "</script" (or, after "<!--", miss
    # the end); inside JS strings and regexes "<\/" and "<\!" mean the same characters.
    return re.sub(r"(?i)<(/script|!--)", r"<\\\1", js)


def inline_assets(html: str, base_url: str = DEFAULT_BASE_URL) -> str:
    """Replace base_url <script src>/<link href> tags with inline content (self-contained page)."""
    require_assets()
    prefix = re.escape(base_url.rstrip("/") + "/")
    script = re.compile(rf'<script\b[^>]*\bsrc="{prefix}([^"]+)"[^>]*>\s*</script>')
    link = re.compile(rf'<link\b[^>]*\bhref="{prefix}([^"]+)"[^>]*>')
    # Functions, not replacement strings, so backslashes in the assets stay literal.
    html = script.sub(lambda m: f"<script>{_inline_js(m.group(1))}</script>", html)
    text = html  # the characters the page shows, for the fonts' subsets
    return link.sub(lambda m: f"<style>{_inline_css(m.group(1), text)}</style>", html)
