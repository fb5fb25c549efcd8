"""How much of the server each expensive route may take: a few requests at a time
(a semaphore per route in this process: 503 with Retry-After when full, at once,
rather than a queue that times out), and a statement timeout per route.

Under a mixed load of 200 clients, requests that each computed gaps or recruits
for seconds held every worker thread and connection, and 356 requests timed
out; now the expensive routes take a few slots each and the rest keep flowing.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi import APIRouter, Request

from geo_api.api.credentials import SAFE_METHODS
from geo_api.api.reads import remember_write
from geo_api.errors import OverloadedError

RETRY_AFTER_S = 5
READ_TIMEOUT_S = 30.0  # any read not listed below: lookups and pages take milliseconds


@dataclass
class Limit:
    """At most ``slots`` requests of a route at once in this process, and no statement
    of theirs longer than ``timeout_s`` seconds."""

    slots: int
    timeout_s: float
    semaphore: threading.BoundedSemaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.semaphore = threading.BoundedSemaphore(self.slots)


# (method, path template) -> its limit. Timeouts leave room for the first computation
# on a big city; later requests are served from the stored result in milliseconds.
LIMITS: dict[tuple[str, str], Limit] = {
    ("GET", "/gaps"): Limit(4, 120),
    ("GET", "/recruits"): Limit(2, 300),
    ("GET", "/siting"): Limit(2, 300),
    ("GET", "/matches"): Limit(2, 300),
    ("GET", "/service-areas"): Limit(4, 120),
    ("GET", "/maps/command-centre"): Limit(4, 120),
    ("GET", "/maps/communities/{code}"): Limit(4, 60),
    ("GET", "/maps/grids/{code}"): Limit(4, 60),
    ("GET", "/exports/{fmt}"): Limit(2, 900),
    # A PDF placard starts a headless Chromium: a few at a time.
    ("GET", "/placards/building/{building_id}"): Limit(2, 60),
    ("GET", "/placards/compound/{compound_id}"): Limit(2, 60),
    ("POST", "/imports/{layer}"): Limit(2, 3600),
    ("GET", "/ogc/collections/{collection_id}/items"): Limit(32, 120),
    ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"): Limit(32, 120),
}


def guarded(router: APIRouter) -> bool:
    """Whether any route of ``router`` has a limit or writes: only those need guard."""
    return any(
        (method, getattr(route, "path", "")) in LIMITS or method not in SAFE_METHODS
        for route in router.routes
        for method in getattr(route, "methods", None) or ()
    )


def route_limit(request: Request) -> Limit | None:
    """The limit of the route this request matched, if it has one."""
    route = request.scope.get("route")
    return LIMITS.get((request.method, getattr(route, "path", "")))


def read_timeout_s(request: Request) -> float:
    """How long any one statement of this request's reads may run."""
    limit = route_limit(request)
    return limit.timeout_s if limit is not None else READ_TIMEOUT_S


async def guard(request: Request) -> AsyncIterator[None]:
    """Take a slot of the route's semaphore for the request, or refuse it at once; once
    a write is done, remember it for read-your-writes (geo_api.api.reads)."""
    limit = route_limit(request)
    if limit is None:
        yield
        await remember_write(request)
        return
    if not limit.semaphore.acquire(blocking=False):
        raise OverloadedError(
            f"{request.method} {request.url.path} is busy: {limit.slots} requests of it are "
            f"running; retry in {RETRY_AFTER_S} s",
            retry_after_s=RETRY_AFTER_S,
        )
    try:
        yield
    finally:
        limit.semaphore.release()
    await remember_write(request)
