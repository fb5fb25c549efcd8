"""Authentication on every request: the key, its role, its rate, and officers' areas.

A key comes as ``Authorization: Bearer <key>``, as ``X-API-Key``, or, for map pages
in a browser, as the cookie that /login sets. Verified keys are cached for
CACHE_SECONDS, so a revoked key stops working within that time. Each key has its
own budget of requests per minute (a token bucket in this process).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Annotated, TypeVar
from urllib.parse import unquote

from fastapi import Depends, Request
from sqlalchemy import Engine

from geo_api.auth.audit import people_in, record
from geo_api.auth.keys import hash_key
from geo_api.auth.policy import allowed
from geo_api.auth.roles import LABELS, Caller
from geo_api.auth.tokens import credential_caller, credential_query, token_expiry
from geo_api.db.statements import FetchOne, StatementPool
from geo_api.errors import ForbiddenError, RateLimitedError, UnauthorizedError

T = TypeVar("T")
KEY_COOKIE = "gridgov_key"
CACHE_SECONDS = 5.0
HOW = (
    "send your API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>', or a "
    "token from POST /oauth/token as 'Authorization: Bearer <token>'; an admin makes "
    "keys with `gridgov users create`"
)


@dataclass
class Gate:
    """The app's key cache and rate buckets."""

    engine: Engine
    cache: dict[str, tuple[float, Caller, int]] = field(default_factory=dict)
    buckets: dict[int, tuple[float, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, key: str) -> Caller:
        """The caller of a key or token, from the cache or the store (for sync routes:
        sign-in and the token endpoint)."""
        found = self._known(key)
        if found is None:
            query = credential_query(key)
            row = None
            if query is not None:
                with self.engine.connect() as conn:
                    row = conn.execute(*query).first()
            found = self._remember(key, credential_caller(key, row))
        return self._admit(found)

    async def verify_async(self, key: str, fetch: FetchOne) -> Caller:
        """The same on the event loop: a key the cache does not hold is looked up on the
        API's asyncio pool, so checking it never blocks other requests."""
        found = self._known(key)
        if found is None:
            query = credential_query(key)
            row = await fetch(*query) if query is not None else None
            holder = credential_caller(key, SimpleNamespace(**row) if row else None)
            found = self._remember(key, holder)
        return self._admit(found)

    def _known(self, key: str) -> tuple[Caller, int] | None:
        hit = self.cache.get(hash_key(key))
        return (hit[1], hit[2]) if hit is not None and hit[0] >= time.monotonic() else None

    def _remember(self, key: str, found: tuple[Caller, int] | None) -> tuple[Caller, int]:
        """Cache a holder for CACHE_SECONDS (a token not past its expiry); 401 for none."""
        if found is None:
            raise UnauthorizedError("unknown, expired or revoked API key or token; " + HOW)
        now = time.monotonic()
        until = now + CACHE_SECONDS
        expires = token_expiry(key)
        if expires is not None:
            until = min(until, now + expires - time.time())
        self.cache[hash_key(key)] = (until, found[0], found[1])
        return found

    def _admit(self, found: tuple[Caller, int]) -> Caller:
        caller, per_minute = found
        self.throttle(caller, per_minute, time.monotonic())
        return caller

    def throttle(self, caller: Caller, per_minute: int, now: float) -> None:
        """Spend one token of the key's bucket, or refuse."""
        with self.lock:
            tokens, since = self.buckets.get(caller.key_id, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - since) * per_minute / 60)
            if tokens < 1:
                self.buckets[caller.key_id] = (tokens, now)
                wait = (1 - tokens) * 60 / per_minute
                raise RateLimitedError(
                    f"key {caller.name!r} is over its {per_minute} requests a minute; "
                    f"retry in {wait:.1f} s"
                )
            self.buckets[caller.key_id] = (tokens - 1, now)


def _key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    # Trimmed: a key pasted into QGIS or GDAL_HTTP_HEADERS often brings a space along.
    given = request.headers.get("x-api-key") or request.cookies.get(KEY_COOKIE) or ""
    return given.strip() or None


async def authenticate(request: Request) -> Caller:
    """The caller of this request, allowed by the policy table; 401, 403 or 429 else."""
    key = _key(request)
    if not key:
        raise UnauthorizedError("this needs an API key: " + HOW)
    gate: Gate = request.app.state.gate
    pool: StatementPool = request.app.state.statements
    caller = await gate.verify_async(key, pool.fetch_one)
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
    return unquote(given)[:200] if given else None


def audited(request: Request, caller: Caller, answer: T) -> T:
    """Record the people an answer shows in full, then hand it on; nothing is recorded
    (or shown in full) for roles that see masks."""
    if caller.reveals:
        people = people_in(answer)
        if people:
            engine: Engine = request.app.state.engine
            with engine.begin() as conn:
                action = f"{request.method} {request.url.path}"
                record(conn, caller, action, people, purpose(request))
    return answer
