"""Map pages."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from geo_api.api.deps import Read
from maps.command_centre import command_centre_page
from maps.vendor import require_assets

router = APIRouter(tags=["command centre"])


@router.get("/maps/command-centre", response_class=HTMLResponse)
def command_centre(read: Read) -> HTMLResponse:
    """The command-centre map: boundaries, stations by tier, heads and gaps."""
    require_assets()
    with read() as conn:
        return HTMLResponse(command_centre_page(conn))
