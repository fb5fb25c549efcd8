"""The command-centre page, served by the real API and loaded in headless Chromium:
office and big-screen themes, English, a GCJ-02 basemap, search and vector tiles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import InternalError

from geo_api.api.deps import read_only
from geo_api.figures import key_figures
from geo_api.geo.china import wgs84_to_gcj02
from maps.basemaps import resolve_basemap
from maps.command_centre import AREA_LEVELS, ROLES, TIERS
from maps.gap_layers import gap_groups, group_label
from maps.labels import labels
from maps.options import PageOptions
from maps.party import LABELS as PARTY_LABELS
from tests.browser import Visit, visit

CJK = re.compile(r"[\u4e00-\u9fff]")
OVERLAYS_JS = "els => els.map(e => e.textContent.trim())"
FIGURES_JS = "els => Object.fromEntries(els.map(e => [e.dataset.figure, e.textContent]))"
# Every station pin (Font Awesome markers) as [lat, lon].
STATION_PINS_JS = """() => {
  var pins = [];
  gg_map.eachLayer(function (l) {
    if (l instanceof L.Marker && l.options.icon instanceof L.AwesomeMarkers.Icon) {
      var p = l.getLatLng(); pins.push([p.lat, p.lng]);
    }
  });
  return pins;
}"""


@dataclass
class Page:
    """What a loaded page showed."""

    seen: Visit
    overlays: list[str]
    figures: dict[str, int]


def expected_overlays(lang: str) -> list[str]:
    """The layer control of the command centre, in order."""
    t = labels(lang)
    names = [t["coverage.heads"], t["coverage.station"], t["roads.layer"]]
    names += [t[f"area.{level}"] for level in AREA_LEVELS]
    names += [t["buildings.layer"], t["households.layer"]]
    names += [t["reach.one_layer"]]
    names += [t[f"tier.{tier}"] for tier in TIERS] + [PARTY_LABELS[lang]["party"]]
    names += [t[f"role.{role}"] for role in ROLES] + [t["officer.layer"]]
    prefix = t["gap.layer"].split("{")[0]
    opts = PageOptions(lang=lang)
    names += [prefix + group_label(key, types, opts) for key, types in gap_groups()]
    return names


def read_page(seen: Visit) -> Page:
    """The layer names and the panel's figures of a loaded page."""
    page = seen.page
    page.wait_for_function("window.gg_ready !== undefined")
    overlays = page.eval_on_selector_all(".leaflet-control-layers-overlays label", OVERLAYS_JS)
    figures = page.eval_on_selector_all("[data-figure]", FIGURES_JS)
    return Page(seen, overlays, {k: int(v.replace(",", "")) for k, v in figures.items()})


def without_counts(overlays: list[str]) -> list[str]:
    """Layer names without the gap counts that end them: （3） or (3)."""
    return [re.sub(r"[（(]\d+[）)]$", "", name).rstrip() for name in overlays]


def toggle(page: Any, name: str) -> None:
    """Tick or untick the layer ``name`` in the layer control."""
    exact = re.compile(rf"^\s*{re.escape(name)}\s*$")
    page.locator(".leaflet-control-layers-overlays label").filter(has_text=exact).click()


def truth(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return key_figures(conn)


@pytest.mark.browser
def test_command_centre_in_chromium(live_server: str, engine: Engine, artifacts: Path) -> None:
    with visit(f"{live_server}/maps/command-centre") as seen:
        shown = read_page(seen)
        markers = seen.page.locator(".awesome-marker").count()
        clusters = seen.page.locator(".marker-cluster").count()
        lang = seen.page.evaluate("document.documentElement.lang")
        scale = seen.page.locator(".leaflet-control-scale-line").all_inner_texts()
        seen.page.screenshot(path=str(artifacts / "command-centre.png"))
    assert seen.errors == [] and seen.blocked == []
    # Metric only: one scale line, in metres or kilometres, no feet or miles.
    assert len(scale) == 1 and re.fullmatch(r"\d+ k?m", scale[0].strip()), scale
    assert without_counts(shown.overlays) == expected_overlays("zh")
    assert shown.figures == truth(engine)
    assert markers >= 36 and clusters >= 1  # 1+5+30 stations at start, heads clustered
    assert lang == "zh-CN"


@pytest.mark.browser
def test_big_screen_is_dark_large_and_never_reloads(
    live_server: str, engine: Engine, artifacts: Path
) -> None:
    """The wall (tests/test_wall.py has the rest): the same layers, a dark ground,
    large type, and figures refreshed in place rather than by a reload."""
    with visit(f"{live_server}/maps/command-centre?screen=big") as seen:
        page = seen.page
        page.wait_for_function("window.gg_wall_ready === true")
        overlays = page.eval_on_selector_all(".leaflet-control-layers-overlays label", OVERLAYS_JS)
        style = page.evaluate(
            """() => ({
              ground: getComputedStyle(document.querySelector('.folium-map')).backgroundColor,
              card: parseFloat(getComputedStyle(document.querySelector('.gg-card .value'))
                .fontSize),
              collapsed: !document.querySelector('.leaflet-control-layers-expanded'),
              reload: typeof window.gg_refresh})"""
        )
        page.screenshot(path=str(artifacts / "command-centre-big.png"))
    assert seen.errors == [] and seen.blocked == []
    assert without_counts(overlays) == expected_overlays("zh")
    red, green, blue = map(int, re.findall(r"\d+", style["ground"])[:3])
    assert max(red, green, blue) < 60, style  # a dark ground
    assert style["card"] >= 44 and style["collapsed"], style
    assert style["reload"] == "undefined", style


@pytest.mark.browser
def test_english_page(live_server: str, engine: Engine, artifacts: Path) -> None:
    with visit(f"{live_server}/maps/command-centre?lang=en") as seen:
        shown = read_page(seen)
        words = seen.page.eval_on_selector_all(
            "#gg-panel h1, #gg-panel td:first-child, #gg-panel .legend, .search-input",
            "els => els.map(e => e.textContent + (e.placeholder || ''))",
        )
        title = seen.page.title()
        seen.page.screenshot(path=str(artifacts / "command-centre-en.png"))
    assert seen.errors == [] and seen.blocked == []
    assert without_counts(shown.overlays) == expected_overlays("en")
    assert title == labels("en")["title.command_centre"]
    assert [w for w in [*shown.overlays, *words] if CJK.search(w)] == []
    assert shown.figures == truth(engine)


def station_points(engine: Engine) -> np.ndarray:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT ST_Y(geom), ST_X(geom) FROM station ORDER BY id")).all()
    return np.array(rows, dtype=float)


def nearest_gaps(pins: list[list[float]], points: np.ndarray) -> np.ndarray:
    """For each point, how far (degrees) the nearest pin is."""
    shown = np.array(pins, dtype=float)
    return np.array([np.abs(shown - p).sum(axis=1).min() for p in points])


@pytest.mark.browser
def test_gcj02_basemap_moves_every_point(live_server: str, engine: Engine, artifacts: Path) -> None:
    amap = resolve_basemap("amap", "zh", None)
    with visit(f"{live_server}/maps/command-centre?basemap=amap", tile_hosts=amap.hosts) as seen:
        shown = read_page(seen)
        toggle(seen.page, labels("zh")["tier.outpost"])  # every station on the map
        shifted_pins = seen.page.evaluate(STATION_PINS_JS)
        seen.page.screenshot(path=str(artifacts / "command-centre-amap.png"))
    with visit(f"{live_server}/maps/command-centre") as plain:
        toggle(plain.page, labels("zh")["tier.outpost"])
        plain_pins = plain.page.evaluate(STATION_PINS_JS)
    # Tiles were asked for, refused (no network), and nothing else failed.
    assert seen.tiles and seen.errors == [] and seen.blocked == []
    assert plain.errors == [] and plain.blocked == []
    stations = station_points(engine)
    lon, lat = wgs84_to_gcj02(stations[:, 1], stations[:, 0])
    expected = np.column_stack([lat, lon])
    assert len(shifted_pins) == len(plain_pins) == len(stations)
    # Each station is where geo/china.py puts it in GCJ-02 (pages round to 1e-5°, about a
    # metre), 100 to 700 m from where it is in WGS 84; without the basemap, not moved.
    assert nearest_gaps(shifted_pins, expected).max() <= 1.1e-5
    assert nearest_gaps(plain_pins, stations).max() <= 1.1e-5
    assert nearest_gaps(shifted_pins, stations).min() > 1e-3
    assert shown.figures == truth(engine)


@pytest.mark.browser
def test_search_finds_a_compound(live_server: str, engine: Engine) -> None:
    with engine.connect() as conn:
        name, lat, lon = conn.execute(
            text(
                "SELECT name, ST_Y(ST_PointOnSurface(geom)), ST_X(ST_PointOnSurface(geom)) "
                "FROM compound ORDER BY id LIMIT 1"
            )
        ).one()
    with visit(f"{live_server}/maps/command-centre") as seen:
        page = seen.page
        page.locator("input.search-input").click()
        page.keyboard.type(name)
        # Playwright types Chinese as inserted text, with no key events; an input method
        # ends with a keyup (keyCode 229), which is what leaflet-search listens to.
        page.dispatch_event("input.search-input", "keyup")
        tip = page.locator(".search-tip", has_text=f"{name}（小区）")
        tip.first.wait_for(timeout=5_000)
        tip.first.click()
        page.wait_for_function("gg_map.getZoom() === 17", timeout=5_000)
        centre = page.evaluate("(() => { var c = gg_map.getCenter(); return [c.lat, c.lng]; })()")
    assert seen.errors == [] and seen.blocked == []
    assert abs(centre[0] - lat) < 1e-4 and abs(centre[1] - lon) < 1e-4


@pytest.mark.browser
def test_vector_tiles_mode_loads_tiles(live_server: str, engine: Engine, artifacts: Path) -> None:
    with engine.connect() as conn:
        lat, lon = conn.execute(
            # Downtown, where most compounds are: the middle of them all.
            text(
                "SELECT ST_Y(c), ST_X(c) FROM "
                "(SELECT ST_Centroid(ST_Collect(ST_Centroid(geom))) AS c FROM compound) m"
            )
        ).one()
    with visit(f"{live_server}/maps/command-centre?tiles=1") as seen:
        shown = read_page(seen)
        page = seen.page
        tiles: list[tuple[str, int]] = []
        page.on("response", lambda r: "/tiles/" in r.url and tiles.append((r.url, r.status)))
        # Tiles start at zoom 13: below it the control greys the two layers out.
        page.evaluate(f"void gg_map.setView([{lat}, {lon}], 16, {{animate: false}})")
        for layer in ("buildings.layer", "households.layer"):
            toggle(page, labels("zh")[layer])
        page.wait_for_function(
            "document.querySelectorAll('svg.leaflet-tile path').length > 10", timeout=15_000
        )
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(artifacts / "command-centre-tiles.png"))
        vector_grid = page.evaluate("typeof L.vectorGrid.protobuf")
    assert seen.errors == [] and seen.blocked == []
    assert without_counts(shown.overlays) == expected_overlays("zh")
    assert vector_grid == "function"
    assert {status for _, status in tiles} <= {200, 204}
    ok = [url for url, status in tiles if status == 200]
    assert any("/tiles/buildings/16/" in u for u in ok) and any(
        "/tiles/households/" in u for u in ok
    )
    assert shown.figures == truth(engine)


@pytest.mark.browser
def test_api_docs_render_offline(live_server: str) -> None:
    with visit(f"{live_server}/docs") as seen:
        seen.page.wait_for_selector(".opblock", timeout=15_000)
        operations = seen.page.locator(".opblock").count()
    assert seen.errors == [] and seen.blocked == []
    assert operations >= 7


def test_reads_survive_errors_and_refuse_writes(
    live_server: str, engine: Engine, keys: dict[str, str]
) -> None:
    # Through the real read-only path: a 404 in between leaves the pool healthy.
    key = {"X-API-Key": keys["command"]}
    inside = httpx.get(f"{live_server}/lookup", params={"lon": 111.3, "lat": 35.6}, headers=key)
    for _ in range(3):
        far = {"lon": 116.4, "lat": 39.9}
        outside = httpx.get(f"{live_server}/lookup", params=far, headers=key)
        assert outside.status_code == 404
    again = httpx.get(f"{live_server}/lookup", params={"lon": 111.3, "lat": 35.6}, headers=key)
    assert again.status_code == inside.status_code
    with read_only(engine) as conn, pytest.raises(InternalError, match="read-only"):
        conn.execute(text("UPDATE head SET capacity = capacity"))
