"""Authentication on every request: the key, its role, its rate, and officers' areas.

A key comes as ``Authorization: Bearer <key>``, as ``X-API-Key``, as HTTP Basic
(user: the key's name, password: the key; what every QGIS and GDAL build can
send), or, for map pages in a browser, as the cookie that /login sets. Keys and
tokens are checked against the store on every request (one indexed statement on
the asyncio pool), so a revoked key or a signed-out token is refused on the next
request, on every worker. Each key has its own budget of requests per minute, and
each client address a budget of failed attempts (token buckets in this process).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Annotated, TypeVar
from urllib.parse import unquote

from fastapi import Depends, Request
from sqlalchemy import Engine

from geo_api.api.credentials import SAFE_METHODS, Credential, credential, same_origin
from geo_api.auth.audit import people_in, record
from geo_api.auth.policy import allowed
from geo_api.auth.roles import LABELS, Caller
from geo_api.auth.throttle import Buckets
from geo_api.auth.tokens import credential_caller, credential_query
from geo_api.db.statements import FetchOne, StatementPool
from geo_api.errors import (
    ForbiddenError,
    InvalidInputError,
    RateLimitedError,
    UnauthorizedError,
)
from geo_api.settings import AuthSettings

T = TypeVar("T")
HOW = (
    "send your API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>', as HTTP "
    "Basic (user: the key's name, password: the key), or a token from POST /oauth/token "
    "as 'Authorization: Bearer <token>'; an admin makes keys with `gridgov users create`"
)
REFUSED = "unknown, expired or revoked API key or token; "


@dataclass
class Gate:
    """The app's rate buckets: per key, and failed attempts per client address."""

    engine: Engine
    settings: AuthSettings = field(default_factory=AuthSettings)
    buckets: Buckets[int] = field(default_factory=Buckets)
    failures: Buckets[str] = field(default_factory=Buckets)

    def verify(self, given: Credential, client: str) -> Caller:
        """The caller of a key or token, from the store (for sync routes: sign-in)."""
        self.admit_client(client)
        query = credential_query(given.secret)
        row = None
        if query is not None:
            with self.engine.connect() as conn:
                row = conn.execute(*query).first()
        return self._admit(given, credential_caller(given.secret, row), client)

    async def verify_async(
        self, given: Credential, client: str, fetch: FetchOne, *, paging: bool = False
    ) -> Caller:
        """The same on the event loop, on the API's asyncio pool, so checking a key never
        blocks other requests. ``paging``: the request follows a next link of an OGC
        collection, which spends nothing of the key's requests a minute (a download of
        one collection counts once, however many pages GDAL or QGIS ask for)."""
        self.admit_client(client)
        query = credential_query(given.secret)
        row = await fetch(*query) if query is not None else None
        holder = credential_caller(given.secret, SimpleNamespace(**row) if row else None)
        return self._admit(given, holder, client, paging=paging)

    def admit_client(self, client: str) -> None:
        """Refuse (429) an address that sent too many wrong keys lately, before its next
        guess is even checked."""
        per_minute = self.settings.auth_failures_per_minute
        wait = self.failures.wait(client, per_minute, time.monotonic())
        if wait > 0:
            raise RateLimitedError(
                f"too many wrong keys from {client}; retry in {wait:.0f} s", retry_after=wait
            )

    def failed(self, client: str) -> None:
        """Count a wrong key against the address it came from."""
        self.failures.spend(client, self.settings.auth_failures_per_minute, time.monotonic())

    def _admit(
        self,
        given: Credential,
        found: tuple[Caller, int] | None,
        client: str,
        *,
        paging: bool = False,
    ) -> Caller:
        if found is None or (given.user is not None and not same_user(given.user, found[0])):
            self.failed(client)
            raise UnauthorizedError(REFUSED + HOW)
        caller, per_minute = found
        if paging:
            return caller
        wait = self.buckets.spend(caller.key_id, per_minute, time.monotonic())
        if wait > 0:
            raise RateLimitedError(
                f"key {caller.name!r} is over its {per_minute} requests a minute; "
                f"retry in {wait:.1f} s",
                retry_after=wait,
            )
        return caller


def same_user(user: str, caller: Caller) -> bool:
    """Whether HTTP Basic's user name is the key's. QGIS 3.22 encodes it as Latin-1, so
    each Chinese character of a name arrives as '?': that form is the key's name too
    (the key, 256 random bits, is what proves who calls; the name must only agree)."""
    as_latin1 = caller.name.encode("latin-1", errors="replace").decode("latin-1")
    return user in (caller.name, as_latin1)


def next_page(request: Request) -> bool:
    """Whether the request is a further page of an OGC collection's items (a next link:
    ``after=`` or an offset past the first page)."""
    path = request.url.path
    if not (path.startswith("/ogc/collections/") and path.endswith("/items")):
        return False
    query = request.query_params
    offset = query.get("offset", "0")
    return "after" in query or (offset.isdigit() and int(offset) > 0)


def client_address(request: Request) -> str:
    """The address a request comes from (behind a proxy, uvicorn's --proxy-headers
    makes it the client's)."""
    return request.client.host if request.client else "unknown"


async def authenticate(request: Request) -> Caller:
    """The caller of this request, allowed by the policy table; 401, 403 or 429 else.
    A write carried by the sign-in cookie must come from gridgov's own pages (CSRF)."""
    given = credential(request)
    if given is None:
        raise UnauthorizedError("this needs an API key: " + HOW)
    gate: Gate = request.app.state.gate
    pool: StatementPool = request.app.state.statements
    caller = await gate.verify_async(
        given, client_address(request), pool.fetch_one, paging=next_page(request)
    )
    writes = given.cookie and request.method not in SAFE_METHODS
    if writes and not same_origin(request, gate.settings.public_url):
        raise ForbiddenError(
            f"{request.method} {request.url.path} with the sign-in cookie must come "
            "from gridgov's own pages (Origin or Referer); scripts send the key in a "
            "header instead"
        )
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    if not allowed(request.method, path, caller.role):
        raise ForbiddenError(
            f"{LABELS[caller.role]} ({caller.role}) keys may not {request.method} {path}"
        )
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(authenticate)]


def check_area(caller: Caller, community_id: int | None, grid_id: int | None, what: str) -> None:
    """Hold an officer to their own community (and grid, if their key names one)."""
    if not caller.scoped:
        return
    outside = community_id != caller.community_id or (
        caller.grid_id is not None and grid_id != caller.grid_id
    )
    if outside:
        area = caller.grid_code or caller.community_code
        raise ForbiddenError(f"{what} lies outside your area ({area})")


def purpose(request: Request) -> str | None:
    """Why the caller reads: the X-Purpose header, percent-encoded for Chinese text."""
    given = request.headers.get("x-purpose")
    if not given:
        return None
    reason = unquote(given)[:200]
    if any(ord(c) < 32 and c not in "\t" for c in reason):
        raise InvalidInputError(f"X-Purpose {given[:40]!r} holds control characters")
    return reason


def audited(request: Request, caller: Caller, answer: T, kind: str = "head") -> T:
    """Record the people an answer shows in full (``kind``: who a bare answer is, a head,
    an officer or a member), then hand it on; nothing is recorded (or shown in full)
    for roles that see masks."""
    if caller.reveals:
        people = people_in(answer, kind)
        if people:
            engine: Engine = request.app.state.engine
            with engine.begin() as conn:
                action = f"{request.method} {request.url.path}"
                record(conn, caller, action, people, purpose(request))
    return answer
