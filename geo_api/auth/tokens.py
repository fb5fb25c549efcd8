"""OAuth2 access tokens: a key exchanged for a token that expires (RFC 6749's client
credentials grant, used as RFC 6750's bearer token), so that QGIS, scripts and the
browser's cookie need not carry the key itself.

A token is ``ggt_<key id>.<expiry>.<signature>``: the signature is an HMAC-SHA256 of
the id, the expiry and the key's hash under the server's secret (geo_api.auth.secret),
which the store does not hold, so a dump of the store cannot mint one. The store
keeps only the tokens ended early (signed out: ``ended_session``); revoking the key
ends its tokens, and no token lasts more than MAX_TOKEN_SECONDS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from sqlalchemy import Connection, TextClause, text

from geo_api.auth.keys import CALLER_SQL, CALLER_TEMPLATE, PREFIX, caller_of, hash_key
from geo_api.auth.roles import Caller
from geo_api.auth.secret import server_secret
from geo_api.errors import InvalidInputError, UnauthorizedError

TOKEN_PREFIX = "ggt_"  # noqa: S105 - a marker, not a secret
TOKEN_SECONDS = 3600  # an hour, as OAuth2 clients expect; they ask again
MAX_TOKEN_SECONDS = 7 * 86400  # the sign-in cookie's week
# A key's id is an int4 and an expiry fits in 11 digits until the year 5138: longer
# digit runs are no token (and would cost int() time, or overflow the column).
MAX_ID = 2**31 - 1
MAX_DIGITS = 11

TOKEN_CALLER_SQL = text(
    CALLER_TEMPLATE.format(
        which="k.id = :id AND NOT EXISTS "
        "(SELECT 1 FROM ended_session s WHERE s.token_hash = :token)"
    )
)


def _signature(key_hash: str, payload: str) -> str:
    message = f"{payload}.{key_hash}".encode()
    digest = hmac.new(server_secret(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_token(
    conn: Connection, key: str, seconds: int = TOKEN_SECONDS, now: float | None = None
) -> tuple[str, Caller]:
    """A token for ``key`` lasting ``seconds``, and whose it is; UnauthorizedError for
    an unknown or revoked key."""
    if not 1 <= seconds <= MAX_TOKEN_SECONDS:
        raise InvalidInputError(f"a token lasts 1 to {MAX_TOKEN_SECONDS} s, not {seconds}")
    row = None
    if key.startswith(PREFIX):
        row = conn.execute(CALLER_SQL, {"hash": hash_key(key)}).first()
    if row is None:
        raise UnauthorizedError("unknown or revoked API key")
    caller = caller_of(row)[0]
    expires = int(now if now is not None else time.time()) + seconds
    payload = f"{caller.key_id}.{expires}"
    return f"{TOKEN_PREFIX}{payload}.{_signature(row.key_hash, payload)}", caller


def parse_token(token: str) -> tuple[int, int, str] | None:
    """A token's key id, expiry and signature, if it is well formed."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    parts = token.removeprefix(TOKEN_PREFIX).split(".")
    if len(parts) != 3 or not all(
        0 < len(part) <= MAX_DIGITS and part.isascii() and part.isdigit() for part in parts[:2]
    ):
        return None
    key_id, expires = int(parts[0]), int(parts[1])
    return (key_id, expires, parts[2]) if key_id <= MAX_ID else None


def token_hash(token: str) -> str:
    """How the store names a token it keeps (ended sessions): never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_expiry(token: str) -> int | None:
    """When a well-formed token expires (epoch seconds), else None."""
    parts = parse_token(token)
    return parts[1] if parts else None


def credential_query(
    credential: str, now: float | None = None
) -> tuple[TextClause, dict[str, Any]] | None:
    """The statement that finds a key's or a token's holder (None for a credential
    that can name nobody: malformed, a token past its expiry, or one that claims to
    last longer than any token is issued for)."""
    if credential.startswith(TOKEN_PREFIX):
        parts = parse_token(credential)
        at = now if now is not None else time.time()
        if parts is None or not at < parts[1] <= at + MAX_TOKEN_SECONDS:
            return None
        return TOKEN_CALLER_SQL, {"id": parts[0], "token": token_hash(credential)}
    if not credential.startswith(PREFIX) or len(credential) > 200:
        return None
    return CALLER_SQL, {"hash": hash_key(credential)}


def credential_caller(credential: str, row: Any) -> tuple[Caller, int] | None:
    """The holder of a credential, from the row its query found (None: no row, or a
    token whose signature is not the server's for that key), and their requests per
    minute."""
    if row is None:
        return None
    parts = parse_token(credential)
    if parts is not None:  # a token: signed under the server's secret
        expected = _signature(row.key_hash, f"{parts[0]}.{parts[1]}")
        if not hmac.compare_digest(expected.encode(), parts[2].encode()):
            return None
    return caller_of(row)


def caller_for_credential(
    conn: Connection, credential: str, now: float | None = None
) -> tuple[Caller, int] | None:
    """The caller of an API key or of a token, and their requests per minute; None if
    unknown or revoked, or for a token malformed, altered, signed out or expired (at
    ``now``)."""
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


def end_session(conn: Connection, token: str) -> bool:
    """Sign a token out: it is refused from the next request on, on every worker.
    False for a string that is no live token. Ended tokens past their expiry are
    forgotten here, since they are refused anyway."""
    parts = parse_token(token)
    if parts is None or caller_for_credential(conn, token) is None:
        return False
    conn.execute(text("DELETE FROM ended_session WHERE expires_at < now()"))
    conn.execute(
        text("""INSERT INTO ended_session (token_hash, key_id, expires_at)
                VALUES (:token, :key, to_timestamp(:expires)) ON CONFLICT DO NOTHING"""),
        {"token": token_hash(token), "key": parts[0], "expires": parts[1]},
    )
    return True
