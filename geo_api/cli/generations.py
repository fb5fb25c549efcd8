"""gridgov generations: the area layers' boundaries through time (list, diff,
activate, dates, drop); imports start one with `gridgov import LAYER FILE
--generation NAME`."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Annotated

import typer

from geo_api.cli.ui import listing, out, step, table
from geo_api.cli.words import t
from geo_api.cli.work import store

log = logging.getLogger(__name__)
app = typer.Typer(help="boundaries through time: list, diff, activate, dates, drop")
SHOWN_IDS = 12


@app.command("list")
def list_generations() -> None:
    """Every generation: when it was made, made current, and the dates it is valid."""
    from geo_api.generations.store import current, generations

    with store().connect() as conn:
        rows = generations(conn)
        now = current(conn).id
    listing(
        "generations",
        ("id", "name", "state", "valid from", "valid to", "layers"),
        [
            (
                g.id,
                g.name,
                t("current") if g.id == now else t("not current") if g.pending else t("past"),
                g.valid_from or "-",
                g.valid_to or "-",
                ", ".join(g.layers) or "-",
            )
            for g in rows
        ],
    )


@app.command()
def diff(
    a: Annotated[str, typer.Argument(help="a generation (id or name)")],
    b: Annotated[str, typer.Argument(help="another (id or name)")],
) -> None:
    """The areas added, removed and changed from A to B, and the households, heads and
    grid officers whose community or grid changes."""
    from geo_api.generations.diff import diff_generations
    from geo_api.generations.store import named

    step("comparing")
    with store().connect() as conn:
        found = diff_generations(conn, named(conn, a), named(conn, b))
    show(found)


def show(found: object) -> None:
    """Print a GenerationDiff: the areas, then the moves grouped by where from and to."""
    from geo_api.generations.diff import GenerationDiff

    assert isinstance(found, GenerationDiff)
    listing(
        f"{found.a.name} → {found.b.name}",
        ("layer", "code", "name", "change"),
        [(c.layer, c.code, c.name, ", ".join(t(w) for w in c.what)) for c in found.areas],
    )
    for kind in ("household", "head", "officer"):
        moves = found.moved(kind)
        groups: Counter[tuple[str, str]] = Counter(
            (f"{m.community_from or '-'} {m.grid_from or '-'}",
             f"{m.community_to or '-'} {m.grid_to or '-'}")
            for m in moves
        )  # fmt: skip
        ids: dict[tuple[str, str], list[int]] = {}
        for m in moves:
            key = (
                f"{m.community_from or '-'} {m.grid_from or '-'}",
                f"{m.community_to or '-'} {m.grid_to or '-'}",
            )
            ids.setdefault(key, []).append(m.id)
        listing(
            f"{kind}s that change community or grid: {len(moves):,}",
            ("from (community grid)", "to (community grid)", "count", "ids"),
            [
                (
                    src,
                    dst,
                    n,
                    " ".join(str(i) for i in ids[(src, dst)][:SHOWN_IDS])
                    + (" …" if n > SHOWN_IDS else ""),
                )
                for (src, dst), n in sorted(groups.items())
            ],
        )


@app.command()
def activate(
    generation: Annotated[str, typer.Argument(help="the generation to make current")],
) -> None:
    """Make a generation current from today: its boundaries replace the current ones
    (which are kept as history), officers follow their grids, and only the communities
    something moves out of or into are assigned again."""
    from geo_api.generations.activate import activate as make_current
    from geo_api.rosters.record import Who

    step("activating")
    with store().begin() as conn:
        done = make_current(conn, generation, by=Who.operator().name)
    show(done.diff)
    run = done.run
    table(
        f"{t('generation')} {done.generation.name}",
        {
            "valid from": str(done.generation.valid_from),
            "previous, valid until": f"{done.previous.name}, {done.generation.valid_from}",
            **{f"{layer}": n for layer, n in done.written.items()},
            "assignments closed (household and head parted)": done.closed,
            "officers following their grid": done.officers,
            "communities assigned again": len(run.communities or []) if run else 0,
            "households whose head changed": run.moved if run else 0,
            **(
                {"walking network rebuilt (edges)": done.network.edges}
                if done.network is not None
                else {}
            ),
        },
    )


@app.command()
def dates(
    generation: Annotated[str, typer.Argument(help="the generation (id or name)")],
    valid_from: Annotated[str, typer.Option("--from", help="ISO date it took effect")],
) -> None:
    """Set the day a generation took effect (the initial one: when its boundaries were
    drawn); the generation before it ends that day."""
    from geo_api.generations.store import parse_date, set_start

    day = parse_date(valid_from, "--from")
    assert day is not None  # a required option
    with store().begin() as conn:
        found = set_start(conn, generation, day)
    out.print(f"{found.name}: {t('valid from')} {found.valid_from}", highlight=False)


@app.command()
def drop(generation: Annotated[str, typer.Argument(help="a generation not yet current")]) -> None:
    """Forget a generation that was imported but never made current."""
    from geo_api.generations.store import drop as forget

    with store().begin() as conn:
        found = forget(conn, generation)
    out.print(f"{t('dropped')}: {found.name}", highlight=False)
