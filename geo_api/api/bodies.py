"""A cap on request bodies, before any route sees them.

FastAPI reads a JSON or form body before the dependencies that check the key run,
so a request without a key could make the server hold a body of any size. Every
body but an upload's is small (a move, a capacity: a few hundred bytes), so this
middleware reads at most MAX_BODY of it, refuses more with 413 (a declared
Content-Length at once, a chunked body as soon as it passes), and hands the body
on. Uploads (/imports/) are read by their route, after the key is checked
(geo_api.api.uploads).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo_api.digits import declared_size

MAX_BODY = 1024**2
STREAMED = ("/imports/",)


async def _too_large(send: Send) -> None:
    body = json.dumps({"detail": f"the request body is larger than {MAX_BODY // 1024} KB"}).encode()
    headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: bodies over MAX_BODY are refused with 413, unread beyond it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(STREAMED):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        size = declared_size(declared)
        if size is not None and size > MAX_BODY:
            await _too_large(send)
            return
        if not declared and b"chunked" not in headers.get(b"transfer-encoding", b""):
            await self.app(scope, receive, send)  # no body
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away: let the app see it
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_BODY:
                await _too_large(send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
