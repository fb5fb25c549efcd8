"""The gridgov command: wiring of the sub-commands, and error handling."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import pandas as pd
import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from geo_api import __version__
from geo_api.cli import city, db, imports, maps, network, serve, users, work
from geo_api.cli.ui import console, setup_logging
from geo_api.db.migrate import NOT_MIGRATED, is_unmigrated
from geo_api.errors import GridgovError

app = typer.Typer(
    help="gridgov: urban grid governance (网格化治理) on PostGIS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(network.app, name="network")
app.add_typer(users.app, name="users")
app.command()(users.audit)
app.command()(city.demo)
app.command()(city.generate)
app.command("import")(imports.import_layer)
app.command()(work.assign)
app.command()(work.capacity)
app.command()(work.recruit)
app.command()(work.gaps)
app.command()(network.site)
app.command()(work.export)
app.command("map")(maps.map_page)
app.command()(serve.serve)


def _version(value: bool) -> None:
    if value:
        console.print(f"gridgov {__version__}")
        raise typer.Exit


@app.callback()
def options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log in detail")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    """Options for every command."""
    setup_logging(verbose)


def main() -> None:
    """Entry point: run the command; a domain error prints its message and exits 1."""
    try:
        app()
    except GridgovError as exc:
        logging.getLogger("gridgov").debug("failed", exc_info=True)
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
    except (ProgrammingError, pd.errors.DatabaseError) as exc:
        if not is_unmigrated(exc):
            raise
        console.print(f"[bold red]error:[/] {NOT_MIGRATED}")
        sys.exit(1)
    except OperationalError as exc:
        console.print(f"[bold red]error:[/] the database is unavailable: {exc.orig}")
        sys.exit(1)
