"""gridgov officers: the grid officers' roster (网格员), changed as the API changes it.

The command line works on the store itself, as an admin: names and phones are shown
in full, and each read of them and each change is recorded in the audit log under
the system user (cli:<user>).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from geo_api.cli.ui import listing, out, table
from geo_api.cli.words import t

if TYPE_CHECKING:
    from sqlalchemy import Connection

app = typer.Typer(
    help="Grid officers (网格员): appoint, change, give grids, retire, list.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def day(value: str | None, option: str) -> date | None:
    """A --on style option's date (YYYY-MM-DD), or None; a bad one names the option."""
    if value is None:
        return None
    from geo_api.errors import InvalidInputError

    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(f"{option} {value!r}: give a date as YYYY-MM-DD") from None


def _area_id(conn: Connection, level: str, given: str | None) -> int | None:
    if not given:
        return None
    from geo_api.rosters.record import place_id

    return place_id(conn, level, given)[0]


def show(answer: dict[str, Any]) -> None:
    """An officer as a two-column table, then the grids they cover."""
    table(
        "grid officer",
        {
            "id": answer["id"],
            "name": answer["name"],
            "phone": answer["phone"],
            "community": f"{answer['community_name']} {answer['community_code']}",
            "grid": answer["grid_code"] or "-",
            "part-time": bool(answer["part_time"]),
            "max grids": answer["max_grids"],
            "appointed on": str(answer["appointed_on"] or "-"),
            "left on": str(answer["left_on"] or "-"),
            "reason": answer["left_reason"] or "-",
            "changed by": answer["changed_by"] or "-",
        },
    )
    listing(
        "grids covered",
        ("grid", "reason", "from", "to"),
        [
            (h["grid_code"], t(h["reason"]), f"{h['valid_from']:%Y-%m-%d %H:%M}",
             f"{h['valid_to']:%Y-%m-%d %H:%M}" if h["valid_to"] else "")
            for h in answer["history"]
        ],
    )  # fmt: skip


def _apply(change: Any) -> None:
    """Run a change in one transaction as the CLI's operator, and show its result."""
    from geo_api.cli.work import store
    from geo_api.rosters.record import Who

    with store().begin() as conn:
        answer = change(conn, Who.operator())
    show(answer)


@app.command("list")
def list_cmd(
    community: Annotated[str | None, typer.Option(help="code or name")] = None,
    grid: Annotated[str | None, typer.Option(help="code or name")] = None,
    all_: Annotated[bool, typer.Option("--all", help="also those who left")] = False,
) -> None:
    """The officers of a community, a grid or the city, with the grids they cover."""
    from geo_api.auth.audit import record_operator
    from geo_api.cli.work import store
    from geo_api.rosters.officers import list_officers

    with store().begin() as conn:
        rows = list_officers(
            conn,
            _area_id(conn, "community", community),
            _area_id(conn, "grid", grid),
            include_left=all_,
            reveal=True,
        )
        record_operator(conn, "gridgov officers list", [f"officer:{r['id']}" for r in rows])
    listing(
        "grid officers",
        ("id", "name", "phone", "grid", "grids", "most", "part-time", "left on"),
        [
            (r["id"], r["name"], r["phone"], r["grid_code"] or r["community_code"], r["grids"],
             r["max_grids"], bool(r["part_time"]), str(r["left_on"] or ""))
            for r in rows
        ],
    )  # fmt: skip


@app.command("show")
def show_cmd(officer: Annotated[int, typer.Argument(help="the officer's id")]) -> None:
    """One officer and every grid they covered, from when to when."""
    from geo_api.auth.audit import record_operator
    from geo_api.cli.work import store
    from geo_api.rosters.officers import officer_detail

    with store().begin() as conn:
        answer = officer_detail(conn, officer, reveal=True)
        record_operator(conn, "gridgov officers show", [f"officer:{officer}"])
    show(answer)


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="姓名")],
    phone: Annotated[str, typer.Argument(help="电话")],
    community: Annotated[str, typer.Option(help="code or name")],
    grid: Annotated[str | None, typer.Option(help="their own grid: code or name")] = None,
    max_grids: Annotated[int, typer.Option(help="the most grids they cover")] = 3,
    part_time: Annotated[bool, typer.Option(help="兼职网格员")] = False,
    appointed_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today)")] = None,
) -> None:
    """Appoint an officer; their community's grids are covered again at once."""
    from geo_api.rosters.officers import add_officer

    when = day(appointed_on, "--appointed-on")
    _apply(
        lambda conn, who: add_officer(
            conn, who, name=name, phone=phone, community=community, grid=grid,
            max_grids=max_grids, part_time=part_time, appointed_on=when,
        )
    )  # fmt: skip


@app.command()
def change(
    officer: Annotated[int, typer.Argument(help="the officer's id")],
    name: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    community: Annotated[str | None, typer.Option(help="code or name")] = None,
    grid: Annotated[str | None, typer.Option(help="their own grid ('' for none)")] = None,
    max_grids: Annotated[int | None, typer.Option()] = None,
    part_time: Annotated[bool | None, typer.Option("--part-time/--full-time")] = None,
    appointed_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
) -> None:
    """Change what is given of an officer; the grids of the communities touched are
    covered again."""
    from geo_api.errors import InvalidInputError
    from geo_api.rosters.officers import update_officer

    given = {"name": name, "phone": phone, "community": community, "grid": grid,
             "max_grids": max_grids, "part_time": part_time,
             "appointed_on": day(appointed_on, "--appointed-on")}  # fmt: skip
    changes = {k: v for k, v in given.items() if v is not None}
    if not changes:
        raise InvalidInputError("say what changes: --name, --phone, --grid, --max-grids …")
    _apply(lambda conn, who: update_officer(conn, who, officer, changes))


@app.command()
def assign(
    officer: Annotated[int, typer.Argument(help="the officer's id")],
    grids: Annotated[list[str], typer.Argument(help="grids without an officer: codes or names")],
) -> None:
    """Give grids to an officer by hand, within their grid limit; runs keep them."""
    from geo_api.rosters.officers import assign_officer

    _apply(lambda conn, who: assign_officer(conn, who, officer, grids))


@app.command()
def retire(
    officer: Annotated[int, typer.Argument(help="the officer's id")],
    on: Annotated[str | None, typer.Option(help="the day they leave, YYYY-MM-DD (today)")] = None,
    reason: Annotated[str | None, typer.Option(help="why (recorded)")] = None,
) -> None:
    """Retire an officer (离任); their grids go to the community's other officers."""
    from geo_api.rosters.officers import retire_officer

    when = day(on, "--on")
    _apply(lambda conn, who: retire_officer(conn, who, officer, when, reason))
    out.print(t("the grids they covered are covered again"))
