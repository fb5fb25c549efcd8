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
from sqlalchemy import Engine

from geo_api.api.main import create_app
from geo_api.demo.city import City
from geo_api.figures import key_figures
from geo_api.gaps.finder import GAP_TYPES
from maps.command_centre import AREA_STYLES, ROLES, TIERS
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
    assert [label.split("（")[0] for label in gap_layers] == [f"问题：{g.label}" for g in GAP_TYPES]
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
