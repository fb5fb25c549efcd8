"""Chinese renders with gridgov's own web font (Noto Sans SC) when the machine has no
CJK font: Chromium runs with a fontconfig that knows only DejaVu (Latin, no CJK).

Not with no font folder at all: Chromium 1xx's renderer crashes on the map page when
fontconfig offers it no font whatsoever, which no user machine does."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from maps.vendor import FONTS, VENDOR_ROOT, subset_font_faces
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.cli_run import Run

NO_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""
TEXT = "网格化治理指挥中心"


@pytest.fixture
def fontless_page(tmp_path: Path) -> Iterator[Any]:
    """A Chromium page that sees no system CJK font (network off but for file://)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Chromium")
    conf = tmp_path / "fonts.conf"
    conf.write_text(NO_FONTS.format(cache=tmp_path / "fc-cache"), encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            env={**os.environ, "FONTCONFIG_FILE": str(conf)},
        )
        try:
            page = browser.new_page()
            page.route(
                "**/*",
                lambda route, request: (
                    route.continue_()
                    if request.url.startswith(("file://", "data:"))
                    else route.abort()
                ),
            )
            yield page
        finally:
            browser.close()


def _width(page: Any, family: str) -> float:
    return float(
        page.evaluate(
            """([family, text]) => {
                const c = document.createElement('canvas').getContext('2d');
                c.font = `40px ${family}`;
                return c.measureText(text).width;
            }""",
            [family, TEXT],
        )
    )


def test_the_font_css_keeps_only_the_subsets_a_text_needs() -> None:
    css = (VENDOR_ROOT / FONTS["noto_sans_sc"]).read_text(encoding="utf-8")
    every = len(re.findall("@font-face", css))
    few = subset_font_faces(css, TEXT)
    assert every > 50 and 1 <= len(re.findall("@font-face", few)) <= 9
    assert subset_font_faces(css, "abc") != subset_font_faces(css, TEXT)


@pytest.mark.browser
def test_chinese_renders_with_the_web_font_without_system_fonts(
    run: Run,
    tmp_path: Path,
    fontless_page: Any,
) -> None:
    target = tmp_path / "cc.html"
    code, _, err = run("map", "--out", str(target))
    assert code == 0, err
    html = target.read_text(encoding="utf-8")
    faces = len(re.findall(r"font-family:\s*'Noto Sans SC'", html))
    assert 1 <= faces < 60  # the subsets this page's characters need, not all of them
    fontless_page.goto(target.as_uri(), wait_until="load")
    fontless_page.wait_for_function("window.gg_ready !== undefined")
    fontless_page.evaluate("document.fonts.ready")
    fontless_page.evaluate(f"document.fonts.load(\"40px 'Noto Sans SC'\", {TEXT!r})")
    assert fontless_page.evaluate(f"document.fonts.check(\"40px 'Noto Sans SC'\", {TEXT!r})")
    loaded = fontless_page.evaluate(
        "[...document.fonts].filter(f => f.family.includes('Noto Sans SC')"
        " && f.status === 'loaded').length"
    )
    assert loaded >= 1
    # Each Chinese character is one em wide in Noto Sans SC; without it the boxes
    # Chromium draws for missing glyphs have another width.
    web = _width(fontless_page, "'Noto Sans SC'")
    assert abs(web - 40 * len(TEXT)) < 2, web
    assert abs(_width(fontless_page, "serif") - web) > 1
    title = fontless_page.locator("#gg-panel h1")
    family = title.evaluate("e => getComputedStyle(e).fontFamily")
    assert family.startswith('"Noto Sans SC"')
