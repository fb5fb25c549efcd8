"""What the app checks before any route: the Host header, NUL bytes in the URL; and
what the access log may hold of a URL."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from geo_api.settings import AuthSettings, ServerSettings

# Query parameters whose values are personal (an address typed in): never logged.
PRIVATE_PARAMETERS = frozenset({"q", "key", "client_secret"})
ANY_ADDRESS = {"0.0.0.0", "::", ""}  # noqa: S104 - names, not a bind


def allowed_hosts(settings: AuthSettings, bound: str | None = None) -> list[str]:
    """The Host header values the app answers to: the configured ones, the public URL's
    host and the address the server is bound to (unless it is every address)."""
    hosts = [h.strip() for h in settings.allowed_hosts.split(",") if h.strip()]
    if settings.public_url:
        hosts.append(urlsplit(settings.public_url).hostname or "")
    bound = bound if bound is not None else ServerSettings().host
    if bound not in ANY_ADDRESS:
        hosts.append(bound)
    return sorted({h for h in hosts if h})


class RefuseNul:
    """A 422 for a NUL byte (``%00``) in the path or the query: no column can store
    one and no code or name holds one, so no route need meet it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = _nul_in(scope)
            if where is not None:
                body = json.dumps({"detail": f"{where} holds a NUL byte (%00)"}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 422,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def _nul_in(scope: Scope) -> str | None:
    """The part of the URL holding a NUL byte: "the path" or "query parameter X"."""
    if "\x00" in scope.get("path", ""):
        return "the path"
    query = scope.get("query_string", b"")
    if b"%00" not in query and b"\x00" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in unquote(name) or "\x00" in value:
            return f"query parameter {name.replace(chr(0), '')!r}"
    return "the query"


def private_path(path: str) -> str:
    """A request's path and query as the access log may keep it: the values of
    personal parameters (an address searched for) replaced by ``***``."""
    parts = urlsplit(path)
    if not parts.query:
        return path
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, "***" if k in PRIVATE_PARAMETERS else v) for k, v in pairs]
    return parts._replace(query=urlencode(kept, safe="*,:/")).geturl()


class PrivateQueryFilter(logging.Filter):
    """Rewrites uvicorn's access log lines: the path without personal query values."""

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        # uvicorn.access: (client address, method, full path, HTTP version, status).
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], private_path(args[2]), args[3], args[4])
        return True


def keep_access_log_private() -> None:
    """Install PrivateQueryFilter on uvicorn's access logger, once."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, PrivateQueryFilter) for f in access.filters):
        access.addFilter(PrivateQueryFilter())
