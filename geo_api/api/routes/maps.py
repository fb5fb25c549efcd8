"""Map pages: the command centre, and the officers' maps of a community or a grid.

Every page takes the same options (maps.options): lang, screen, refresh, basemap
and tiles; a wrong value is a 422 naming the parameter and the value.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from geo_api.api.auth import CallerDep, purpose
from geo_api.api.deps import Read, Transaction
from geo_api.auth.audit import record
from geo_api.auth.roles import Caller
from geo_api.db.results import stored
from geo_api.errors import ForbiddenError
from geo_api.generations.store import at as generation_at
from geo_api.lookup.places import resolve_code
from geo_api.settings import MapSettings
from geo_api.stats.snapshot import take_snapshot
from maps.command_centre import command_centre_page
from maps.officers import officer_page, people_shown
from maps.options import PageOptions, page_options
from maps.vendor import require_assets

router = APIRouter(tags=["command centre"])


def map_options(
    lang: Annotated[str, Query(description="zh (default) or en")] = "zh",
    screen: Annotated[str, Query(description="normal, or big: the dark wall-screen theme")] = (
        "normal"
    ),
    refresh: Annotated[
        int | None,
        Query(description="seconds between reloads, 10 to 86400; 0: never (big screen: 300)"),
    ] = None,
    basemap: Annotated[
        str,
        Query(description="none, osm, tianditu, amap, tencent, or an http(s) {z}/{x}/{y} URL"),
    ] = "none",
    tiles: Annotated[
        bool | None,
        Query(description="households and buildings as vector tiles (default: past 1M)"),
    ] = None,
    at: Annotated[
        str | None,
        Query(
            max_length=40,
            description="an ISO 8601 date: the street, community, grid and compound outlines "
            "in force that day (the rest as today)",
        ),
    ] = None,
) -> PageOptions:
    """The page options from the query string."""
    require_assets()
    return page_options(
        screen=screen,
        lang=lang,
        refresh=refresh,
        basemap=basemap,
        tiles=tiles,
        tianditu_key=MapSettings().tianditu_key,
        at=at,
    )


Options = Annotated[PageOptions, Depends(map_options)]


def _page(
    request: Request, read: Transaction, key: str, opts: PageOptions, build: Callable[[Any], str]
) -> Response:
    """A map page, built once per data version and options (4 to 9 s for the command
    centre on the demo city) and stored gzipped (2.4 MB as HTML, a fifth of it
    compressed): a repeat request is a lookup, and goes out compressed. A page of a
    date is stored once per generation of boundaries, not once per date asked."""
    with read() as conn:
        generation = None if opts.at is None else generation_at(conn, opts.at)
        keyed = replace(opts, at=None)
        packed = stored(
            conn,
            "map",
            f"{key}{keyed!r};generation={generation.id if generation else 'current'}",
            lambda: gzip.compress(build(conn).encode(), compresslevel=9),
            bytes,
            bytes,
        )
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return Response(packed, media_type="text/html; charset=utf-8", headers=headers)
    return HTMLResponse(gzip.decompress(packed), headers={"Vary": "Accept-Encoding"})


def _officer_map(
    request: Request, read: Read, caller: Caller, level: str, code: str, opts: PageOptions
) -> Response:
    """An officer's map; names and phones in full for roles that see them, each such
    page read (built or stored) recorded in the audit log, as any full read is."""
    reveal = caller.reveals
    key = f"{level}={code};full={reveal};"
    page = _page(
        request, read, key, opts, lambda conn: officer_page(conn, level, code, opts, reveal)
    )
    if reveal:
        with read() as conn:
            shown = people_shown(conn, level, code)
        engine = request.app.state.engine
        with engine.begin() as conn:
            record(conn, caller, f"GET {request.url.path}", shown, purpose(request))
    return page


@router.get("/maps/command-centre", response_class=HTMLResponse)
def command_centre(request: Request, read: Read, opts: Options) -> Response:
    """The command-centre map: boundaries, stations, heads, gaps and coverage; with
    screen=big, the wall: cards, rankings, trend and alerts, refreshed in place."""
    if opts.big:
        # The wall opens with the figures of the data it is built from.
        take_snapshot(request.app.state.engine)
    return _page(request, read, "", opts, lambda conn: command_centre_page(conn, opts))


@router.get("/maps/communities/{code}", response_class=HTMLResponse)
def community_map(
    request: Request, code: str, caller: CallerDep, read: Read, opts: Options
) -> Response:
    """A community's map for its officers: buildings by coverage, unit heads (names and
    phones in full to officers and admins, audited; masked to others), gaps.
    ``code`` is its 12-digit code or its name (开发区社区). A grid officer's key opens
    their grid's map only (/maps/grids/{grid})."""
    with read() as conn:
        code = resolve_code(conn, "community", code)
    if caller.scoped and code != caller.community_code:
        raise ForbiddenError(f"community {code} lies outside your area")
    if caller.scoped and caller.grid_code is not None:
        # The community's map shows every grid's heads and rooms: not theirs to see.
        raise ForbiddenError(
            f"your area is grid {caller.grid_code}, not all of community {code}: "
            f"open /maps/grids/{caller.grid_code}"
        )
    return _officer_map(request, read, caller, "community", code, opts)


@router.get("/maps/grids/{code}", response_class=HTMLResponse)
def grid_map(request: Request, code: str, caller: CallerDep, read: Read, opts: Options) -> Response:
    """A grid's map for its officer: buildings by coverage, unit heads, gaps. ``code``
    is its 15-digit code or its name."""
    with read() as conn:
        code = resolve_code(conn, "grid", code)
    inside = code.startswith(caller.community_code or "") and caller.grid_code in (None, code)
    if caller.scoped and not inside:
        raise ForbiddenError(f"grid {code} lies outside your area")
    return _officer_map(request, read, caller, "grid", code, opts)
