"""gridgov stats: a place's figures by day, and the snapshot a daily timer takes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from geo_api.cli.ui import listing, out
from geo_api.cli.words import t

app = typer.Typer(
    help="Figures and gaps by day, per city, street or community (the wall's series).",
    rich_markup_mode=None,
)
# The columns of the series: short, so the table fits 80 columns.
COLUMNS = (
    ("day", "day"),
    ("households", "hh"),
    ("coverage", "cov %"),
    ("without_head", "no head"),
    ("heads_over_target", "over"),
    ("gaps_high", "high"),
    ("gaps_medium", "med"),
    ("gaps_low", "low"),
)


def _date(value: str | None, option: str) -> date | None:
    from geo_api.errors import InvalidInputError

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{option} must be a date like 2026-12-07, not {value!r}") from None


@app.callback(invoke_without_command=True)
def stats(
    ctx: typer.Context,
    level: Annotated[str, typer.Option(help="city, street or community")] = "city",
    code: Annotated[str | None, typer.Option(help="its code (the city's when not given)")] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="first day, YYYY-MM-DD (30 days ago)")
    ] = None,
    stop: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD (today)")] = None,
) -> None:
    """A place's figures by day (the last snapshot of each day), and the change of the
    latest since yesterday and last week."""
    if ctx.invoked_subcommand is not None:
        return
    from geo_api.cli.work import store
    from geo_api.stats.series import stats as stats_of

    first, last = _date(start, "--from"), _date(stop, "--to")
    with store().connect() as conn:
        found = stats_of(conn, level, code, first, last)
    # The city's stored name is Chinese (全市): an English run says "city".
    place = t("city") if level == "city" else found["name"] or found["code"]
    listing(
        f"{t('figures by day')}: {place}",
        [t(head) for _key, head in COLUMNS],
        [[row[key] for key, _head in COLUMNS] for row in found["days"]],
    )
    if found["figures"] is None:
        out.print(t("no snapshot yet: run gridgov stats snapshot"), highlight=False)
        return
    for which in ("day", "week"):
        change = found[which]
        if change is not None:
            out.print(
                f"{t('since ' + ('yesterday' if which == 'day' else 'last week'))}: "
                + ", ".join(f"{t(head)} {change[key]:+g}" for key, head in COLUMNS[1:]),
                highlight=False,
            )


@app.command()
def snapshot(
    force: Annotated[bool, typer.Option(help="take one even if today's is current")] = False,
) -> None:
    """Snapshot every place's figures and gaps (for a daily timer; the API takes one
    after every change of the data)."""
    from geo_api.cli.work import store
    from geo_api.stats.snapshot import take_snapshot

    rows = take_snapshot(store(), force)
    out.print(f"{t('snapshot rows')}: {rows}", highlight=False)
