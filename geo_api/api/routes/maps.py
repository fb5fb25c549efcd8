"""Map pages: the command centre, and the officers' maps of a community or a grid.

Every page takes the same options (maps.options): lang, screen, refresh, basemap
and tiles; a wrong value is a 422 naming the parameter and the value.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from geo_api.api.auth import CallerDep
from geo_api.api.deps import Read
from geo_api.errors import ForbiddenError
from geo_api.settings import MapSettings
from maps.command_centre import command_centre_page
from maps.officers import officer_page
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
    )


Options = Annotated[PageOptions, Depends(map_options)]


@router.get("/maps/command-centre", response_class=HTMLResponse)
def command_centre(read: Read, opts: Options) -> HTMLResponse:
    """The command-centre map: boundaries, stations, heads, gaps and coverage."""
    with read() as conn:
        return HTMLResponse(command_centre_page(conn, opts))


@router.get("/maps/communities/{code}", response_class=HTMLResponse)
def community_map(code: str, caller: CallerDep, read: Read, opts: Options) -> HTMLResponse:
    """A community's map for its officers: buildings by coverage, unit heads, gaps. A
    grid officer's key opens their grid's map only (/maps/grids/{grid})."""
    if caller.scoped and code != caller.community_code:
        raise ForbiddenError(f"community {code} lies outside your area")
    if caller.scoped and caller.grid_code is not None:
        # The community's map shows every grid's heads and rooms: not theirs to see.
        raise ForbiddenError(
            f"your area is grid {caller.grid_code}, not all of community {code}: "
            f"open /maps/grids/{caller.grid_code}"
        )
    with read() as conn:
        return HTMLResponse(officer_page(conn, "community", code, opts))


@router.get("/maps/grids/{code}", response_class=HTMLResponse)
def grid_map(code: str, caller: CallerDep, read: Read, opts: Options) -> HTMLResponse:
    """A grid's map for its officer: buildings by coverage, unit heads, gaps."""
    inside = code.startswith(caller.community_code or "") and caller.grid_code in (None, code)
    if caller.scoped and not inside:
        raise ForbiddenError(f"grid {code} lies outside your area")
    with read() as conn:
        return HTMLResponse(officer_page(conn, "grid", code, opts))
