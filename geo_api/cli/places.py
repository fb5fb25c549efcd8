"""gridgov communities: every community's name, code, street, size and map."""

from __future__ import annotations

from typing import Annotated

import typer

from geo_api.cli.ui import listing, out
from geo_api.cli.words import t
from geo_api.cli.work import store


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
    listing(
        "communities",
        ("name", "code", "street", "grids", "compounds", "households", "map"),
        [(r.name, r.code, r.street, r.grids, r.compounds, r.households, r.map_path) for r in rows],
    )
    settings = ServerSettings()
    out.print(
        f"{t('maps at')} http://{settings.host}:{settings.port}/maps/communities/…", highlight=False
    )
