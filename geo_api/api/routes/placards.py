"""Placards (三长信息公示牌) as A4 pages or PDF, and heads' consent to be on them."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from geo_api.api.auth import CallerDep, check_area, purpose
from geo_api.api.deps import Read, Tx
from geo_api.api.schemas_day import Consent, ConsentOut
from geo_api.auth.audit import record
from geo_api.auth.roles import Caller
from geo_api.lookup.households import area_of
from geo_api.placards.content import Placard, building_placard, compound_placard
from geo_api.placards.page import placard_html
from geo_api.placards.pdf import html_to_pdf
from geo_api.rosters.consent import set_consent
from geo_api.rosters.record import Who

router = APIRouter(tags=["grid officers"])

PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/html": {}, "application/pdf": {}},
        "description": "the placard: an A4 HTML page, or a PDF (format=pdf)",
    },
    503: {"description": "format=pdf where headless Chromium is not installed"},
}
Format = Annotated[
    Literal["html", "pdf"], Query(alias="format", description="html (default) or pdf")
]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _answer(request: Request, caller: Caller, placard: Placard, fmt: str, what: str) -> Response:
    """The placard for the caller: held to an officer's area, its full reads audited
    (the consenting heads and the officers it names), as HTML or PDF."""
    check_area(caller, placard.community_id, placard.grid_id, what)
    html = placard_html(placard)
    body = html_to_pdf(html) if fmt == "pdf" else None
    # Whatever the role: a placard shows these people in full to anyone who reads it.
    engine: Engine = request.app.state.engine
    with engine.begin() as conn:
        action = f"{request.method} {request.url.path}"
        record(conn, caller, action, placard.shown, purpose(request))
    if body is None:
        return HTMLResponse(html)
    name = quote(f"{placard.place}.pdf")
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{name}"},
    )


@router.get("/placards/building/{building_id}", response_class=Response, responses=PAGE_RESPONSES)
def building(
    request: Request, caller: CallerDep, read: Read, building_id: Id, fmt: Format = "html"
) -> Response:
    """A building's placard: its compound's head, its building head and each unit's head,
    named with their phone only where they agreed, the grid officer and the nearest
    service station on foot."""
    with read() as conn:
        placard = building_placard(conn, building_id)
    return _answer(request, caller, placard, fmt, f"building {building_id}")


@router.get("/placards/compound/{compound_id}", response_class=Response, responses=PAGE_RESPONSES)
def compound(
    request: Request, caller: CallerDep, read: Read, compound_id: Id, fmt: Format = "html"
) -> Response:
    """A compound's placard: its compound heads and each building's head."""
    with read() as conn:
        placard = compound_placard(conn, compound_id)
    return _answer(request, caller, placard, fmt, f"compound {compound_id}")


@router.put(
    "/heads/{head_id}/consent",
    response_model=ConsentOut,
    responses={404: {"description": "no such head"}},
)
def consent(caller: CallerDep, tx: Tx, head_id: Id, body: Consent) -> dict[str, Any]:
    """Record whether a head agreed to be named in full, with their phone, on the
    placards; an officer within their own area."""
    with tx() as conn:
        check_area(caller, *area_of(conn, "head", head_id), f"head {head_id}")
        return set_consent(
            conn, Who(caller.name, caller.role, caller.key_id), head_id, body.consent_public
        )
