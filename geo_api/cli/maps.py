"""gridgov map: the command-centre page as one self-contained file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from geo_api.cli.work import store
from geo_api.errors import InvalidInputError
from maps.command_centre import command_centre_page
from maps.vendor import inline_assets

log = logging.getLogger(__name__)


def map_page(
    out: Annotated[Path, typer.Option(help="the .html file to write")] = Path(
        "command-centre.html"
    ),
) -> None:
    """Write the command-centre map with every script, style and font inlined, to send
    to people who cannot reach the server (it opens with no network at all)."""
    if out.suffix.lower() not in (".html", ".htm"):
        raise InvalidInputError(f"the map is an HTML page: give a .html path, not {out}")
    with store().connect() as conn:
        page = inline_assets(command_centre_page(conn))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    log.info("wrote %s (%.1f MB)", out, out.stat().st_size / 1e6)
