"""Members' points records, exchanges, community totals, rules and year-end summaries
(issue 17): a thin shell over geo_api.party.service."""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from geo_api.api.auth import CallerDep
from geo_api.api.deps import Read, Tx
from geo_api.errors import ForbiddenError
from geo_api.party.service.common import this_year
from geo_api.party.service.points import exchange, rules, set_rule
from geo_api.party.service.records import community_totals, member_record
from geo_api.party.service.yearend import community_summaries, member_summaries

router = APIRouter(tags=["members' service"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="default: this year")]
CommunityCode = Annotated[str, Path(pattern=r"^[0-9]{12}$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExchangeBody(BaseModel):
    """Points spent at the volunteer supermarket (爱心志愿超市), and on what."""

    points: int = Field(ge=1, le=100_000)
    note: str | None = Field(None, max_length=200)


class RuleBody(BaseModel):
    """The points an action earns in a community (none: the city's default)."""

    community: str | None = Field(None, pattern=r"^[0-9]{12}$")
    action: str = Field(min_length=1, max_length=24)
    points: int = Field(ge=0, le=1000)


@router.get("/members/{member_id}/points")
def record(caller: CallerDep, tx: Tx, member_id: Id, year: Year = None) -> dict[str, Any]:
    """A member's points record (红色账户): balance, the year's steps, the newest entries;
    name and phone masked for the command centre (a full read is audited)."""
    with tx() as conn:
        return member_record(conn, member_id, year or this_year(), caller, caller.reveals)


@router.post("/members/{member_id}/exchange")
def spend(caller: CallerDep, tx: Tx, member_id: Id, body: ExchangeBody) -> dict[str, Any]:
    """Exchange a member's points; 409 if they have fewer."""
    with tx() as conn:
        return exchange(conn, member_id, body.points, body.note, caller)


@router.get("/communities/{code}/service")
def totals(caller: CallerDep, read: Read, code: CommunityCode, year: Year = None) -> dict[str, Any]:
    """A community's year: members registered and active, activities, check-ins, points."""
    with read() as conn:
        return community_totals(conn, code, year or this_year(), caller)


@router.get("/points/rules")
def points_rules(
    read: Read, community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None
) -> list[dict[str, Any]]:
    """The points each action earns in a community (its own rules, else the city's)."""
    with read() as conn:
        return rules(conn, community)


@router.put("/points/rules")
def put_rule(tx: Tx, body: RuleBody) -> dict[str, Any]:
    """Set the points an action earns in a community, or the city's default."""
    with tx() as conn:
        return set_rule(conn, body.community, body.action, body.points)


@router.get("/yearend/{kind}", response_class=Response)
def yearend(
    caller: CallerDep,
    tx: Tx,
    kind: Literal["members", "communities"],
    year: Year = None,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    f: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """The year-end summary per member (for their workplace) or per community, as CSV
    or XLSX; members' names and phones masked for the command centre."""
    if kind == "members" and not caller.personal:
        raise ForbiddenError("planner keys may not read members' summaries")
    chosen = year or this_year()
    with tx() as conn:
        if kind == "members":
            frame = member_summaries(conn, chosen, community, caller, caller.reveals)
        else:
            frame = community_summaries(conn, chosen, caller)
    out = io.BytesIO()
    if f == "csv":
        out.write(frame.to_csv(index=False).encode("utf-8-sig"))
        media = "text/csv; charset=utf-8"
    else:
        frame.to_excel(out, index=False, engine="openpyxl")
        media = XLSX
    name = f"yearend-{kind}-{chosen}.{f}"
    return Response(
        out.getvalue(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
