"""Placards as PDF: the HTML page printed by headless Chromium, where it is installed.

The page is made self-contained first (its fonts inlined, only the characters it
shows), so Chromium prints it with no server and no network. Without Chromium the
caller gets a clear error (HTTP 503), and the HTML page still prints from any browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from geo_api.errors import RendererMissingError
from maps.vendor import inline_assets

# Where Chromium is looked for: GEO_API_CHROMIUM, else these names on the PATH.
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
TIMEOUT_S = 60


def chromium() -> Path:
    """The Chromium to print with; RendererMissingError when there is none."""
    configured = os.environ.get("GEO_API_CHROMIUM")
    if configured:
        if Path(configured).is_file():
            return Path(configured)
        raise RendererMissingError(
            f"GEO_API_CHROMIUM names {configured}, which does not exist; "
            "install Chromium (Debian: apt-get install chromium) or unset it"
        )
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise RendererMissingError(
        "PDF placards need headless Chromium, which is not installed here "
        "(Debian: apt-get install chromium); ask for the HTML page and print it instead"
    )


def self_contained(html: str) -> str:
    """The page with its fonts inlined: it opens with no server."""
    return inline_assets(html)


def html_to_pdf(html: str) -> bytes:
    """Print an HTML page to PDF with headless Chromium (its own @page size)."""
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="gridgov-placard-") as folder:
        page = Path(folder) / "placard.html"
        pdf = Path(folder) / "placard.pdf"
        page.write_text(self_contained(html), encoding="utf-8")
        args = [
            str(browser),
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            # A profile of its own: two renderings at once must not share one.
            f"--user-data-dir={Path(folder) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root otherwise
        try:
            done = subprocess.run(args, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise RendererMissingError(
                f"Chromium did not print the placard within {TIMEOUT_S} s"
            ) from None
        if not pdf.is_file() or pdf.stat().st_size == 0:
            said = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["nothing"]
            raise RendererMissingError(
                f"Chromium ({browser}) printed no PDF (status {done.returncode}): {said[0]}"
            )
        return pdf.read_bytes()
