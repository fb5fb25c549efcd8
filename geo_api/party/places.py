"""Streets and communities named by code or name, for the party lists."""

from __future__ import annotations

from sqlalchemy import Connection, text

from geo_api.errors import NotFoundError
from geo_api.lookup.places import resolve_code


def community_id(conn: Connection, given: str) -> int:
    """The id of the community named by its 12-digit code or its name."""
    code = resolve_code(conn, "community", given)
    found = conn.execute(text("SELECT id FROM community WHERE code = :c"), {"c": code}).first()
    if found is None:
        raise NotFoundError(f"no community {given!r} (`gridgov communities` lists them)")
    return int(found.id)


def street_id(conn: Connection, given: str) -> int:
    """The id of the street named by its 9-digit code or its name (路东 for 路东街道)."""
    wanted = given.strip()
    found = conn.execute(
        text("""SELECT id FROM street WHERE code = :v OR name = :v OR name = :v || '街道'
                ORDER BY id LIMIT 1"""),
        {"v": wanted},
    ).first()
    if found is None:
        raise NotFoundError(f"no street {given!r}")
    return int(found.id)
