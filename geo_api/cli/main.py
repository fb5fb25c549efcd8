"""The gridgov command: wiring of the sub-commands, and error handling.

Importing this module (and so `gridgov --help`) loads Typer and Rich only: each
command imports the domain, and with it pandas, geopandas, SciPy, OR-Tools or
Folium, in its body, when it runs (tests/test_cli_startup.py holds this).
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from geo_api import __version__
from geo_api.cli import (
    activities,
    city,
    db,
    generations,
    imports,
    maps,
    members,
    network,
    officers,
    party,
    placards,
    places,
    rosters,
    serve,
    stats,
    users,
    words,
    work,
)
from geo_api.cli.failures import explain
from geo_api.cli.ui import console, fresh_consoles, setup_logging
from geo_api.cli.usage import usage_line

app = typer.Typer(
    help="gridgov: urban grid governance (网格化治理) on PostGIS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help: Typer's Rich help imports Markdown and Pygments, a second on a busy
    # machine before `gridgov --help` can answer.
    rich_markup_mode=None,
)
app.add_typer(db.app, name="db")
app.add_typer(generations.app, name="generations")
app.add_typer(network.app, name="network")
app.add_typer(users.app, name="users")
app.add_typer(placards.me, name="me")
app.add_typer(officers.app, name="officers")
app.add_typer(members.app, name="members")
app.add_typer(stats.app, name="stats")
app.add_typer(rosters.heads, name="heads")
app.add_typer(rosters.households, name="households")
app.add_typer(activities.activities_app, name="activities")
app.add_typer(activities.points_app, name="points")
app.add_typer(party.units_app, name="units")
app.add_typer(party.lists_app, name="lists")
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
app.command()(places.communities)
app.command("map")(maps.map_page)
app.command()(placards.placards)
app.command()(serve.serve)
app.command()(activities.yearend)
app.command()(party.match)


def _version(value: bool) -> None:
    if value:
        console.print(f"gridgov {__version__}")
        raise typer.Exit


@app.callback()
def options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log in detail")] = False,
    lang: Annotated[
        str,
        typer.Option(
            help="the language of tables and messages: zh (Chinese, the default) or en; "
            "may be given after the command too (gridgov gaps --lang en)"
        ),
    ] = words.DEFAULT_LANG,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    """Options for every command."""
    words.set_lang(lang)
    setup_logging(verbose)


def main() -> None:
    """Entry point: run the command; a user's mistake prints one line and exits 1."""
    # --lang may follow any command; `gridgov map` also takes it as the page's language.
    sys.argv[1:] = words.lang_hoisted(sys.argv[1:])
    fresh_consoles()
    from typer._click.exceptions import NoArgsIsHelpError, UsageError

    try:
        words.set_lang(words.lang_in(sys.argv[1:]))
        # Not standalone: Click's usage errors come here, to be said in one line.
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        exc.show()  # asked for nothing: the group's help, as Click does
        sys.exit(exc.exit_code)
    except UsageError as exc:
        console.print(f"[bold red]{words.t('error')}:[/] {usage_line(exc)}", soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print(words.t("interrupted"))
        sys.exit(130)
    except Exception as exc:
        message = explain(exc)
        if message is None:
            raise  # not a user's mistake: a bug, whose traceback we need
        logging.getLogger("gridgov").debug("failed", exc_info=True)
        console.print(f"[bold red]{words.t('error')}:[/] {message}", soft_wrap=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
