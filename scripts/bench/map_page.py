"""Benchmark the map pages: their size and their time to first render in Chromium.

One run, one city (the store's, else the demo city built in ``gridgov_bench``):

* anchor             a bare folium page: one FastMarkerCluster of every household
                     point, and nothing else (the least a map of the city can be).
* command centre     /maps/command-centre, as served; then English, and with
                     households and buildings from vector tiles (tiles=1).
* wall               /maps/command-centre?screen=big (maps.wall: cards, rankings,
                     trend, alerts; ECharts), in Chinese and in English; it must stay
                     under 3 MB as served, like the command centre.
* community map      /maps/communities/{code} of the community with most households.

A second table splits the command centre's and the wall's bytes by layer (folium's
variables rolled up to the layers the layer control names), to show what to trim.

Every page is saved once and served as a static file from 127.0.0.1 with gridgov's
vendored assets, so the render times compare browsers' work, not the server's; the
server's time to build each page is its own column. First render: navigation start
to ``window.gg_ready``, which the page sets after its last layer is added (median of
``--runs`` loads, each in a fresh page of one headless Chromium). Requires Chromium
(``make test`` installs it).

Run: ``uv run python scripts/bench/map_page.py [--runs 5] [--screenshot docs/command-centre.png]``.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import folium
import httpx
from benchkit import PROJECT, api_server, bench_key, console, prepare
from folium import plugins
from rich.table import Table
from sqlalchemy import text

from geo_api.db.engine import make_engine
from maps.options import PageOptions
from maps.page import PageScript
from maps.vendor import VENDOR_ROOT, inline_assets, localise

sys.path.insert(0, str(PROJECT))
from tests.browser import CHROMIUM, CHROMIUM_ARGS

BUDGET_BYTES = 3_000_000  # the demo city's command centre must stay under 3 MB


@dataclass
class Row:
    """One page: its bytes, the server's build time and the browser's render times."""

    name: str
    html: str
    build_s: float | None
    renders_ms: list[float]

    @property
    def size(self) -> int:
        return len(self.html.encode("utf-8"))

    @property
    def render_ms(self) -> float:
        return statistics.median(self.renders_ms)


def anchor_page(url: str) -> str:
    """A bare folium page: one FastMarkerCluster of every household, gridgov's assets."""
    engine = make_engine(url)
    with engine.connect() as conn:
        points = conn.execute(
            text(
                "SELECT round(ST_Y(geom)::numeric, 6), round(ST_X(geom)::numeric, 6) FROM household"
            )
        ).all()
        west, south, east, north = conn.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                "FROM (SELECT ST_Extent(geom) e FROM household) x"
            )
        ).one()
    engine.dispose()
    m = folium.Map(tiles=None, maxZoom=19, prefer_canvas=True)
    m.fit_bounds([[south, west], [north, east]])
    plugins.FastMarkerCluster([[float(lat), float(lon)] for lat, lon in points]).add_to(m)
    # Sets window.gg_ready, as gridgov's pages do (it shows a read time: now).
    PageScript(PageOptions(), datetime.now(UTC)).add_to(m)
    root = m.get_root()
    localise(root)
    return str(root.render())


FOLIUM_VAR = re.compile(r"^\s*var (\w+) = ", re.M)
OVERLAYS = re.compile(r"overlays\s*:\s*\{(.*?)\}", re.S)


def layer_bytes(html: str) -> dict[str, int]:
    """The page's bytes by layer: each of folium's top-level ``var`` statements (with
    what follows it up to the next) counted to the layer it is added to, named as the
    layer control names it; what comes before the first is the page's head, style,
    wall data and panel."""
    names: dict[str, str] = {}
    control = OVERLAYS.search(html)
    if control:
        for label, var in re.findall(r'"((?:[^"\\]|\\.)*)"\s*:\s*(\w+)', control.group(1)):
            names[var] = json.loads(f'"{label}"')  # folium writes them \u-escaped
    marks = [(m.start(), m.group(1)) for m in FOLIUM_VAR.finditer(html)]
    parent: dict[str, str] = {}
    sizes: dict[str, int] = defaultdict(int)
    for (start, var), (end, _) in zip(marks, [*marks[1:], (len(html), "")], strict=True):
        chunk = html[start:end]
        sizes[var] += len(chunk.encode())
        added = re.search(r"\.addTo\((\w+)\)", chunk)
        if added and added.group(1) != var:
            parent[var] = added.group(1)
        # A popup's content, a marker's popup or icon: marker.bindPopup(popup) ...
        for owner, part in re.findall(
            r"(\w+)\.(?:setContent|bindPopup|setIcon|bindTooltip)\((\w+)\)", chunk
        ):
            if owner != part:
                parent.setdefault(part, owner)
    out: dict[str, int] = defaultdict(int)
    out["page head, style, panel and wall data"] = len(
        html[: marks[0][0] if marks else None].encode()
    )
    for var, size in sizes.items():
        top, seen = var, set()
        while top in parent and top not in names and top not in seen:
            seen.add(top)
            top = parent[top]
        out[names.get(top, re.sub(r"_[0-9a-f]{32}$", "", top))] += size
    return dict(out)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def static_site(pages: dict[str, str]) -> Iterator[str]:
    """Serve the pages and /static/vendor from 127.0.0.1; yields the base URL."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, html in pages.items():
            (root / f"{name}.html").write_text(html, encoding="utf-8")
        (root / "static").mkdir()
        (root / "static" / "vendor").symlink_to(VENDOR_ROOT, target_is_directory=True)
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=folder))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


def render_times(base: str, rows: list[Row], runs: int, screenshot: Path | None) -> None:
    """Load each page ``runs`` times in turn; record navigation start to gg_ready."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for run in range(runs + 1):  # the first round only warms the caches
                for row in rows:
                    page = browser.new_page(viewport={"width": 1600, "height": 1000})
                    page.goto(f"{base}/{row.name.replace(' ', '-')}.html", wait_until="load")
                    page.wait_for_function("window.gg_ready !== undefined", timeout=120_000)
                    if run:
                        row.renders_ms.append(page.evaluate("window.gg_ready"))
                    if run == runs and screenshot and row.name == "command centre":
                        # The README's picture: fonts and marker images in place first.
                        page.evaluate("document.fonts.ready.then(() => true)")
                        page.wait_for_timeout(1_000)
                        page.screenshot(path=str(screenshot))
                    page.close()
        finally:
            browser.close()


KEY: list[str] = []  # the run's API key, made when the server starts


def fetch(base: str, path: str) -> tuple[str, float]:
    t0 = time.perf_counter()
    response = httpx.get(f"{base}{path}", timeout=300, headers={"X-API-Key": KEY[0]})
    response.raise_for_status()
    return response.text, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="loads per page (median)")
    parser.add_argument("--households", type=int, help="build a city of N in gridgov_bench")
    parser.add_argument("--screenshot", type=Path, help="save the command centre's screenshot")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: `make test` installs it")
    url = prepare(args.households)
    engine = make_engine(url)
    with engine.connect() as conn:
        households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
        community = conn.execute(
            text(
                "SELECT c.code FROM community c JOIN compound cp ON cp.community_id = c.id "
                "JOIN building b ON b.compound_id = cp.id JOIN unit u ON u.building_id = b.id "
                "JOIN household h ON h.unit_id = u.id "
                "GROUP BY c.code ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()
    console.print(f"{households:,} households; building the pages ...")
    rows = [Row("folium FastMarkerCluster", anchor_page(url), None, [])]
    KEY.append(bench_key(url))
    with api_server(url, workers=1) as base:
        fetch(base, "/maps/command-centre")  # warm the server's caches and connections
        for name, path in (
            ("command centre", "/maps/command-centre"),
            ("english", "/maps/command-centre?lang=en"),
            ("wall", "/maps/command-centre?screen=big&refresh=0"),
            ("wall english", "/maps/command-centre?screen=big&refresh=0&lang=en"),
            ("vector tiles", "/maps/command-centre?tiles=1"),
            ("community map", f"/maps/communities/{community}"),
        ):
            html, took = fetch(base, path)
            rows.append(Row(name, html, took, []))
    pages = {row.name.replace(" ", "-"): row.html for row in rows}
    with static_site(pages) as site:
        render_times(site, rows, args.runs, args.screenshot)

    anchor = rows[0]
    table = Table(title=f"Map pages: {households:,} households, median of {args.runs} loads")
    for col in (
        "page",
        "bytes",
        "vs anchor",
        "inlined MB",
        "build s",
        "first render ms",
        "vs anchor",
    ):
        table.add_column(col, justify="left" if col == "page" else "right")
    for row in rows:
        table.add_row(
            row.name + (" (anchor)" if row is anchor else ""),
            f"{row.size:,}",
            f"{row.size / anchor.size:.2f}",
            f"{len(inline_assets(row.html).encode()) / 1e6:.2f}",
            "-" if row.build_s is None else f"{row.build_s:.2f}",
            f"{row.render_ms:,.0f}",
            f"{row.render_ms / anchor.render_ms:.2f}",
        )
    console.print(table)
    console.print(
        "bytes: the page as served (scripts and styles are separate files); inlined MB: as "
        "`gridgov map` writes it, every asset inside; first render: navigation start to gg_ready"
    )
    for row in rows:
        if row.name not in ("command centre", "wall"):
            continue
        split = Table(title=f"{row.name}: bytes by layer (the largest)")
        for col in ("layer", "bytes", "share"):
            split.add_column(col, justify="left" if col == "layer" else "right")
        parts = sorted(layer_bytes(row.html).items(), key=lambda kv: -kv[1])
        for name, size in parts[:12]:
            split.add_row(name, f"{size:,}", f"{size / row.size:.0%}")
        split.add_row("the rest", f"{sum(size for _, size in parts[12:]):,}", "")
        console.print(split)
    budgeted = ("command centre", "wall", "wall english")
    over = [row for row in rows if row.name in budgeted and row.size > BUDGET_BYTES]
    if over:
        names = ", ".join(f"{row.name} ({row.size:,} bytes)" for row in over)
        sys.exit(f"over the {BUDGET_BYTES:,} budget: {names}")


if __name__ == "__main__":
    main()
