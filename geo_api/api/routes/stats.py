"""Figures over time (/stats) and the command-centre wall's live figures (/wall.json).

The snapshots behind them are taken after every change of the data: the writing
routes (assignment run, import, move) take one in a background task
(geo_api.api.deps.after_change),
run after their answer has gone, and the wall's poll takes one if the data moved
on without one (a change made by the CLI, say).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from geo_api.api.auth import CallerDep, purpose
from geo_api.api.deps import Read
from geo_api.auth.audit import record
from geo_api.db.results import stored
from geo_api.errors import ForbiddenError
from geo_api.stats.series import stats as stats_of
from geo_api.stats.snapshot import TIME_ZONE, take_snapshot
from geo_api.stats.wall import alert_records, wall

router = APIRouter(tags=["command centre"])


@router.get("/stats")
def stats(
    caller: CallerDep,
    read: Read,
    level: Annotated[str, Query(description="city, street or community")] = "city",
    code: Annotated[
        str | None, Query(max_length=12, description="its code (the city's when not given)")
    ] = None,
    start: Annotated[date | None, Query(alias="from", description="first day (30 days ago)")] = (
        None
    ),
    stop: Annotated[date | None, Query(alias="to", description="last day (today)")] = None,
) -> dict[str, Any]:
    """A place's figures and gaps by day (the last snapshot of each day), its latest
    figures and their change since yesterday and last week. An officer sees their own
    community only."""
    if caller.scoped and (level != "community" or code != caller.community_code):
        raise ForbiddenError(
            f"your area is community {caller.community_code}: "
            f"ask /stats?level=community&code={caller.community_code}"
        )
    with read() as conn:
        return stats_of(conn, level, code, start, stop)


@router.get("/wall.json")
async def wall_json(
    request: Request,
    caller: CallerDep,
    code: Annotated[
        str | None, Query(max_length=12, description="a street's or community's code; none: city")
    ] = None,
) -> Response:
    """The wall's cards, ranking, trend and alerts for the city or one of its places:
    a few KB, the same for every caller of a kind until the data changes. Who must act
    on an alert is masked for the command centre; an admin sees them in full, and each
    such read is recorded in the audit log."""
    engine: Engine = request.app.state.engine
    reveal = caller.reveals
    # The data may have changed without a hook (a CLI import): snapshot it first.
    await anyio.to_thread.run_sync(take_snapshot, engine)

    def build() -> bytes:
        with engine.connect() as conn:
            return stored(
                conn,
                "wall",
                # The changes since yesterday move on at midnight, data or not.
                f"{code or ''};full={reveal};{datetime.now(ZoneInfo(TIME_ZONE)).date()}",
                lambda: json.dumps(wall(conn, code, reveal), ensure_ascii=False).encode(),
                bytes,
                bytes,
            )

    body = await anyio.to_thread.run_sync(build)
    if reveal:
        # Every full read is recorded, built or stored, as for the officers' maps.
        shown = alert_records(json.loads(body))
        reason = purpose(request)

        def audit() -> None:
            with engine.begin() as conn:
                record(conn, caller, f"GET {request.url.path}", shown, reason)

        await anyio.to_thread.run_sync(audit)
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})
