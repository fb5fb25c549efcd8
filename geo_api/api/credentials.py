"""Where a request's credential comes from: a header (Bearer, X-API-Key, HTTP Basic)
or the sign-in cookie, and whether a cookie-borne write comes from gridgov's own pages."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request

KEY_COOKIE = "gridgov_key"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Credential:
    """A key or token as a request sends it; ``user`` is HTTP Basic's user name (the
    key's name), ``cookie`` whether it came from the browser's sign-in cookie."""

    secret: str
    user: str | None = None
    cookie: bool = False


def basic_pair(header: str) -> tuple[str, str] | None:
    """User and password of an ``Authorization: Basic`` header (UTF-8, as QGIS and
    curl send them; Latin-1 as RFC 7617's fallback); None if it is none."""
    if not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        decoded = raw.decode("latin-1")
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def credential(request: Request) -> Credential | None:
    """The request's credential, headers first; None if it sends none."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        given = header[7:].strip()
        return Credential(given) if given else None
    pair = basic_pair(header)
    if pair is not None:
        # Trimmed: a key pasted into QGIS often brings a space along.
        return Credential(pair[1].strip(), user=pair[0]) if pair[1].strip() else None
    # Trimmed, as above (GDAL_HTTP_HEADERS).
    given = (request.headers.get("x-api-key") or "").strip()
    if given:
        return Credential(given)
    cookie = (request.cookies.get(KEY_COOKIE) or "").strip()
    return Credential(cookie, cookie=True) if cookie else None


def same_origin(request: Request, public_url: str | None) -> bool:
    """Whether the request comes from a page of this service: its Origin (or, lacking
    one, Referer) names the host the request was sent to, or the public URL's host.
    SameSite cookies do not stop a page on another port of the same host, which a
    browser counts as the same site."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    netloc = urlsplit(source).netloc.lower()
    own = {request.headers.get("host", "").lower()}
    if public_url:
        own.add(urlsplit(public_url).netloc.lower())
    return bool(netloc) and netloc in own
