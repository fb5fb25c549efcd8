"""gridgov map: a map page as one self-contained file (the command centre, or a
community's or grid's map for its officers)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from geo_api.cli.ui import step
from geo_api.cli.words import lang, t
from geo_api.cli.work import code_of, store
from geo_api.errors import InvalidInputError

log = logging.getLogger(__name__)


def map_page(
    out: Annotated[Path, typer.Option(help="the .html file to write")] = Path(
        "command-centre.html"
    ),
    community: Annotated[
        str | None,
        typer.Option(help="a community's map for its officers: its 12-digit code or its name"),
    ] = None,
    grid: Annotated[
        str | None,
        typer.Option(help="a grid's map for its officer: its 15-digit code or its name"),
    ] = None,
    big: Annotated[bool, typer.Option("--big", help="the dark big-screen theme")] = False,
    basemap: Annotated[
        str,
        typer.Option(
            help="none, osm, tianditu (GEO_API_TIANDITU_KEY), amap, tencent (GCJ-02), "
            "or an http(s) XYZ URL with {z}, {x} and {y}"
        ),
    ] = "none",
    at: Annotated[
        str | None,
        typer.Option(help="an ISO date: the area outlines in force that day (the rest as today)"),
    ] = None,
) -> None:
    """Write a map page with every script, style and font inlined, to send to people
    who cannot reach the server (it opens with no network; a basemap needs its tiles).
    The file is a snapshot of the data at the time it was read (the page says when):
    it does not refresh, and households and buildings are in it (not vector tiles),
    whatever the city's size. The page's language is the run's: --lang en for English."""
    if out.suffix.lower() not in (".html", ".htm"):
        raise InvalidInputError(f"the map is an HTML page: give a .html path, not {out}")
    if community and grid:
        raise InvalidInputError("give --community CODE or --grid CODE, not both")
    step("drawing the map")
    from geo_api.settings import MapSettings
    from maps.command_centre import command_centre_page
    from maps.officers import officer_page
    from maps.options import page_options
    from maps.vendor import inline_assets

    opts = page_options(
        screen="big" if big else "normal",
        lang=lang(),
        refresh=0,  # a file has no server to reload from
        basemap=basemap,
        tiles=False,  # nor one to serve tiles
        tianditu_key=MapSettings().tianditu_key,
        at=at,
    )
    with store().connect() as conn:
        if community or grid:
            level, given = ("community", community) if community else ("grid", grid)
            code = code_of(conn, level, given)
            assert code is not None
            page = officer_page(conn, level, code, opts)
        else:
            page = command_centre_page(conn, opts)
    page = inline_assets(page)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    log.info("%s %s (%.1f MB)", t("wrote"), out, out.stat().st_size / 1e6)
