"""gridgov activities, points and yearend: the members' service (issue 17) from the
command line, on the store itself (audited as cli:<user>, names in full)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from geo_api.cli.ui import listing, table
from geo_api.cli.words import t
from geo_api.cli.work import store

activities_app = typer.Typer(help="activities and the four steps (四到) of registered members")
points_app = typer.Typer(help="members' points (积分): records, exchanges, rules")

ActivityId = Annotated[int, typer.Argument(help="the activity's id", min=1)]
MemberId = Annotated[int, typer.Argument(help="the member's id", min=1)]
Year = Annotated[int | None, typer.Option(help="the year (default: this year)")]


def _when(given: str, option: str) -> datetime:
    """A time as given on the command line; China time if it has no zone."""
    from geo_api.clock import CHINA
    from geo_api.errors import InvalidInputError

    try:
        when = datetime.fromisoformat(given)
    except ValueError:
        raise InvalidInputError(f"{option} {given!r} is not a time (2026-05-01T09:00)") from None
    return when if when.tzinfo else when.replace(tzinfo=CHINA)


def _step(result: dict[str, object]) -> None:
    table(
        "activity step",
        {
            "activity": result["activity_id"],
            "member": result["member_id"],
            "step": t(str(result["step"])),
            "recorded": bool(result["done"]),
            "points": result["points"],
        },
    )


@activities_app.command("list")
def list_command(
    community: Annotated[str | None, typer.Option(help="a community's code or name")] = None,
    year: Year = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """List activities, newest first."""
    from geo_api.cli.work import code_of
    from geo_api.party.service.activities import list_activities

    with store().connect() as conn:
        rows = list_activities(conn, code_of(conn, "community", community), year, None, limit)
    listing(
        "activities",
        ("id", "title", "community", "starts", "called", "checked in", "cancelled"),
        [
            (r["id"], r["title"], r["community_name"], f"{r['starts_at']:%Y-%m-%d %H:%M}",
             r["called"], r["checked_in"], r["cancelled_at"] is not None)
            for r in rows
        ],
    )  # fmt: skip


@activities_app.command("create")
def create(
    title: Annotated[str, typer.Argument(help="what the activity is")],
    community: Annotated[str, typer.Option(help="the community's code or name")],
    starts: Annotated[str, typer.Option(help="when it starts: 2026-05-01T09:00 (China time)")],
    ends: Annotated[str | None, typer.Option(help="when it ends")] = None,
    place: Annotated[str | None, typer.Option(help="where")] = None,
    category: Annotated[str | None, typer.Option(help="a list category's code")] = None,
) -> None:
    """Create an activity in a community."""
    from geo_api.cli.work import code_of
    from geo_api.party.service.activities import ActivityIn, create_activity

    with store().begin() as conn:
        code = code_of(conn, "community", community) or community
        given = ActivityIn(
            title, code, _when(starts, "--starts"),
            _when(ends, "--ends") if ends else None, place, None, category,
        )  # fmt: skip
        made = create_activity(conn, given, None)
    table("activity created", {"id": made["id"], "community": made["community_name"]})


@activities_app.command("cancel")
def cancel(activity: ActivityId) -> None:
    """Cancel an activity: no more steps; its calls and points stay."""
    from geo_api.party.service.activities import cancel_activity

    with store().begin() as conn:
        cancel_activity(conn, activity, None)
    table("activity cancelled", {"id": activity})


@activities_app.command("notify")
def notify(
    activity: ActivityId,
    member: Annotated[list[int] | None, typer.Option(help="a member's id (default: all)")] = None,
) -> None:
    """Send the notice (预告) to the community's members, or to those named."""
    from geo_api.party.service.steps import notify as send

    with store().begin() as conn:
        sent = send(conn, activity, member or None, None)
    table("notice sent", {"notified": sent["notified"], "already notified": sent["already"]})


@activities_app.command("received")
def received(activity: ActivityId, member: MemberId) -> None:
    """A member confirmed the notice (预告收到)."""
    from geo_api.party.service.steps import receive

    with store().begin() as conn:
        _step(receive(conn, activity, member, None))


@activities_app.command("checkin")
def checkin(
    activity: ActivityId,
    member: Annotated[int | None, typer.Argument(help="the member's id", min=1)] = None,
    code: Annotated[str | None, typer.Option(help="the member's own code instead")] = None,
    at: Annotated[str | None, typer.Option(help="when, if entered afterwards")] = None,
) -> None:
    """A member checked in (活动签到): by id, or by their own code."""
    from geo_api.errors import InvalidInputError
    from geo_api.party.service.steps import check_in, check_in_by_code

    if (member is None) == (code is None):
        raise InvalidInputError("give the member's id or --code, one of the two")
    with store().begin() as conn:
        if code is not None:
            _step(check_in_by_code(conn, activity, code, None))
        else:
            assert member is not None
            _step(check_in(conn, activity, member, None, _when(at, "--at") if at else None))


@activities_app.command("feedback")
def feedback(
    activity: ActivityId,
    member: MemberId,
    text: Annotated[str, typer.Argument(help="what the member said")],
) -> None:
    """A member's feedback (反馈得到), after checking in."""
    from geo_api.party.service.steps import give_feedback

    with store().begin() as conn:
        _step(give_feedback(conn, activity, member, text, None))


@points_app.command("record")
def record(member: MemberId, year: Year = None) -> None:
    """A member's points record (红色账户)."""
    from geo_api.party.service.common import this_year
    from geo_api.party.service.records import member_record

    with store().begin() as conn:
        got = member_record(conn, member, year or this_year(), None, reveal=True)
    steps = got["steps"]
    table(
        f"{t('points record')}: {got['member']['name']} ({got['year']})",
        {"balance": got["balance"], "earned": got["earned"], "exchanged": got["exchanged"],
         **{t(k): v for k, v in steps.items()}},
    )  # fmt: skip
    listing(
        "entries",
        ("when", "step", "points", "activity"),
        [(f"{e['at']:%Y-%m-%d}", t(e["action"]), e["points"], e["activity"] or "")
         for e in got["entries"][:20]],
    )  # fmt: skip


@points_app.command("exchange")
def spend(
    member: MemberId,
    points: Annotated[int, typer.Argument(help="points to spend", min=1)],
    note: Annotated[str | None, typer.Option(help="what for")] = None,
) -> None:
    """Exchange a member's points (兑换); refused if they have fewer."""
    from geo_api.party.service.points import exchange

    with store().begin() as conn:
        done = exchange(conn, member, points, note, None)
    table("points exchanged", {"exchanged": done["exchanged"], "balance": done["balance"]})


@points_app.command("rules")
def show_rules(
    community: Annotated[str | None, typer.Option(help="a community's code or name")] = None,
) -> None:
    """The points each step earns (a community's own rules, else the city's)."""
    from geo_api.cli.work import code_of
    from geo_api.party.service.points import rules

    with store().connect() as conn:
        found = rules(conn, code_of(conn, "community", community))
    listing("points rules", ("step", "points", "own"),
            [(t(r["action"]), r["points"], bool(r["own"])) for r in found])  # fmt: skip


@points_app.command("set-rule")
def set_rule_command(
    action: Annotated[str, typer.Argument(help="registered, received, checked_in, feedback")],
    points: Annotated[int, typer.Argument(help="points it earns", min=0)],
    community: Annotated[str | None, typer.Option(help="a community (default: the city)")] = None,
) -> None:
    """Set the points a step earns in a community, or the city's default."""
    from geo_api.cli.work import code_of
    from geo_api.party.service.points import set_rule

    with store().begin() as conn:
        set_rule(conn, code_of(conn, "community", community), action, points)
    table("points rules", {t(action): points})


def yearend(
    out: Annotated[Path, typer.Option(help="the file to write: .csv or .xlsx")],
    year: Year = None,
    kind: Annotated[str, typer.Option(help="members (for their workplaces) or communities")] = (
        "members"
    ),
    community: Annotated[str | None, typer.Option(help="a community's code or name")] = None,
) -> None:
    """Write the year-end summary (年度总结) per member or per community."""
    from geo_api.cli.work import code_of
    from geo_api.errors import InvalidInputError
    from geo_api.party.service.common import this_year
    from geo_api.party.service.yearend import community_summaries, member_summaries, write_table

    if kind not in ("members", "communities"):
        raise InvalidInputError(f"--kind must be members or communities, not {kind!r}")
    chosen = year or this_year()
    with store().begin() as conn:
        code = code_of(conn, "community", community)
        frame = (
            member_summaries(conn, chosen, code, None, reveal=True)
            if kind == "members"
            else community_summaries(conn, chosen, None)
        )
        rows = write_table(frame, out)
    table("year-end summary", {"rows": rows, "wrote": str(out)})
