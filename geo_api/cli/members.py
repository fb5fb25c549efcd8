"""gridgov members: registered party members (报到党员), and registrations by month.

As for officers, the command line works as an admin: names and phones in full,
each read and change recorded under the system user.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from geo_api.cli.officers import day
from geo_api.cli.ui import listing, table
from geo_api.cli.words import t

# A member's status as the table says it ("retired" alone is a head's 卸任).
STATUS_WORD = {"serving": "serving", "retired": "retired member"}

app = typer.Typer(
    help="Party members (报到党员): register, change, leave, list, registrations by month.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _show(answer: dict[str, Any]) -> None:
    table(
        "party member",
        {
            "id": answer["id"],
            "name": answer["name"],
            "phone": answer["phone"],
            "status": t(STATUS_WORD.get(answer["status"], answer["status"])),
            "workplace": answer["workplace"] or "-",
            "community": f"{answer['community_name'] or '-'} {answer['community_code'] or ''}",
            "registered on": str(answer["registered_on"]),
            "left on": str(answer["left_on"] or "-"),
            "changed by": answer["changed_by"] or "-",
        },
    )


def _apply(change: Any) -> None:
    from geo_api.cli.work import store
    from geo_api.rosters.record import Who

    with store().begin() as conn:
        answer = change(conn, Who.operator())
    _show(answer)


@app.command("list")
def list_cmd(
    community: Annotated[str | None, typer.Option(help="code or name")] = None,
    all_: Annotated[bool, typer.Option("--all", help="also those who left")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """A community's members (or the city's), by registration date."""
    from geo_api.auth.audit import record_operator
    from geo_api.cli.work import store
    from geo_api.rosters.members import list_members
    from geo_api.rosters.record import place_id

    with store().begin() as conn:
        community_id = place_id(conn, "community", community)[0] if community else None
        rows = list_members(conn, community_id, include_left=all_, reveal=True, limit=limit)
        record_operator(conn, "gridgov members list", [f"member:{r['id']}" for r in rows])
    listing(
        "party members",
        ("id", "name", "phone", "status", "community", "registered on", "left on"),
        [
            (r["id"], r["name"], r["phone"], t(STATUS_WORD.get(r["status"], r["status"])),
             r["community_code"] or "-", str(r["registered_on"]), str(r["left_on"] or ""))
            for r in rows
        ],
    )  # fmt: skip


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="姓名")],
    phone: Annotated[str, typer.Argument(help="电话")],
    status: Annotated[str, typer.Option(help="serving (在职) or retired (离退休)")] = "serving",
    workplace: Annotated[str | None, typer.Option(help="工作单位")] = None,
    registered_on: Annotated[str | None, typer.Option(help="报到 YYYY-MM-DD (today)")] = None,
    community: Annotated[str | None, typer.Option(help="code or name")] = None,
    address: Annotated[str | None, typer.Option(help="where they live")] = None,
    household: Annotated[int | None, typer.Option(help="their household's id")] = None,
) -> None:
    """Register a member with the community where they live."""
    from geo_api.rosters.members import add_member

    when = day(registered_on, "--registered-on")
    _apply(
        lambda conn, who: add_member(
            conn, who, name=name, phone=phone, status=status, workplace=workplace,
            registered_on=when, community=community, address=address, household_id=household,
        )
    )  # fmt: skip


@app.command()
def change(
    member: Annotated[int, typer.Argument(help="the member's id")],
    name: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    status: Annotated[str | None, typer.Option(help="serving or retired")] = None,
    workplace: Annotated[str | None, typer.Option()] = None,
    registered_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    community: Annotated[str | None, typer.Option(help="code or name")] = None,
) -> None:
    """Change what is given of a member."""
    from geo_api.errors import InvalidInputError
    from geo_api.rosters.members import update_member

    when = day(registered_on, "--registered-on")
    given = {"name": name, "phone": phone, "status": status, "workplace": workplace,
             "registered_on": when, "community": community}  # fmt: skip
    changes = {k: v for k, v in given.items() if v is not None}
    if not changes:
        raise InvalidInputError("say what changes: --name, --phone, --status, --workplace …")
    _apply(lambda conn, who: update_member(conn, who, member, changes))


@app.command()
def leave(
    member: Annotated[int, typer.Argument(help="the member's id")],
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (today)")] = None,
    reason: Annotated[str | None, typer.Option(help="why (recorded)")] = None,
) -> None:
    """A member leaves the community (moved away, transferred)."""
    from geo_api.rosters.members import leave_member

    when = day(on, "--on")
    _apply(lambda conn, who: leave_member(conn, who, member, when, reason))


@app.command()
def registrations(
    start: Annotated[str | None, typer.Option("--from", help="first month, YYYY-MM")] = None,
    stop: Annotated[str | None, typer.Option("--to", help="last month, YYYY-MM")] = None,
    community: Annotated[str | None, typer.Option(help="code or name")] = None,
) -> None:
    """Members registered (报到) per month and community: serving, retired, since left."""
    from geo_api.cli.work import store
    from geo_api.rosters.record import place_id
    from geo_api.rosters.registrations import registrations as counted

    with store().connect() as conn:
        community_id = place_id(conn, "community", community)[0] if community else None
        found = counted(conn, start, stop, community_id)
    totals = found.totals
    listing(
        f"{t('registrations')} {found.start:%Y-%m} – {found.last:%Y-%m}",
        ("month", "community", "serving", "retirees", "registered", "left"),
        [
            *(
                (r["month"], _short(r["community_name"]), r["serving"], r["retired"],
                 r["registered"], r["left"])
                for r in found.rows
            ),
            (t("total"), "", totals["serving"], totals["retired"], totals["registered"],
             totals["left"]),
        ],
    )  # fmt: skip


def _short(name: str | None) -> str:
    """A community's name cut to fit an 80-column table (its code is in the API)."""
    if not name:
        return t("(no community)")
    return name if len(name) <= 12 else name[:11] + "…"
