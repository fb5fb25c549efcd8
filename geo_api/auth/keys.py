"""API keys: made at random, shown once, stored as a SHA-256 hash.

A key is ``gg_`` and 43 URL-safe characters (256 bits), so a hash without a salt
is enough: nobody can guess one to look up. Keys are checked on every request,
so the lookup is one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, text
from sqlalchemy.exc import IntegrityError

from geo_api.auth.roles import ROLES, Caller
from geo_api.errors import InvalidInputError, NotFoundError

PREFIX = "gg_"

CALLER_TEMPLATE = """
SELECT k.id, k.name, k.role, k.per_minute, k.key_hash, k.community_id,
       c.code AS community_code, k.grid_id, g.code AS grid_code
FROM api_key k LEFT JOIN community c ON c.id = k.community_id
LEFT JOIN grid g ON g.id = k.grid_id
WHERE {which} AND k.revoked_at IS NULL
"""
CALLER_SQL = text(CALLER_TEMPLATE.format(which="k.key_hash = :hash"))


@dataclass(frozen=True)
class KeyRow:
    """A key as listed (never the key itself)."""

    id: int
    name: str
    role: str
    prefix: str
    community: str | None
    grid: str | None
    per_minute: int
    created_at: datetime
    revoked_at: datetime | None


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(
    conn: Connection,
    name: str,
    role: str,
    *,
    community: str | None = None,
    grid: str | None = None,
    per_minute: int = 600,
) -> str:
    """Make a key for ``name`` and return it: the only time it is seen."""
    if role not in ROLES:
        raise InvalidInputError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not name.strip():
        raise InvalidInputError("a key needs a name: whose it is")
    if per_minute < 1:
        raise InvalidInputError(f"per_minute must be at least 1, not {per_minute}")
    community_id, grid_id = _area(conn, role, community, grid)
    key = PREFIX + secrets.token_urlsafe(32)
    try:
        with conn.begin_nested():
            conn.execute(
                text("""INSERT INTO api_key (name, role, key_hash, prefix, community_id,
                                             grid_id, per_minute)
                        VALUES (:name, :role, :hash, :prefix, :community, :grid, :rate)"""),
                {
                    "name": name.strip(),
                    "role": role,
                    "hash": hash_key(key),
                    "prefix": key[:10],
                    "community": community_id,
                    "grid": grid_id,
                    "rate": per_minute,
                },
            )
    except IntegrityError:
        raise InvalidInputError(
            f"a key named {name!r} exists: revoke it or pick another name"
        ) from None
    return key


def _area(
    conn: Connection, role: str, community: str | None, grid: str | None
) -> tuple[int | None, int | None]:
    """An officer's community (and grid) ids; other roles have none."""
    if role != "officer":
        if community or grid:
            raise InvalidInputError(f"only officers have a community or grid, not {role}s")
        return None, None
    if grid:
        row = conn.execute(
            text("SELECT community_id, id FROM grid WHERE code = :g"), {"g": grid}
        ).first()
        if row is None:
            raise NotFoundError(f"no grid has the code {grid!r}")
        return int(row[0]), int(row[1])
    if not community:
        raise InvalidInputError("an officer's key needs their community (or grid) code")
    found = conn.execute(text("SELECT id FROM community WHERE code = :c"), {"c": community})
    cid = found.scalar()
    if cid is None:
        raise NotFoundError(f"no community has the code {community!r}")
    return int(cid), None


def caller_for(conn: Connection, key: str) -> tuple[Caller, int] | None:
    """The caller a key belongs to, and their requests per minute; None if unknown
    or revoked."""
    if not key.startswith(PREFIX):
        return None
    row = conn.execute(CALLER_SQL, {"hash": hash_key(key)}).first()
    return None if row is None else caller_of(row)


def caller_of(row: Row[Any] | Any) -> tuple[Caller, int]:
    """A Caller from a row of CALLER_SQL (or anything with its columns as attributes),
    and the key's requests per minute."""
    caller = Caller(
        key_id=row.id,
        name=row.name,
        role=row.role,
        community_id=row.community_id,
        community_code=row.community_code,
        grid_id=row.grid_id,
        grid_code=row.grid_code,
    )
    return caller, int(row.per_minute)


def revoke_key(conn: Connection, name: str) -> None:
    """Revoke the key named ``name``; it stops working at once, on every worker (keys
    and tokens are checked against the store on every request)."""
    done = conn.execute(
        text("UPDATE api_key SET revoked_at = now() WHERE name = :n AND revoked_at IS NULL"),
        {"n": name},
    )
    if done.rowcount == 0:
        raise NotFoundError(f"no live key is named {name!r}")


def list_keys(conn: Connection) -> list[KeyRow]:
    """Every key, newest first."""
    rows = conn.execute(
        text("""SELECT k.id, k.name, k.role, k.prefix, c.code AS community, g.code AS grid,
                       k.per_minute, k.created_at, k.revoked_at
                FROM api_key k LEFT JOIN community c ON c.id = k.community_id
                LEFT JOIN grid g ON g.id = k.grid_id ORDER BY k.id DESC""")
    ).all()
    return [KeyRow(**r._asdict()) for r in rows]
