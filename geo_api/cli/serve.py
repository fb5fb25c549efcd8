"""gridgov serve: the HTTP API and the maps."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn

from geo_api.api.main import create_app
from geo_api.db.engine import database_url
from geo_api.settings import AuthSettings, ServerSettings

log = logging.getLogger(__name__)
DEFAULTS = ServerSettings()


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = DEFAULTS.host,
    port: Annotated[int, typer.Option(help="port to listen on")] = DEFAULTS.port,
) -> None:
    """Serve the API (docs at /docs) and the command-centre map."""
    url = database_url()  # start the embedded cluster before the first request
    log.info("serving on http://%s:%d (API docs at /docs)", host, port)
    if host in ("0.0.0.0", "::") and not AuthSettings().public_url:  # noqa: S104
        log.warning(
            "listening on every address: set GEO_API_PUBLIC_URL (or GEO_API_ALLOWED_HOSTS) "
            "to the name clients use, or they get 400 'Invalid host header'"
        )
    app = create_app(url, host=host)
    uvicorn.run(app, host=host, port=port, log_level="info")
