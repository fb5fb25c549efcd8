"""Authentication on every request: the key, its role, its rate, and officers' areas.

A key comes as ``Authorization: Bearer <key>``, as ``X-API-Key``, as HTTP Basic
(user: the key's name, password: the key; what every QGIS and GDAL build can
send), or, for map pages in a browser, as the cookie that /login sets. Keys and
tokens are checked against the store on every request, so a revoked key or a
signed-out token is refused on the next request, on every worker. Each key has its
own budget of requests per minute, and each client address a budget of failed
attempts, both kept in the store (geo_api.auth.budget), so N workers on any number
of machines give a key its budget once. Checking the key and spending its token is
one statement on the primary, on the asyncio pool.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Annotated, Any, TypeVar
from urllib.parse import unquote

from fastapi import Depends, Request
from sqlalchemy import Engine, TextClause

from geo_api.api.credentials import SAFE_METHODS, Credential, credential, same_origin
from geo_api.auth import budget
from geo_api.auth.audit import people_in, record
from geo_api.auth.keys import caller_of
from geo_api.auth.policy import allowed
from geo_api.auth.roles import LABELS, Caller
from geo_api.auth.tokens import credential_caller
from geo_api.db.statements import FetchOne, StatementPool
from geo_api.digits import whole
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
class Admitted:
    """Who a request comes from, and whether their key wrote in the last
    ``sticky_s`` seconds (its reads then stay on the primary: geo_api.api.reads)."""

    caller: Caller
    wrote_lately: bool = False


@dataclass
class Gate:
    """Keys, tokens and the rate budgets in the store (geo_api.auth.budget): the sync
    path through ``engine`` (sign-in), the async one through a writable statement
    pool. ``sticky_s``: how long after a key's write its reads stay on the primary."""

    engine: Engine
    settings: AuthSettings = field(default_factory=AuthSettings)
    sticky_s: float = 0.0
    swept_at: float = field(default=0.0, repr=False)

    def _params(self, client: str, extra: dict[str, Any]) -> dict[str, Any]:
        fail_cap = self.settings.auth_failures_per_minute
        return {**extra, "client": client, "fail_cap": fail_cap, "sticky_s": self.sticky_s}

    def _run(self, statement: TextClause, params: dict[str, Any]) -> dict[str, Any] | None:
        with self.engine.begin() as conn:
            row = conn.execute(statement, params).mappings().first()
        return dict(row) if row is not None else None

    def verify(self, given: Credential, client: str) -> Caller:
        """The caller of a key or token, from the store (for sync routes: sign-in)."""
        statement, extra = budget.gate_query(given.secret, time.time(), spend=True, writes=False)
        row = _one(self._run(statement, self._params(client, extra)))
        if not self._holds(row, given, client):
            self.failed(client)
            raise UnauthorizedError(REFUSED + HOW)
        spent: dict[str, Any] | None = row
        if row["granted"] is None:  # a token: its key's token is spent once it is found good
            spent = self._run(budget.SPEND_SQL, self._token_spend(row))
        return self._admit(row, _one(spent)).caller

    async def verify_async(
        self,
        given: Credential,
        client: str,
        fetch: FetchOne,
        *,
        paging: bool = False,
        writes: bool = False,
    ) -> Admitted:
        """The same on the event loop, on a writable asyncio pool of the primary
        (``fetch``), so checking a key never blocks other requests. ``paging``: the
        request follows a next link of an OGC collection, which spends nothing of the
        key's requests a minute (a download of one collection counts once, however many
        pages GDAL or QGIS ask for). ``writes``: a write, remembered for
        read-your-writes."""
        now = time.time()
        statement, extra = budget.gate_query(given.secret, now, spend=not paging, writes=writes)
        row = _one(await fetch(statement, self._params(client, extra)))
        if not self._holds(row, given, client):
            self._counted(_one(await fetch(budget.SPEND_SQL, self._failure(client))), client)
            raise UnauthorizedError(REFUSED + HOW)
        spent: dict[str, Any] | None = {"granted": True} if paging else row
        if spent is row and row["granted"] is None:
            spent = await fetch(budget.SPEND_SQL, self._token_spend(row, writes=writes))
        if now - self.swept_at > budget.SWEEP_EVERY_S:
            self.swept_at = now
            await fetch(budget.SWEEP_SQL, {"sticky_s": self.sticky_s})
        return self._admit(row, _one(spent))

    def _holds(self, row: dict[str, Any], given: Credential, client: str) -> bool:
        """Whether the gate statement found the credential's holder; 429 at once for an
        address held off for its wrong keys."""
        level = row["held_level"]
        if level is not None and level < 1:
            raise self._held_off(level, client)
        holder = SimpleNamespace(**row) if row["id"] is not None else None
        found = credential_caller(given.secret, holder)
        return found is not None and (given.user is None or same_user(given.user, found[0]))

    def _held_off(self, level: float, client: str) -> RateLimitedError:
        wait = budget.wait_s(level, self.settings.auth_failures_per_minute)
        return RateLimitedError(
            f"too many wrong keys from {client}; retry in {wait:.0f} s", retry_after=wait
        )

    def _counted(self, spent: dict[str, Any], client: str) -> None:
        """A wrong key's spend of its address's budget: refused (429, not 401) when
        requests in flight together spent the last token first, so that an address gets
        no more answers to its guesses than its budget, however many it sends at once."""
        if not spent["granted"]:
            raise self._held_off(float(spent["tokens"]), client)

    def _failure(self, client: str) -> dict[str, Any]:
        """SPEND_SQL's parameters for a wrong key from ``client``."""
        cap = self.settings.auth_failures_per_minute
        return budget.spend_params(budget.ADDRESS, client, cap)

    @staticmethod
    def _token_spend(row: dict[str, Any], *, writes: bool = False) -> dict[str, Any]:
        return budget.spend_params(budget.KEY, str(row["id"]), row["per_minute"], writes=writes)

    @staticmethod
    def _admit(row: dict[str, Any], spent: dict[str, Any]) -> Admitted:
        caller, per_minute = caller_of(SimpleNamespace(**row))
        if not spent["granted"]:
            wait = budget.wait_s(spent["tokens"], per_minute)
            raise RateLimitedError(
                f"key {caller.name!r} is over its {per_minute} requests a minute; "
                f"retry in {wait:.1f} s",
                retry_after=wait,
            )
        return Admitted(caller, bool(row["wrote_lately"]))

    def admit_client(self, client: str) -> None:
        """Refuse (429) an address that sent too many wrong keys lately, before its next
        guess is even checked."""
        held = self._run(budget.HELD_SQL, self._params(client, {}))
        if held is not None and held["level"] < 1:
            raise self._held_off(held["level"], client)

    def failed(self, client: str) -> None:
        """Count a wrong key against the address it came from, on every worker (429
        when its budget was spent already: see _counted)."""
        self._counted(_one(self._run(budget.SPEND_SQL, self._failure(client))), client)


def _one(row: dict[str, Any] | None) -> dict[str, Any]:
    """The one row a gate or spend statement always returns."""
    if row is None:
        raise RuntimeError("a rate-budget statement returned no row")
    return row


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
    return "after" in query or (whole(query.get("offset", "0")) or 0) > 0


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
    pool: StatementPool = request.app.state.gate_statements
    writes = request.method not in SAFE_METHODS
    admitted = await gate.verify_async(
        given, client_address(request), pool.fetch_one, paging=next_page(request), writes=writes
    )
    caller = admitted.caller
    if given.cookie and writes and not same_origin(request, gate.settings.public_url):
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
    request.state.wrote_lately = admitted.wrote_lately
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
