"""Domain exceptions to HTTP statuses: one table, installed once."""

from __future__ import annotations

import logging
import math
import re
from urllib.parse import quote

import pandas as pd
import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from psycopg.errors import QueryCanceled
from psycopg_pool import PoolTimeout
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as EnginePoolTimeout

from geo_api.api.credentials import KEY_COOKIE
from geo_api.auth.tokens import session_end
from geo_api.db.migrate import NOT_MIGRATED, is_unmigrated
from geo_api.errors import (
    BatchClusterError,
    BusyError,
    ClusterError,
    ConflictError,
    DatabaseUnavailableError,
    ForbiddenError,
    GridgovError,
    InvalidInputError,
    NotFoundError,
    OverloadedError,
    PayloadTooLargeError,
    RateLimitedError,
    RendererMissingError,
    StoreNotReadyError,
    UnauthorizedError,
)
from maps.vendor import AssetsMissingError

log = logging.getLogger(__name__)

# Seconds a client should wait before trying again while the database is down: a
# restart of PostgreSQL takes a few.
RETRY_AFTER_S = 5

# Most specific first: the first matching class decides the status.
STATUS: list[tuple[type[Exception], int]] = [
    (UnauthorizedError, 401),
    (ForbiddenError, 403),
    (RateLimitedError, 429),
    (NotFoundError, 404),
    (PayloadTooLargeError, 413),
    (BusyError, 409),
    (ConflictError, 409),
    (InvalidInputError, 422),
    (StoreNotReadyError, 503),
    (DatabaseUnavailableError, 503),
    (OverloadedError, 503),
    (ClusterError, 503),
    (BatchClusterError, 503),
    (AssetsMissingError, 503),
    (RendererMissingError, 503),
    (GridgovError, 400),
]


def status_for(exc: Exception) -> int:
    """The HTTP status of a domain exception."""
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


async def _domain_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, UnauthorizedError) and _wants_page(request):
        # A person opening a map in a browser signs in, then comes back to the same page
        # with the same query (a wall screen's ?screen=big&refresh=60); told why, when
        # the session they had ended.
        return _to_login(request)
    headers = None
    if isinstance(exc, UnauthorizedError):
        headers = {"WWW-Authenticate": challenge(request)}
    elif isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    elif isinstance(exc, DatabaseUnavailableError):
        headers = {"Retry-After": str(RETRY_AFTER_S)}
    elif isinstance(exc, OverloadedError):
        headers = {"Retry-After": str(exc.retry_after_s)}
    return JSONResponse({"detail": str(exc)}, status_code=status_for(exc), headers=headers)


def _to_login(request: Request) -> Response:
    """The redirect to the sign-in page, with where to return and why."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = f"/login?next={quote(back, safe='/')}"
    session = request.cookies.get(KEY_COOKIE)
    if session:
        target += f"&ended={session_end(session)}"
    response = RedirectResponse(target, status_code=303)
    if session:
        response.delete_cookie(KEY_COOKIE)  # a dead session is not sent again
    return response


def challenge(request: Request) -> str:
    """The schemes a 401 offers: Bearer, and Basic (user: the key's name, password: the
    key) for QGIS and GDAL; not Basic to a browser signed in by cookie, which would
    pop up a password dialog over the map."""
    if KEY_COOKIE in request.cookies:
        return "Bearer"
    return 'Bearer, Basic realm="gridgov", charset="UTF-8"'


def _wants_page(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if is_unmigrated(exc):
        return JSONResponse({"detail": NOT_MIGRATED}, status_code=503)
    raise exc  # a genuine bug: let it be a logged 500


async def _database_down(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(getattr(exc, "orig", exc), QueryCanceled):
        # The route's statement timeout (geo_api.api.limits): the request asked too much
        # of a busy store; it is refused rather than left to hold a worker.
        return JSONResponse(
            {"detail": "the store took too long to answer this request; narrow it or retry"},
            status_code=503,
            headers={"Retry-After": "30"},
        )
    log.error("database unavailable: %s", exc)
    return JSONResponse(
        {"detail": "the database is unavailable; check `gridgov db status`"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


# 'Key (workplace_unit_id)=(999999) is not present in table "alliance_unit".'
_ABSENT = re.compile(
    r'Key \((?P<col>[^)]*)\)=\((?P<val>[^)]*)\) is not present in table "(?P<tab>[^"]+)"'
)
# 'Key (id)=(4) is still referenced from table "assignment".'
_REFERENCED = re.compile(
    r'Key \((?P<col>[^)]*)\)=\((?P<val>[^)]*)\) is still referenced from table "(?P<tab>[^"]+)"'
)
_TAKEN = re.compile(r"Key \((?P<col>.*)\)=\((?P<val>.*)\) already exists")


def integrity_detail(exc: IntegrityError) -> tuple[int, str]:
    """A constraint a request broke, as a status and a sentence naming the field and value:
    an id that names nothing (422), a row something still points at or a key already
    taken (409), a value a check refuses (422). A domain check should have said it first;
    this is the net under every route, so that no client's value is a 500."""
    diag = getattr(exc.orig, "diag", None)
    detail = str(getattr(diag, "message_detail", None) or "")
    constraint = getattr(diag, "constraint_name", None) or "a constraint"
    if m := _ABSENT.search(detail):
        return 422, f"{m['col']} {m['val']} names no {m['tab'].replace('_', ' ')}"
    if m := _REFERENCED.search(detail):
        return 409, (
            f"{m['tab'].replace('_', ' ')} still refers to {m['col']} {m['val']}: "
            "end or move those first"
        )
    if m := _TAKEN.search(detail):
        # The columns only: the values may be a person's (a name and a phone), and an
        # officer must not learn that they are on another community's roster.
        return 409, f"a row with the same {m['col']} exists already"
    column = getattr(diag, "column_name", None)
    if column:
        return 422, f"{column} is required"
    return 422, f"the values break {constraint}"


async def _integrity_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IntegrityError)
    status, detail = integrity_detail(exc)
    # Not the driver's message: it may hold the row ("Failing row contains ..."), names
    # and phones among it; the access log keeps personal values out, so does this.
    diag = getattr(exc.orig, "diag", None)
    log.info(
        "integrity error answered %s: %s on %s",
        status,
        getattr(diag, "sqlstate", None),
        getattr(diag, "constraint_name", None),
    )
    return JSONResponse({"detail": detail}, status_code=status)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    for kind in (GridgovError, AssetsMissingError):
        app.add_exception_handler(kind, _domain_error)
    # psycopg's own errors come from the async pool of one-statement reads.
    for down in (OperationalError, psycopg.OperationalError, PoolTimeout, EnginePoolTimeout):
        app.add_exception_handler(down, _database_down)
    for db_error in (ProgrammingError, psycopg.ProgrammingError, pd.errors.DatabaseError):
        app.add_exception_handler(db_error, _database_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
