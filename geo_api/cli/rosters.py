"""gridgov heads add|retire|move|capacity and gridgov households end|move: roster changes.

Thin shells over geo_api.rosters: each change runs in one transaction with the
re-assignment of the communities it touches, is recorded under the system user
(``cli:<user>``, or --by) in the history and the audit log, and prints its churn.
The domain is imported inside each command (see geo_api.cli.main).
"""

from __future__ import annotations

import getpass
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from geo_api.cli.ui import step, table
from geo_api.cli.words import t
from geo_api.cli.work import store

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection

    from geo_api.rosters.change import Change

heads = typer.Typer(
    help="Heads (三长): appoint, retire, move, change capacity.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
households = typer.Typer(
    help="Households: end (moved out) or move within the city.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

By = Annotated[str | None, typer.Option(help="who makes the change (default: cli:<user>)")]
On = Annotated[
    str | None, typer.Option(help="the date it takes effect, YYYY-MM-DD (default today)")
]
Reason = Annotated[str, typer.Option(help="why (recorded)")]


def _by(given: str | None) -> str:
    return given or f"cli:{getpass.getuser()}"


def _day(given: str | None) -> date | None:
    """A --on date, or a clear error naming it."""
    if given is None:
        return None
    from geo_api.errors import InvalidInputError

    try:
        return date.fromisoformat(given)
    except ValueError:
        raise InvalidInputError(f"--on {given!r} is not a date (YYYY-MM-DD)") from None


def _apply(action: str, change_of: Callable[[Connection], Change]) -> None:
    """Run a change in one transaction, record it in the audit log, print it."""
    from geo_api.auth.audit import record_operator

    step("connecting to the store")
    with store().begin() as conn:
        change = change_of(conn)
        record_operator(conn, f"gridgov {action}", change.records)
    show(change)


def show(change: Change) -> None:
    """Print what a change did and the churn of its re-assignment."""
    rows: dict[str, object] = {"action": t(change.action)}
    if change.head_id is not None:
        rows["head"] = change.head_id
    if change.household_id is not None:
        rows["household"] = change.household_id
    if change.ended_heads:
        rows["terms ended"] = ", ".join(str(h) for h in change.ended_heads)
    rows["communities re-assigned"] = len(change.communities) if change.run else 0
    if change.run is not None:
        rows |= {
            "households": change.run.households,
            "kept their head": change.run.kept,
            "moved to another head (churn)": change.run.moved,
            "newly covered": change.run.added,
            "no longer covered": change.run.dropped,
            "seconds": f"{change.run.seconds:.2f}",
        }
    for k, note in enumerate(change.notes, 1):
        rows[f"{t('note')} {k}"] = note
    table("roster change", rows)


@heads.command("add")
def add(
    role: Annotated[str, typer.Argument(help="unit, building or compound")],
    place: Annotated[int, typer.Argument(help="the unit, building or compound id served")],
    household: Annotated[int, typer.Argument(help="the household id where the head lives")],
    name: Annotated[str | None, typer.Option(help="else the register's")] = None,
    phone: Annotated[str | None, typer.Option(help="else the register's")] = None,
    capacity: Annotated[int | None, typer.Option(help="households to cover")] = None,
    maximum: Annotated[int | None, typer.Option(help="households at most")] = None,
    on: On = None,
    by: By = None,
) -> None:
    """Appoint a head; their community is re-assigned."""
    from geo_api.rosters import heads as domain

    roles = {"单元长": "unit", "楼长": "building", "片长": "building", "小区长": "compound"}
    _apply("heads add", lambda conn: domain.appoint(
        conn, roles.get(role, role), place, household, _by(by), name=name, phone=phone,
        capacity=capacity, max_capacity=maximum, on=_day(on),
    ))  # fmt: skip


@heads.command("retire")
def retire(
    head: Annotated[int, typer.Argument(help="the head's id")],
    reason: Reason,
    on: On = None,
    by: By = None,
) -> None:
    """A head steps down (kept on record); their households are re-assigned."""
    from geo_api.rosters import heads as domain

    _apply("heads retire", lambda conn: domain.retire(conn, head, _by(by), reason, on=_day(on)))


@heads.command("move")
def move(
    head: Annotated[int, typer.Argument(help="the head's id")],
    place: Annotated[int, typer.Argument(help="the unit, building or compound id to serve")],
    by: By = None,
) -> None:
    """A head serves another place of their role (a new term); both communities are
    re-assigned."""
    from geo_api.rosters import heads as domain

    _apply("heads move", lambda conn: domain.move(conn, head, place, _by(by)))


@heads.command("capacity")
def capacity(
    head: Annotated[int, typer.Argument(help="the head's id")],
    target: Annotated[int | None, typer.Option(help="households to cover")] = None,
    maximum: Annotated[int | None, typer.Option(help="households at most")] = None,
    by: By = None,
) -> None:
    """Change a head's capacity (a unit head with neither follows the community's);
    their community is re-assigned."""
    from geo_api.rosters import heads as domain

    follow = target is None and maximum is None
    _apply("heads capacity", lambda conn: domain.update(
        conn, head, _by(by), capacity=target, max_capacity=maximum, follow_community=follow,
    ))  # fmt: skip


@households.command("end")
def end(
    household: Annotated[int, typer.Argument(help="the household's id")],
    reason: Reason,
    on: On = None,
    by: By = None,
) -> None:
    """A household moves out: ended, never deleted; its community is re-assigned."""
    from geo_api.rosters import households as domain

    _apply("households end", lambda conn: domain.end(conn, household, _by(by), reason, on=_day(on)))


@households.command("move")
def relocate(
    household: Annotated[int, typer.Argument(help="the household's id")],
    unit: Annotated[int, typer.Argument(help="the unit id it moves to")],
    room: Annotated[str, typer.Argument(help="the room, e.g. 501")],
    by: By = None,
) -> None:
    """A household moves within the city; both communities are re-assigned."""
    from geo_api.rosters import households as domain

    _apply("households move", lambda conn: domain.relocate(conn, household, unit, room, _by(by)))
