"""gridgov generate and gridgov demo: build a city and load it."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from sqlalchemy import Engine, text

from geo_api.auth.keys import create_key
from geo_api.cli.ui import out, progress_bar, table
from geo_api.cli.work import assign_all, store
from geo_api.db import migrate
from geo_api.demo.city import DEMO_HOUSEHOLDS, DEMO_SEED, check_households, generate_city
from geo_api.demo.load import LAYERS, load_city
from geo_api.gaps.finder import find_gaps
from geo_api.settings import ServerSettings

log = logging.getLogger(__name__)

Households = Annotated[int, typer.Option(help="households in the city (1,000 to 10,000,000)")]
Seed = Annotated[int, typer.Option(help="random seed: the same seed gives the same city")]

GENERATION_STEPS = 4


def build_and_load(engine: Engine, households: int, seed: int) -> None:
    """Generate a city and replace the store's city with it, with progress bars."""
    check_households(households)
    with progress_bar() as bar:
        task = bar.add_task("generating the city", total=GENERATION_STEPS)
        city = generate_city(
            households,
            seed,
            progress=lambda step: bar.update(task, advance=1, description=f"generating: {step}"),
        )
        bar.update(task, completed=GENERATION_STEPS, description="generated the city")
        load = bar.add_task("loading into PostGIS", total=len(LAYERS) + 1)  # + the network
        load_city(
            engine,
            city,
            progress=lambda table_name, _n: bar.update(
                load, advance=1, description=f"loading: {table_name}"
            ),
        )
    table("city loaded", city.counts(), ("layer", "rows"))


def generate(households: Households = DEMO_HOUSEHOLDS, seed: Seed = DEMO_SEED) -> None:
    """Generate a Houma-like city and load it, replacing the store's city."""
    engine = store()
    migrate.upgrade(engine)
    build_and_load(engine, households, seed)


DEMO_KEY = "demo"


def demo(
    households: Households = DEMO_HOUSEHOLDS,
    seed: Seed = DEMO_SEED,
    serve: Annotated[bool, typer.Option(help="serve the API and map when done")] = True,
) -> None:
    """Set up everything and serve the demo city: database, schema, city, heads, gaps, API."""
    engine = store()
    migrate.upgrade(engine)
    build_and_load(engine, households, seed)
    assign_all(engine)
    with engine.connect() as conn:
        gaps = find_gaps(conn)
    table("gaps found", gaps["type"].value_counts().to_dict(), ("type", "gaps"))
    # A fresh command-centre key for the demo (personal data masked), made anew on
    # every run: no key is built into gridgov.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM api_key WHERE name = :n"), {"n": DEMO_KEY})
        key = create_key(conn, DEMO_KEY, "command")
    engine.dispose()
    settings = ServerSettings()
    out.print(
        f"sign in at http://{settings.host}:{settings.port}/login with the demo's "
        f"command-centre key:\n{key}",
        soft_wrap=True,
        highlight=False,
    )
    if serve:
        from geo_api.cli.serve import serve as serve_cmd

        log.info("map: http://%s:%d/maps/command-centre", settings.host, settings.port)
        serve_cmd(host=settings.host, port=settings.port)
