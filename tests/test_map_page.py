"""The command-centre page, served by the real API and loaded in headless Chromium."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, text
from sqlalchemy.exc import InternalError

from geo_api.api.deps import read_only
from geo_api.api.main import create_app
from geo_api.demo.city import City
from geo_api.figures import key_figures
from geo_api.gaps.finder import GAP_TYPES
from maps.command_centre import AREA_STYLES, GAP_DRAW_ORDER, ROLES, TIERS
from tests.browser import visit


@pytest.fixture(scope="module")
def live_server(db_url: str, city: City) -> Iterator[str]:
    """gridgov's API on a free port of 127.0.0.1, in a thread."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(db_url), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.browser
def test_command_centre_in_chromium(live_server: str, engine: Engine, artifacts: Path) -> None:
    with visit(f"{live_server}/maps/command-centre") as seen:
        page = seen.page
        overlays = page.eval_on_selector_all(
            ".leaflet-control-layers-overlays label", "els => els.map(e => e.textContent.trim())"
        )
        figures = page.eval_on_selector_all(
            "[data-figure]",
            "els => Object.fromEntries(els.map(e => [e.dataset.figure, e.textContent]))",
        )
        markers = page.locator(".awesome-marker").count()
        clusters = page.locator(".marker-cluster").count()
        page.screenshot(path=str(artifacts / "command-centre.png"))
    assert seen.errors == [] and seen.blocked == []
    expected = [name for name, _ in AREA_STYLES.values()]
    expected += [label for _, _, label in TIERS.values()] + list(ROLES.values())
    assert overlays[: len(expected)] == expected
    gap_layers = overlays[len(expected) :]
    labels = {g.name: g.label for g in GAP_TYPES}
    assert [label.split("（")[0] for label in gap_layers] == [
        f"问题：{labels[name]}" for name in GAP_DRAW_ORDER
    ]
    with engine.connect() as conn:
        truth = key_figures(conn)
    assert {k: int(v.replace(",", "")) for k, v in figures.items()} == truth
    assert markers >= 36 and clusters >= 1  # 1+5+30 stations at start, heads clustered


@pytest.mark.browser
def test_api_docs_render_offline(live_server: str) -> None:
    with visit(f"{live_server}/docs") as seen:
        seen.page.wait_for_selector(".opblock", timeout=15_000)
        operations = seen.page.locator(".opblock").count()
    assert seen.errors == [] and seen.blocked == []
    assert operations >= 7


def test_reads_survive_errors_and_refuse_writes(live_server: str, engine: Engine) -> None:
    # Through the real read-only path: a 404 in between leaves the pool healthy.
    inside = httpx.get(f"{live_server}/lookup", params={"lon": 111.3, "lat": 35.6})
    for _ in range(3):
        outside = httpx.get(f"{live_server}/lookup", params={"lon": 116.4, "lat": 39.9})
        assert outside.status_code == 404
    again = httpx.get(f"{live_server}/lookup", params={"lon": 111.3, "lat": 35.6})
    assert again.status_code == inside.status_code
    with read_only(engine) as conn, pytest.raises(InternalError, match="read-only"):
        conn.execute(text("UPDATE head SET capacity = capacity"))
