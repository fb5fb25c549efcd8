"""OAuth2 access tokens: a key exchanged for a token that expires (RFC 6749's client
credentials grant, used as RFC 6750's bearer token), so that QGIS, scripts and the
browser's cookie need not carry the key itself.

A token is ``ggt_<key id>.<expiry>.<signature>``: the signature is an HMAC-SHA256
of the id and expiry under the key's stored hash, so the store keeps no tokens,
a token cannot be altered or extended, and revoking the key ends its tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from sqlalchemy import Connection, TextClause

from geo_api.auth.keys import (
    CALLER_BY_ID_SQL,
    CALLER_SQL,
    PREFIX,
    caller_for,
    caller_of,
    hash_key,
)
from geo_api.auth.roles import Caller
from geo_api.errors import InvalidInputError, UnauthorizedError

TOKEN_PREFIX = "ggt_"  # noqa: S105 - a marker, not a secret
TOKEN_SECONDS = 3600  # an hour, as OAuth2 clients expect; they ask again
MAX_TOKEN_SECONDS = 7 * 86400  # the sign-in cookie's week


def _signature(key_hash: str, payload: str) -> str:
    digest = hmac.new(bytes.fromhex(key_hash), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_token(
    conn: Connection, key: str, seconds: int = TOKEN_SECONDS, now: float | None = None
) -> tuple[str, Caller]:
    """A token for ``key`` lasting ``seconds``, and whose it is; UnauthorizedError for
    an unknown or revoked key."""
    if not 1 <= seconds <= MAX_TOKEN_SECONDS:
        raise InvalidInputError(f"a token lasts 1 to {MAX_TOKEN_SECONDS} s, not {seconds}")
    found = caller_for(conn, key)
    if found is None:
        raise UnauthorizedError("unknown or revoked API key")
    caller = found[0]
    expires = int(now if now is not None else time.time()) + seconds
    payload = f"{caller.key_id}.{expires}"
    # The key's stored hash is its SHA-256, known here without asking the store again.
    return f"{TOKEN_PREFIX}{payload}.{_signature(hash_key(key), payload)}", caller


def _parts(token: str) -> tuple[int, int, str] | None:
    """A token's key id, expiry and signature, if it is well formed."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    parts = token.removeprefix(TOKEN_PREFIX).split(".")
    if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return int(parts[0]), int(parts[1]), parts[2]


def token_expiry(token: str) -> int | None:
    """When a well-formed token expires (epoch seconds), else None."""
    parts = _parts(token)
    return parts[1] if parts else None


def credential_query(
    credential: str, now: float | None = None
) -> tuple[TextClause, dict[str, Any]] | None:
    """The statement that finds a key's or a token's holder (None for a credential
    that can name nobody: malformed, or a token past its expiry)."""
    if credential.startswith(TOKEN_PREFIX):
        parts = _parts(credential)
        if parts is None or parts[1] <= (now if now is not None else time.time()):
            return None
        return CALLER_BY_ID_SQL, {"id": parts[0]}
    if not credential.startswith(PREFIX):
        return None
    return CALLER_SQL, {"hash": hash_key(credential)}


def credential_caller(credential: str, row: Any) -> tuple[Caller, int] | None:
    """The holder of a credential, from the row its query found (None: no row, or a
    token whose signature is not the key's), and their requests per minute."""
    if row is None:
        return None
    parts = _parts(credential)
    if parts is not None:  # a token: signed under the key's stored hash
        expected = _signature(row.key_hash, f"{parts[0]}.{parts[1]}")
        if not hmac.compare_digest(expected, parts[2]):
            return None
    return caller_of(row)


def caller_for_credential(
    conn: Connection, credential: str, now: float | None = None
) -> tuple[Caller, int] | None:
    """The caller of an API key or of a token, and their requests per minute; None if
    unknown or revoked, or for a token malformed, altered or expired (at ``now``)."""
    query = credential_query(credential, now)
    if query is None:
        return None
    return credential_caller(credential, conn.execute(*query).first())


def session_end(credential: str, now: float | None = None) -> str:
    """Why a sign-in that no longer works ended: "expired" for a token past its time,
    else "revoked" (its key was revoked, or replaced, as `gridgov demo --new-key` does)."""
    expires = token_expiry(credential)
    if expires is not None and expires <= (now if now is not None else time.time()):
        return "expired"
    return "revoked"
