"""The command-centre wall (?screen=big) in headless Chromium at 1920x1080 and
3840x2160, in Chinese and English: what it shows, that the city is not covered, that
it refreshes in place after an assignment run, drills down and back, and shows a
lost connection until it comes back. Screenshots are kept in artifacts/."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from geo_api.clock import CHINA
from geo_api.figures import key_figures
from tests import browser
from tests.browser import visit

SIZES = [(1920, 1080), (3840, 2160)]
WALL = "/maps/command-centre?screen=big"
BUDGET_BYTES = 3_000_000  # the demo city's wall, as served (issue 15)
DEMO_COMPOUNDS = 277
FIXED_BYTES = 400_000  # what a wall carries whatever the city's size
# Where the city's compounds fall on the screen, and the free part of the screen
# between the wall's panels.
LAYOUT_JS = """() => {
  var b = gg_wall_cfg.city_bounds;
  var sw = gg_map.latLngToContainerPoint(b[0]), ne = gg_map.latLngToContainerPoint(b[1]);
  var left = document.getElementById('gg-left').getBoundingClientRect().right;
  var right = document.getElementById('gg-right').getBoundingClientRect().left;
  var top = document.getElementById('gg-top').getBoundingClientRect().bottom;
  return {city: [sw.x, ne.y, ne.x, sw.y], free: [left, top, right, innerHeight]};
}"""
CARDS_JS = """els => Object.fromEntries(els.map(e => [e.dataset.card,
  e.querySelector('.value').textContent]))"""
SIZES_JS = """() => ({
  value: parseFloat(getComputedStyle(document.querySelector('.gg-card .value')).fontSize),
  alert: parseFloat(getComputedStyle(document.querySelector('#gg-alerts li')).fontSize),
  label: parseFloat(getComputedStyle(
    document.querySelector('.gg-place-label.community span')).fontSize),
  clock: parseFloat(getComputedStyle(document.getElementById('gg-clock-time')).fontSize)})"""


def _ready(page: Any) -> None:
    page.wait_for_function("window.gg_wall_ready === true", timeout=60_000)
    page.evaluate("document.fonts.ready.then(() => true)")


def _without_heads(engine: Engine) -> int:
    with engine.connect() as conn:
        figures = key_figures(conn)
    return figures["households"] - figures["households_covered"]


def _card(page: Any, key: str) -> str:
    return str(page.locator(f'[data-card="{key}"] .value').inner_text())


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", SIZES, ids=["1080p", "4k"])
def test_wall_layout(
    live_server: str, engine: Engine, artifacts: Path, lang: str, size: tuple[int, int]
) -> None:
    width, height = size
    with visit(f"{live_server}{WALL}&lang={lang}", viewport=size) as seen:
        page = seen.page
        _ready(page)
        cards = page.eval_on_selector_all("[data-card]", CARDS_JS)
        layout = page.evaluate(LAYOUT_JS)
        sizes = page.evaluate(SIZES_JS)
        labels = page.locator(".gg-place-label").count()
        clock = page.locator("#gg-clock-time").inner_text()
        as_of = page.locator("#gg-status").inner_text()
        alerts = page.locator("#gg-alerts li").count()
        scale = page.locator(".leaflet-control-scale-line").all_inner_texts()
        page.screenshot(path=str(artifacts / f"wall-{lang}-{width}x{height}.png"))
    assert seen.errors == [] and seen.blocked == []
    with engine.connect() as conn:
        streets = conn.execute(text("SELECT count(*) FROM street")).scalar_one()
        communities = conn.execute(text("SELECT count(*) FROM community")).scalar_one()
    assert labels == streets + communities
    assert cards["without_head"].replace(",", "") == str(_without_heads(engine))
    assert cards["coverage"].endswith("%") and len(cards) == 6
    assert alerts >= 1 and ":" in clock and as_of
    assert len(scale) == 1 and scale[0].strip().endswith("m"), scale  # metric only
    # The city lies in the free middle of the screen, not under a panel.
    west, north, east, south = layout["city"]
    left, top, right, bottom = layout["free"]
    assert left <= west < east <= right and top <= north < south <= bottom, layout
    assert (east - west) > 0.4 * (right - left) or (south - north) > 0.4 * (bottom - top)
    # Readable from five metres: sizes grow with the screen (1 rem = width / 120).
    scale = width / 1920
    assert sizes["value"] >= 44 * scale and sizes["clock"] >= 40 * scale, sizes
    assert sizes["alert"] >= 16 * scale and sizes["label"] >= 16 * scale, sizes


@pytest.mark.browser
def test_wall_refreshes_in_place_after_an_assignment_run(
    live_server: str, engine: Engine, keys: dict[str, str]
) -> None:
    """Five households lose their head (committed, as an import would), then an
    assignment run gives them one back; the poll shows both without a reload."""
    with visit(f"{live_server}{WALL}") as seen:
        page = seen.page
        _ready(page)
        before = _without_heads(engine)
        assert _card(page, "without_head") == f"{before:,}"
        page.evaluate("window.gg_same_page = true")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE assignment SET valid_to = now() WHERE id IN (SELECT id FROM "
                    "assignment WHERE valid_to IS NULL ORDER BY id LIMIT 5)"
                )
            )
        page.evaluate("gg_wall_poll()")
        lost = _card(page, "without_head")
        answer = httpx.post(
            f"{live_server}/assign", headers={"X-API-Key": keys["command"]}, timeout=300
        )
        assert answer.status_code == 200, answer.text
        page.evaluate("gg_wall_poll()")
        after = _card(page, "without_head")
        same_page = page.evaluate("window.gg_same_page === true")
    assert seen.errors == []
    assert lost == f"{before + 5:,}"
    assert after == f"{_without_heads(engine):,}" and after != lost
    assert same_page


@pytest.mark.browser
def test_wall_drills_down_and_back(live_server: str, engine: Engine, artifacts: Path) -> None:
    with engine.connect() as conn:
        street, community, name = conn.execute(
            text(
                "SELECT s.code, c.code, c.name FROM community c "
                "JOIN street s ON s.id = c.street_id ORDER BY ST_Area(c.geom), c.code LIMIT 1"
            )
        ).one()
    with visit(f"{live_server}{WALL}", viewport=(1920, 1080)) as seen:
        page = seen.page
        _ready(page)
        city_zoom = page.evaluate("gg_map.getZoom()")
        page.locator(f'#gg-streets button[data-code="{street}"]').click()
        page.wait_for_function(f"gg_wall_data.place.code === '{street}'")
        street_labels = page.locator(".gg-place-label").count()
        page.locator(f'.gg-place-label span[data-place="{community}"]').click()
        page.wait_for_function(f"gg_wall_data.place.code === '{community}'")
        where = page.locator("#gg-where").inner_text()
        zoom = page.evaluate("gg_map.getZoom()")
        page.screenshot(path=str(artifacts / "wall-drill-down.png"))
        page.locator("#gg-back").click()
        page.wait_for_function(f"gg_wall_data.place.code === '{street}'")
        page.locator("#gg-back").click()
        page.wait_for_function("gg_wall_data.place.level === 'city'")
        back_zoom = page.evaluate("gg_map.getZoom()")
        back_shown = page.locator("#gg-back").is_visible()
    assert seen.errors == []
    assert name in where and zoom > city_zoom and back_zoom == city_zoom
    assert 0 < street_labels < 36 and not back_shown


@pytest.mark.browser
def test_the_wall_clock_tells_china_s_time_on_a_pc_set_to_another_zone(live_server: str) -> None:
    """A wall PC left on New York's time still shows China's time and day, as its data
    (China's days) does."""
    with visit(f"{live_server}{WALL}", timezone="America/New_York") as seen:
        _ready(seen.page)
        shown = seen.page.locator("#gg-clock-time").inner_text()
        china = datetime.now(CHINA)
    assert seen.errors == []
    hours, minutes = (int(x) for x in shown.strip().split(":")[:2])
    apart = abs((hours * 60 + minutes) - (china.hour * 60 + china.minute)) % 1440
    assert min(apart, 1440 - apart) <= 1, (shown, china)


@pytest.mark.browser
def test_wall_shows_a_lost_connection_and_recovers(live_server: str) -> None:
    with visit(f"{live_server}{WALL}") as seen:
        page = seen.page
        _ready(page)
        page.route("**/wall.json*", lambda route: route.fulfill(status=503, body="down"))
        page.evaluate("gg_wall_poll()")
        lost = page.locator("#gg-offline").is_visible()
        page.unroute("**/wall.json*")
        page.evaluate("gg_wall_poll()")
        back = page.locator("#gg-offline").is_visible()
        polls = page.evaluate("window.gg_wall_polls")
    # The refused poll's own errors, and nothing else.
    assert [e for e in seen.errors if "503" not in e] == []
    assert lost and not back and polls >= 2


def wall_budget(compounds: int) -> int:
    """The bytes a wall page may take for a city of ``compounds`` compounds: the demo's
    3 MB (issue 15) at its 277, in proportion to the compounds beyond what every city
    has whatever its size (the wall's own script, style and data, the 36 stations of
    1+5+30, the streets' and communities' outlines)."""
    return FIXED_BYTES + round((BUDGET_BYTES - FIXED_BYTES) * compounds / DEMO_COMPOUNDS)


def test_wall_page_is_small(live_server: str, engine: Engine) -> None:
    """The served wall stays within a budget that scales with the city, and carries
    no household or building inline: those come from the vector tiles."""
    headers = {"X-API-Key": browser.API_KEY or ""}
    page = httpx.get(f"{live_server}{WALL}&lang=en", headers=headers, timeout=300)
    assert page.status_code == 200
    with engine.connect() as conn:
        compounds = conn.execute(text("SELECT count(*) FROM compound")).scalar_one()
    assert len(page.content) < wall_budget(compounds), (len(page.content), compounds)
    assert "/tiles/households/" in page.text and "/tiles/buildings/" in page.text
    assert "gg_wall_cfg" in page.text and "echarts.simple.min.js" in page.text
    assert "location.reload" not in page.text  # refreshed in place, not reloaded
    assert page.headers.get("content-encoding") == "gzip"
