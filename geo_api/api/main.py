"""The FastAPI app: wiring only. Routes live in geo_api.api.routes."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from geo_api import __version__
from geo_api.api import errors
from geo_api.api.auth import Gate, authenticate
from geo_api.api.bodies import BodyLimit
from geo_api.api.limits import guard, guarded
from geo_api.api.middleware import RefuseNul, allowed_hosts, keep_access_log_private
from geo_api.api.reads import open_replica
from geo_api.api.routes import (
    activities,
    assign,
    communities,
    exports,
    gaps,
    heads,
    health,
    households,
    imports,
    login,
    lookup,
    maps,
    me,
    members,
    members_service,
    network,
    oauth,
    officers,
    ogc,
    party_lists,
    party_match,
    party_units,
    placards,
    rosters,
    stats,
    tiles,
)
from geo_api.api.schemas import ErrorOut
from geo_api.auth.policy import PUBLIC
from geo_api.auth.secret import server_secret
from geo_api.db.engine import database_url, make_engine
from geo_api.db.statements import StatementPool
from geo_api.settings import AuthSettings, DatabaseSettings
from maps.vendor import DEFAULT_BASE_URL, SWAGGER_UI, VENDOR_ROOT, assets_installed

log = logging.getLogger(__name__)
GATE_APPLICATION = "gridgov-gate"  # the rate budgets' pool in pg_stat_activity

# What any guarded route may answer besides its own: the key, the lookups, the store.
GUARDED_RESPONSES: dict[int | str, dict[str, Any]] = {
    # "content" as well as "model": map routes document their answers as HTML, and
    # their errors are still JSON.
    status: {
        "model": ErrorOut,
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
    for status, text in (
        (401, "no API key, or an unknown, revoked or signed-out one"),
        (403, "the key's role or area does not reach this"),
        (404, "what was named does not exist"),
        (422, "a value the request gives is invalid: the message names it"),
        (413, "the request body is too large"),
        (429, "the key is over its requests a minute, or the address sent too many wrong keys"),
        (503, "the store is not migrated, has no city yet, or is down, or the route is busy"),
    )
}

# How a guarded route takes its caller (geo_api.api.auth), for OpenAPI and Swagger UI.
SECURITY_SCHEMES: dict[str, Any] = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "bearer": {"type": "http", "scheme": "bearer", "description": "an API key or a token"},
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "user: the key's name; password: the key (QGIS, GDAL)",
    },
    "oauth2": {
        "type": "oauth2",
        "description": "client id: the key's name; client secret: the key",
        "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}}},
    },
}


def document_security(app: FastAPI) -> None:
    """Name the ways to send a key in the OpenAPI document, on every operation but the
    public ones, so that Swagger UI's Authorize and generated clients
    know them. Done on the document, not as dependencies: no cost per request."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = plain()
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            for path, operations in schema["paths"].items():
                for operation in operations.values():
                    if path not in PUBLIC:
                        operation["security"] = [{name: []} for name in SECURITY_SCHEMES]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# A grid of four cells: the browser asks every page for one.
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path fill="#2b8cbe" '
    'd="M1 1h6v6H1zM9 1h6v6H9zM1 9h6v6H1zM9 9h6v6H9z"/></svg>'
)


def create_app(
    url: str | None = None, host: str | None = None, replica_url: str | None = None
) -> FastAPI:
    """The app; the engine is made in the lifespan (from ``url`` or the settings).
    ``host``: the address the server is bound to, answered to as a Host name;
    ``replica_url``: a streaming replica to read from (else the settings')."""
    settings = AuthSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        target = url or database_url()
        stored = DatabaseSettings()
        size = stored.pool_size
        engine = make_engine(target, pool_size=size)
        app.state.engine = engine
        app.state.statements = StatementPool(target, max_size=size)
        # The rate budgets' upserts (geo_api.auth.budget): writable, on the primary.
        # Named with the worker's pid, so pg_stat_activity tells the workers apart.
        app.state.gate_statements = StatementPool(
            target, max_size=size, writes=True, name=f"{GATE_APPLICATION} {os.getpid()}"
        )
        app.state.gate = Gate(engine, settings, stored.replica_sticky_s)
        app.state.replica = None
        pools = [app.state.statements, app.state.gate_statements]
        replica = replica_url or stored.database_replica_url
        if replica:
            app.state.replica = open_replica(replica, engine)
            pools.append(app.state.replica.statements)
        opened: list[StatementPool] = []
        try:  # what was opened is closed, even when the start fails half-way
            server_secret(settings)  # made now, not by the first sign-in
            for pool in pools:
                await pool.open()
                opened.append(pool)
            yield
        finally:
            for pool in reversed(opened):
                await pool.close()
            if app.state.replica is not None:
                app.state.replica.base.dispose()
            engine.dispose()

    app = FastAPI(
        title="gridgov",
        version=__version__,
        description="Urban grid governance (网格化治理): heads, coverage gaps and maps.",
        lifespan=lifespan,
        docs_url=None,  # served below from gridgov's own copy of Swagger UI
        redoc_url=None,
    )
    errors.install(app)
    # Links (OGC) are built from the Host header unless GEO_API_PUBLIC_URL is set:
    # only the service's own names are answered, so no request can plant another.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings, host))
    app.add_middleware(RefuseNul)
    keep_access_log_private()
    document_security(app)
    # Answers go out compressed (GeoJSON, HTML and JSON shrink five to ten times), but
    # not files that are compressed already or streamed exports: their zip or
    # GeoPackage would gain little for the CPU it costs.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=1024,
        compresslevel=6,
        exclude_content_types=(
            "text/event-stream",
            "application/zip",
            "application/geopackage+sqlite3",
            "application/octet-stream",
            "application/vnd.apache.parquet",
            "image/png",
        ),
    )
    app.add_middleware(BodyLimit)
    for module in (health, login, oauth):
        app.include_router(module.router)
    # Everything else needs a key whose role the policy table allows (geo_api.auth).
    for module in (
        communities,
        lookup,
        heads,
        households,
        me,
        placards,
        officers,
        members,
        rosters,
        gaps,
        network,
        assign,
        imports,
        exports,
        maps,
        stats,
        tiles,
        ogc,
        activities,
        members_service,
        party_units,
        party_lists,
        party_match,
    ):
        # The key first, then a slot of the route's concurrency (geo_api.api.limits),
        # for routers that have a limited route or a write: a router of plain reads
        # (the lookups) skips a dependency that would do nothing for them.
        needs = [Depends(authenticate), Depends(guard)] if guarded(module.router) else []
        app.include_router(
            module.router,
            dependencies=needs or [Depends(authenticate)],
            responses=GUARDED_RESPONSES,
        )
    if assets_installed():
        app.mount(DEFAULT_BASE_URL, StaticFiles(directory=VENDOR_ROOT), name="vendor")
    else:
        log.warning("map assets are not installed: run `make assets` to serve the maps")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="gridgov API",
            swagger_js_url=f"{DEFAULT_BASE_URL}/{SWAGGER_UI['js']}",
            swagger_css_url=f"{DEFAULT_BASE_URL}/{SWAGGER_UI['css']}",
            swagger_favicon_url=f"{DEFAULT_BASE_URL}/{SWAGGER_UI['favicon']}",
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(FAVICON, media_type="image/svg+xml")

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/maps/command-centre")

    return app
