"""Headless Chromium for page tests: network limited to 127.0.0.1, errors collected."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
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


@contextmanager
def visit(url: str, viewport: tuple[int, int] = (1600, 1000)) -> Iterator[Visit]:
    """Open ``url`` in headless Chromium with every request off 127.0.0.1 refused."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            seen = Visit(page)

            def only_localhost(route: Any, request: Any) -> None:
                if request.url.startswith(("http://127.0.0.1:", "data:", "file://")):
                    route.continue_()
                else:
                    seen.blocked.append(request.url)
                    route.abort()

            page.route("**/*", only_localhost)
            page.on("console", lambda m: m.type == "error" and seen.errors.append(m.text))
            page.on("pageerror", lambda exc: seen.errors.append(f"pageerror: {exc}"))
            page.on(
                "requestfailed",
                lambda r: r.url in seen.blocked or seen.errors.append(f"failed: {r.url}"),
            )
            page.on(
                "response",
                lambda r: r.status >= 400 and seen.errors.append(f"HTTP {r.status}: {r.url}"),
            )
            page.goto(url, wait_until="load")
            page.wait_for_load_state("networkidle")
            yield seen
        finally:
            browser.close()
