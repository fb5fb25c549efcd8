"""Headless Chromium for page tests: network limited to 127.0.0.1, errors collected."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
API_KEY: str | None = None  # sent to 127.0.0.1 with every request (set by live_server)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Visit:
    """What a page did: its Playwright page, errors and requests that left the machine."""

    page: Any
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    # Basemap tiles refused on purpose (their hosts named in visit(tile_hosts=...)): the
    # page must survive them, and the test may check that they were asked for.
    tiles: list[str] = field(default_factory=list)


@contextmanager
def visit(
    url: str,
    viewport: tuple[int, int] = (1600, 1000),
    tile_hosts: frozenset[str] = frozenset(),
    timezone: str | None = None,
) -> Iterator[Visit]:
    """Open ``url`` in headless Chromium with every request off 127.0.0.1 refused
    (``timezone``: the zone the browser's machine is set to, else the system's).

    Requests to ``tile_hosts`` (a basemap's tile servers) are refused too, but listed
    in ``tiles`` instead of ``blocked``, and the console errors they cause are not
    counted: only those, so anything else that fails still fails the test."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(
                viewport={"width": viewport[0], "height": viewport[1]},
                extra_http_headers={"X-API-Key": API_KEY} if API_KEY else None,
                timezone_id=timezone,
            )
            seen = Visit(page)

            def is_tile(url: str) -> bool:
                return urlsplit(url).hostname in tile_hosts

            def only_localhost(route: Any, request: Any) -> None:
                if request.url.startswith(("http://127.0.0.1:", "data:", "file://")):
                    route.continue_()
                else:
                    (seen.tiles if is_tile(request.url) else seen.blocked).append(request.url)
                    route.abort()

            def console(message: Any) -> None:
                if message.type == "error" and not is_tile(message.location.get("url", "")):
                    seen.errors.append(message.text)

            page.route("**/*", only_localhost)
            page.on("console", console)
            page.on("pageerror", lambda exc: seen.errors.append(f"pageerror: {exc}"))
            page.on(
                "requestfailed",
                lambda r: (
                    r.url in seen.blocked
                    or r.url in seen.tiles
                    or seen.errors.append(f"failed: {r.url}")
                ),
            )
            page.on(
                "response",
                lambda r: r.status >= 400 and seen.errors.append(f"HTTP {r.status}: {r.url}"),
            )
            # Waiting for networkidle after goto(load) sometimes never ends on big pages
            # (Playwright 1.65 misses an idle reached while the page was still loading),
            # so goto waits for it itself, then for the load event.
            page.goto(url, wait_until="networkidle")
            page.wait_for_load_state("load")
            yield seen
        finally:
            browser.close()
