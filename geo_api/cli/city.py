"""gridgov generate and gridgov demo: build a city and load it."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo_api.cli import choices
from geo_api.cli.serve import check_port, run_server, server_address
from geo_api.cli.ui import out, progress_bar, step, table
from geo_api.cli.words import t
from geo_api.cli.work import assign_all, print_gaps, store

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

Households = Annotated[
    int,
    typer.Option(
        help="households in the city (1,000 to 10,000,000; past 1,000,000, a province of "
        "such cities side by side)"
    ),
]
Seed = Annotated[int, typer.Option(help="random seed: the same seed gives the same city")]

GENERATION_STEPS = 4
DEMO_KEY = "demo"


def build_and_load(engine: Engine, households: int, seed: int) -> None:
    """Generate a city and replace the store's city with it, with progress bars."""
    from geo_api.demo.city import check_households, generate_city
    from geo_api.demo.load import LAYERS, load_city

    check_households(households)
    with progress_bar() as bar:
        task = bar.add_task(t("generating the city"), total=GENERATION_STEPS)
        city = generate_city(
            households,
            seed,
            progress=lambda s: bar.update(task, advance=1, description=f"{t('generating')}: {s}"),
        )
        bar.update(task, completed=GENERATION_STEPS, description=t("generated the city"))
        load = bar.add_task(t("loading into PostGIS"), total=len(LAYERS) + 1)  # + the network
        load_city(
            engine,
            city,
            progress=lambda table_name, _n: bar.update(
                load, advance=1, description=f"{t('loading')}: {table_name}"
            ),
        )
    table("city loaded", city.counts(), ("layer", "rows"), names=True)


def generate(
    households: Households = choices.DEMO_HOUSEHOLDS, seed: Seed = choices.DEMO_SEED
) -> None:
    """Generate a Houma-like city and load it, replacing the store's city."""
    step("migrating the schema")
    from geo_api.db import migrate

    engine = store()
    migrate.upgrade(engine)
    build_and_load(engine, households, seed)


def demo_key_file() -> Path:
    """Where the demo's key is kept, readable by its owner only, to be shown again."""
    from geo_api.home import project_home

    return project_home() / ".gridgov" / "demo-key"


def demo_key(engine: Engine, new: bool) -> tuple[str, bool]:
    """The demo's command-centre key and whether it is new: the kept one while it still
    works (so screens signed in with it stay signed in), else a fresh one, kept."""
    from sqlalchemy import text

    from geo_api.auth.keys import caller_for, create_key

    path = demo_key_file()
    kept = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    with engine.begin() as conn:
        if kept and not new and caller_for(conn, kept) is not None:
            return kept, False
        # No key is built into gridgov: the demo makes its own, replacing the old one.
        conn.execute(text("DELETE FROM api_key WHERE name = :n"), {"n": DEMO_KEY})
        key = create_key(conn, DEMO_KEY, "command")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
    path.chmod(0o600)  # a file left by an older gridgov may be wider open
    return key, True


def demo(
    households: Households = choices.DEMO_HOUSEHOLDS,
    seed: Seed = choices.DEMO_SEED,
    serve: Annotated[bool, typer.Option(help="serve the API and map when done")] = True,
    new_key: Annotated[
        bool,
        typer.Option(
            "--new-key", help="replace the demo's key (screens signed in with the old one sign out)"
        ),
    ] = False,
) -> None:
    """Set up everything and serve the demo city: database, schema, city, heads, gaps, API."""
    host, port = server_address(None, None)
    if serve:
        check_port(host, port)  # before minutes of work, not after
    step("migrating the schema")
    from geo_api.db import migrate
    from geo_api.gaps.finder import find_gaps

    engine = store()
    migrate.upgrade(engine)
    build_and_load(engine, households, seed)
    assign_all(engine)
    with engine.connect() as conn:
        print_gaps(find_gaps(conn))
    key, fresh = demo_key(engine, new_key)
    engine.dispose()
    said = t("a new") if fresh else t("the same")
    out.print(
        t("sign in at {url} with {said} command-centre key of the demo").format(
            url=f"http://{host}:{port}/login", said=said
        )
        + " "
        + t("(kept in {path}; `gridgov demo --new-key` replaces it):").format(path=demo_key_file())
        + f"\n{key}",
        soft_wrap=True,
        highlight=False,
    )
    if serve:
        log.info("map: http://%s:%d/maps/command-centre", host, port)
        check_port(host, port)
        run_server(host, port)
