"""The gaps drawn readably (hatched, under the markers, walking gaps as one layer in
three shades, popups naming who acts) and the officers' map (fitted to its area,
labelled, names in full for officers only and audited, an address box), in Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from geo_api.gaps.finder import find_gaps
from geo_api.gaps.who_acts import who_acts_frame
from maps.gap_layers import GAPS_PANE, WALK_TYPES, gap_groups
from maps.labels import labels
from maps.theme import WALK_COLOURS
from tests import browser
from tests.browser import Visit, visit

T = labels("zh")
# Every gap path Leaflet drew, with its stroke and the pane it sits in.
GAP_PATHS_JS = f"""
() => Array.from(document.querySelectorAll('.leaflet-{GAPS_PANE}-pane path'))
  .map(p => ({{stroke: p.getAttribute('stroke'), fill: p.getAttribute('fill')}}))
"""
# The z-index of a pane, as the browser stacks it.
Z_JS = "name => Number(getComputedStyle(document.querySelector('.leaflet-' + name)).zIndex)"
# Each station pin in view: its middle, and whether the element there is a pin.
TOPS_JS = """
() => Array.from(document.querySelectorAll(
    '.leaflet-marker-pane .awesome-marker.leaflet-interactive'))
  .map(el => el.getBoundingClientRect())
  .filter(r => r.left > 0 && r.top > 0 && r.right < innerWidth && r.bottom < innerHeight)
  .map(r => {
    var x = r.left + r.width / 2, y = r.top + r.height / 3;
    var hit = document.elementFromPoint(x, y);
    return [[x, y], !!(hit && hit.closest('.leaflet-marker-pane, .gg-panel, .leaflet-control'))];
  })
"""
# The text of every gap's popup.
POPUPS_JS = """
() => {
  var out = [];
  function text(popup, layer) {
    var c = popup.getContent();
    if (typeof c === 'function') c = c(layer);
    var div = document.createElement('div');
    if (typeof c === 'string') { div.innerHTML = c; } else { div.appendChild(c); }
    out.push(div.textContent.replace(/\\s+/g, ' '));
  }
  gg_map.eachLayer(function (l) {
    // folium binds a GeoJSON's popup on the whole layer: one text per feature.
    if (l.getLayers && l.getPopup && l.getPopup() && l.options.pane === 'gg-gaps') {
      l.getLayers().forEach(function (sub) { text(l.getPopup(), sub); });
    }
  });
  return out;
}
"""


def officer_community(engine: Engine) -> str:
    """The community of the tests' officer key (its first compound's)."""
    with engine.connect() as conn:
        return str(
            conn.execute(
                text(
                    "SELECT c.code FROM compound cp JOIN community c ON c.id = cp.community_id "
                    "ORDER BY cp.id LIMIT 1"
                )
            ).scalar_one()
        )


@contextmanager
def as_role(keys: dict[str, str], role: str) -> Iterator[None]:
    """Browse with another role's key, then the command centre's again."""
    kept = browser.API_KEY
    browser.API_KEY = keys[role]
    try:
        yield
    finally:
        browser.API_KEY = kept


def ready(seen: Visit) -> None:
    seen.page.wait_for_function("window.gg_ready !== undefined")


@pytest.mark.browser
def test_gaps_are_hatched_under_the_markers(
    live_server: str, engine: Engine, artifacts: Path
) -> None:
    with visit(f"{live_server}/maps/command-centre") as seen:
        ready(seen)
        page = seen.page
        gaps_z = page.evaluate(Z_JS, f"{GAPS_PANE}-pane")
        marker_z = page.evaluate(Z_JS, "marker-pane")
        overlay_z = page.evaluate(Z_JS, "overlay-pane")
        paths = page.evaluate(GAP_PATHS_JS)
        overlays = page.eval_on_selector_all(
            ".leaflet-control-layers-overlays label", "els => els.map(e => e.textContent.trim())"
        )
        # Station pins are on top of every gap: what lies under each pin's middle is
        # the pin (or another pin), never a gap; clicking one opens the station's popup.
        tops = page.evaluate(TOPS_JS)
        x, y = next(point for point, on_pin in tops if on_pin)
        page.mouse.click(x, y)
        popup = page.locator(".leaflet-popup-content").first.text_content()
        page.screenshot(path=str(artifacts / "gaps-command-centre.png"))
    assert seen.errors == [] and seen.blocked == []
    assert overlay_z < gaps_z < marker_z
    areas = [p for p in paths if (p["fill"] or "").startswith("url(#gg-hatch-")]
    assert len(areas) > 0 and all(p["fill"] != p["stroke"] for p in areas)
    assert len(tops) >= 30 and all(on_pin for _, on_pin in tops)
    assert popup is not None and T["station.tier"] in popup
    # The walking gaps: one layer, not three, drawn in three shades.
    walk = [o for o in overlays if o.startswith("问题：" + T["gaps.walk"])]
    assert len(walk) == 1
    assert not [o for o in overlays if "分钟生活圈外" in o]
    with engine.connect() as conn:
        kinds = set(find_gaps(conn, types=list(WALK_TYPES))["type"])
    shades = {p["stroke"] for p in paths} & set(WALK_COLOURS)
    assert shades == {WALK_COLOURS[WALK_TYPES.index(k)] for k in kinds} and len(kinds) >= 2
    # The gap layers: a group per kind of work, not one per gap type (15 before).
    assert len([o for o in overlays if o.startswith("问题：")]) == len(gap_groups()) < 15


@pytest.mark.browser
def test_officers_map_fits_labels_names_and_finds_an_address(
    live_server: str, engine: Engine, keys: dict[str, str], artifacts: Path
) -> None:
    code = officer_community(engine)
    with engine.connect() as conn:
        west, south, east, north = conn.execute(
            text(
                "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) "
                "FROM community WHERE code = :c"
            ),
            {"c": code},
        ).one()
        head = conn.execute(
            text(
                "SELECT hd.id, hd.name, hd.phone, cp.name AS compound, b.number AS building, "
                "u.number AS unit, h.room, ST_Y(ST_PointOnSurface(u.geom)) AS lat, "
                "ST_X(ST_PointOnSurface(u.geom)) AS lon FROM active_head hd JOIN household h "
                "ON h.id = hd.household_id JOIN unit u ON u.id = h.unit_id "
                "JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id "
                "JOIN community c ON c.id = cp.community_id "
                "WHERE hd.role = 'unit' AND hd.unit_id = u.id AND c.code = :c "
                "ORDER BY hd.id LIMIT 1"
            ),
            {"c": code},
        ).one()
        audited_before = conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    with as_role(keys, "officer"), visit(f"{live_server}/maps/communities/{code}") as seen:
        ready(seen)
        page = seen.page
        bounds = page.evaluate(
            "(() => { var b = gg_map.getBounds(); "
            "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()"
        )
        page.screenshot(path=str(artifacts / "officer-community.png"))
        page.evaluate(f"gg_map.setView([{head.lat}, {head.lon}], 18, {{animate: false}})")
        page.wait_for_timeout(300)
        building_labels = page.locator(".gg-label.gg-building").count()
        unit_labels = page.locator(".gg-label.gg-unit").count()
        page.screenshot(path=str(artifacts / "officer-labels.png"))
        html = page.content()
        address = f"{head.compound}{head.building}-{head.unit}-{head.room}"
        page.fill("#gg-address-input", address)
        page.press("#gg-address-input", "Enter")
        page.wait_for_function("window.gg_address !== undefined")
        page.wait_for_timeout(1500)  # the flight to the home
        answer = page.locator("#gg-address-answer").text_content() or ""
        page.screenshot(path=str(artifacts / "officer-address.png"))
    assert seen.errors == [] and seen.blocked == []
    # Opens on the whole community (Leaflet's view holds it, padded for the panels).
    assert bounds[0] <= west and bounds[1] <= south and bounds[2] >= east and bounds[3] >= north
    assert building_labels > 0 and unit_labels > 0
    # An officer sees the heads' names and phones in full, and the reads are recorded.
    assert head.name in html and head.phone in html
    assert f"{head.building}号楼{head.unit}单元" in answer
    assert re.search(rf"{T['address.head']}：\S+ \d{{11}}", answer)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT action, records FROM audit_log WHERE id > :n AND role = 'officer'"),
            {"n": audited_before},
        ).all()
    shown = [r.records for r in rows if r.action == f"GET /maps/communities/{code}"]
    assert shown and "head:" in shown[0]


@pytest.mark.browser
def test_gap_popups_name_who_acts_masked_for_the_command_centre(
    live_server: str, engine: Engine, keys: dict[str, str], artifacts: Path
) -> None:
    with engine.connect() as conn:
        # A community with a unit left without a head (planted by the test city).
        code = find_gaps(conn, types=["unit_without_head"])["community_code"].iloc[0]
        gaps = find_gaps(conn, community=code)
        actors = who_acts_frame(conn, gaps)
    people = [a for a in actors if a.person]
    with visit(f"{live_server}/maps/communities/{code}") as seen:
        ready(seen)
        masked = seen.page.evaluate(POPUPS_JS)
    # An admin sees people in full, as the community's own officer does.
    with as_role(keys, "admin"), visit(f"{live_server}/maps/communities/{code}") as seen_full:
        ready(seen_full)
        full = seen_full.page.evaluate(POPUPS_JS)
        seen_full.page.screenshot(path=str(artifacts / "officer-gap-popup.png"))
    assert seen.errors == [] and seen_full.errors == []
    text_full, text_masked = " ".join(full), " ".join(masked)
    for actor in people:
        role = T[f"actor.{actor.role}"]
        assert f"{role} {actor.name} {actor.phone}" in text_full
        assert actor.name not in text_masked and (actor.phone or "") not in text_masked
        shown = actor.shown(False)
        assert f"{role} {shown.name} {shown.phone}" in text_masked
    # A unit without a head never names "the unit head" as the one to act.
    unit_gaps = [a for t, a in zip(gaps["type"], actors, strict=True) if t == "unit_without_head"]
    assert unit_gaps and all(a.role != "unit" for a in unit_gaps)
