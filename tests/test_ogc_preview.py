"""The map preview of the OGC API's HTML pages (geo_api.ogc.preview), loaded in
headless Chromium from the real API with the network cut off: Leaflet from gridgov's
own assets, the features where the store has them, in every CRS a page is asked in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.browser import visit

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
# Every feature the preview drew, as its bounds: [south, west, north, east].
DRAWN_JS = """() => {
  var out = [];
  gg_preview.map.eachLayer(function (l) {
    if (l.feature) {
      var b = l.getBounds ? l.getBounds() : L.latLngBounds([l.getLatLng()]);
      out.push([b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]);
    }
  });
  return out;
}"""


def _preview(url: str, artifacts: Path | None = None) -> dict[str, Any]:
    """Open an HTML page and read what its preview drew."""
    with visit(url) as seen:
        seen.page.wait_for_function("window.gg_preview !== undefined", timeout=30_000)
        shown = {
            "features": seen.page.evaluate("gg_preview.features"),
            "drawn": seen.page.evaluate(DRAWN_JS),
            "svg": seen.page.locator("#gg-preview path.leaflet-interactive").count(),
            "view": seen.page.evaluate(
                "(() => { var b = gg_preview.map.getBounds();"
                " return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; })()"
            ),
        }
        if artifacts is not None:
            seen.page.screenshot(path=str(artifacts / "ogc-preview.png"))
    assert seen.errors == [] and seen.blocked == []
    return shown


def _inside(view: list[float], lat: float, lon: float) -> bool:
    south, west, north, east = view
    return south <= lat <= north and west <= lon <= east


@pytest.mark.browser
def test_a_page_of_items_is_drawn_on_its_map(
    live_server: str, engine: Engine, artifacts: Path
) -> None:
    with engine.connect() as conn:
        grids = conn.execute(
            text(
                "SELECT ST_YMin(geom), ST_XMin(geom), ST_YMax(geom), ST_XMax(geom) "
                "FROM grid ORDER BY id LIMIT 5"
            )
        ).all()
    shown = _preview(f"{live_server}/ogc/collections/grids/items?f=html&limit=5", artifacts)
    assert shown["features"] == 5 and shown["svg"] == 5
    # Each grid where the store has it (to the page's 7 decimals), and all in view.
    for (south, west, north, east), drawn in zip(grids, shown["drawn"], strict=True):
        assert drawn == pytest.approx([south, west, north, east], abs=1e-6)
        assert _inside(shown["view"], south, west) and _inside(shown["view"], north, east)


@pytest.mark.browser
@pytest.mark.parametrize("crs", [None, f"{EPSG}4326", f"{EPSG}4490", f"{EPSG}3857"])
def test_an_item_is_drawn_where_it_is_in_every_crs(
    live_server: str, engine: Engine, crs: str | None
) -> None:
    """Latitude first (EPSG:4326, 4490) and metres (3857) land on the same spot."""
    with engine.connect() as conn:
        sid, lat, lon = conn.execute(
            text("SELECT id, ST_Y(geom), ST_X(geom) FROM station ORDER BY id LIMIT 1")
        ).one()
    asked = f"&crs={crs}" if crs else ""
    shown = _preview(f"{live_server}/ogc/collections/stations/items/{sid}?f=html{asked}")
    assert shown["features"] == 1
    (drawn,) = shown["drawn"]
    assert drawn[:2] == pytest.approx([lat, lon], abs=1e-6)
    assert _inside(shown["view"], lat, lon)


@pytest.mark.browser
def test_a_collection_shows_its_extent(live_server: str, engine: Engine) -> None:
    with engine.connect() as conn:
        extent = conn.execute(
            text(
                "SELECT ST_YMin(e), ST_XMin(e), ST_YMax(e), ST_XMax(e) "
                "FROM (SELECT ST_Extent(geom) AS e FROM compound) x"
            )
        ).one()
    with visit(f"{live_server}/ogc/collections/compounds?f=html") as seen:
        seen.page.wait_for_function("window.gg_preview !== undefined", timeout=30_000)
        outline = seen.page.locator("#gg-preview path.leaflet-interactive").count()
        view = seen.page.evaluate(
            "(() => { var b = gg_preview.map.getBounds();"
            " return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; })()"
        )
    assert seen.errors == [] and seen.blocked == []
    assert outline == 1  # the extent's outline, and no feature
    south, west, north, east = extent
    assert _inside(view, south, west) and _inside(view, north, east)
