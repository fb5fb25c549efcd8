"""gridgov communities: every community's name, code, street, size and map."""

from __future__ import annotations

from typing import Annotated

import typer

from geo_api.cli.ui import listing, out
from geo_api.cli.words import t
from geo_api.cli.work import store

WIDE = 120  # columns a terminal needs for the map links


def communities(
    street: Annotated[
        str | None, typer.Option(help="only this street's (its 9-digit code or its name)")
    ] = None,
) -> None:
    """List the communities by name and code, with their maps: any command that asks
    for a community (--community) takes either."""
    from geo_api.lookup.places import list_communities
    from geo_api.settings import ServerSettings

    with store().connect() as conn:
        rows = list_communities(conn, street)
    settings = ServerSettings()
    base = f"http://{settings.host}:{settings.port}"
    wide = out.width >= WIDE  # room for each community's map link in the table
    listing(
        "communities",
        ("name", "code", "street", "grids", "compounds", "households", *(("map",) * wide)),
        [
            (r.name, r.code, r.street, r.grids, r.compounds, r.households)
            + ((f"{base}{r.map_path}",) if wide else ())
            for r in rows
        ],
    )
    if not wide:
        out.print(
            f"{t('maps at')}: {base}/maps/communities/<{t('code')}|{t('name')}>", highlight=False
        )
