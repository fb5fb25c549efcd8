"""Generations: which one is current, which was valid on a date, and new ones.

A generation is valid from ``valid_from`` until the day before ``valid_to`` (open:
still). Only generations made current (``activated``) have dates in force; a new
one waits with the ``valid_from`` it was imported with (or none: the day it is made
current).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from geo_api.clock import TODAY_SQL
from geo_api.digits import whole
from geo_api.errors import ConflictError, InvalidInputError, NotFoundError

COLUMNS = "id, name, created, activated, valid_from, valid_to, layers"


@dataclass(frozen=True)
class Generation:
    """One generation's row."""

    id: int
    name: str
    created: datetime
    activated: datetime | None
    valid_from: date | None
    valid_to: date | None
    layers: tuple[str, ...]

    @property
    def pending(self) -> bool:
        """Imported, not yet made current."""
        return self.activated is None

    def as_dict(self) -> dict[str, Any]:
        """For JSON answers and tables."""
        return {
            "id": self.id,
            "name": self.name,
            "created": self.created.isoformat(),
            "activated": None if self.activated is None else self.activated.isoformat(),
            "valid_from": None if self.valid_from is None else self.valid_from.isoformat(),
            "valid_to": None if self.valid_to is None else self.valid_to.isoformat(),
            "layers": list(self.layers),
        }


def _row(row: Any) -> Generation:
    """A Generation from a row of COLUMNS."""
    return Generation(
        int(row.id),
        str(row.name),
        row.created,
        row.activated,
        row.valid_from,
        row.valid_to,
        tuple(row.layers or ()),
    )


def parse_date(value: str | date | None, field: str) -> date | None:
    """An ISO 8601 date (2025-06-01), or None; a bad one names ``field`` and the value."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(
            f"{field} {value[:40]!r} is not an ISO 8601 date (e.g. 2025-06-01)"
        ) from None


def generations(conn: Connection) -> list[Generation]:
    """Every generation, oldest first."""
    rows = conn.execute(text(f"SELECT {COLUMNS} FROM generation ORDER BY id"))  # noqa: S608
    return [_row(r) for r in rows]


def current(conn: Connection) -> Generation:
    """The generation in force: the last one made current."""
    row = conn.execute(
        text(
            f"SELECT {COLUMNS} FROM generation WHERE activated IS NOT NULL "  # noqa: S608
            "ORDER BY id DESC LIMIT 1"
        )
    ).first()
    if row is None:  # migration 0022 and every city load make generation 1
        raise NotFoundError("no generation is current: run gridgov db migrate")
    return _row(row)


def named(conn: Connection, ref: str | int) -> Generation:
    """A generation by its id or its name."""
    key = str(ref).strip()
    number = whole(key, max_digits=9)
    row = conn.execute(
        text(
            f"SELECT {COLUMNS} FROM generation WHERE name = :key OR id = :id "  # noqa: S608
            "ORDER BY name = :key DESC, id LIMIT 1"
        ),
        {"key": key, "id": number},
    ).first()
    if row is None:
        known = ", ".join(f"{g.id} {g.name!r}" for g in generations(conn))
        raise NotFoundError(f"generation {key!r} does not exist (there are: {known})")
    return _row(row)


def valid_on(conn: Connection, day: date) -> Generation:
    """The generation whose boundaries were in force on ``day``; a day before the
    first generation's start is a NotFoundError that says when it starts."""
    row = conn.execute(
        text(
            f"SELECT {COLUMNS} FROM generation WHERE activated IS NOT NULL "  # noqa: S608
            "AND valid_from <= :day AND (valid_to IS NULL OR valid_to > :day) "
            "ORDER BY id DESC LIMIT 1"
        ),
        {"day": day},
    ).first()
    if row is not None:
        return _row(row)
    first = conn.execute(
        text("SELECT min(valid_from) FROM generation WHERE activated IS NOT NULL")
    ).scalar()
    raise NotFoundError(
        f"at {day.isoformat()}: no boundaries known before {first} (the first generation's "
        "start; gridgov generations dates 1 --from DATE moves it back)"
    )


def at(conn: Connection, day: str | date | None, field: str = "at") -> Generation | None:
    """The generation valid on ``day`` (an ISO date), or None for no date (the current
    one, read from the areas' own tables)."""
    parsed = parse_date(day, field)
    if parsed is None:
        return None
    found = valid_on(conn, parsed)
    return None if found.id == current(conn).id else found


def pending(conn: Connection, name: str, valid_from: date | None, by: str | None) -> Generation:
    """The new generation ``name``: made if it does not exist; an existing one must not
    be current or past yet (a layer is imported into it)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInputError(f"generation {name!r}: a name of 1 to 200 characters")
    existing = conn.execute(
        text(f"SELECT {COLUMNS} FROM generation WHERE name = :n"),  # noqa: S608
        {"n": name},
    ).first()
    if existing is not None:
        found = _row(existing)
        if not found.pending:
            raise ConflictError(
                f"generation {name!r} was made current on {found.activated}: its boundaries are "
                "history; import into a new generation"
            )
        if valid_from is not None and valid_from != found.valid_from:
            check_start(conn, valid_from)
            conn.execute(
                text("UPDATE generation SET valid_from = :d WHERE id = :id"),
                {"d": valid_from, "id": found.id},
            )
        return named(conn, found.id)
    other = conn.execute(
        text("SELECT name FROM generation WHERE activated IS NULL ORDER BY id LIMIT 1")
    ).scalar()
    if other is not None:
        raise ConflictError(
            f"generation {other!r} is waiting to be made current: import into it, make it "
            f"current (gridgov generations activate) or drop it before starting {name!r}"
        )
    check_start(conn, valid_from)
    new_id = conn.execute(
        text(
            "INSERT INTO generation (name, valid_from, changed_by) VALUES (:n, :d, :by) "
            "RETURNING id"
        ),
        {"n": name, "d": valid_from, "by": by},
    ).scalar_one()
    return named(conn, int(new_id))


def check_start(conn: Connection, valid_from: date | None) -> None:
    """A new generation starts after the current one started."""
    now = current(conn)
    if valid_from is not None and now.valid_from is not None and valid_from <= now.valid_from:
        raise InvalidInputError(
            f"valid_from {valid_from.isoformat()}: not after the current generation "
            f"{now.name!r}, valid from {now.valid_from.isoformat()}"
        )


def set_start(conn: Connection, ref: str | int, valid_from: date) -> Generation:
    """Move a generation's start (e.g. the initial one back to when its boundaries were
    drawn): it must stay after the generation before it and before its own end."""
    found = named(conn, ref)
    before = conn.execute(
        text("SELECT max(valid_from) FROM generation WHERE id < :id AND activated IS NOT NULL"),
        {"id": found.id},
    ).scalar()
    if before is not None and valid_from <= before:
        raise InvalidInputError(
            f"from {valid_from.isoformat()}: not after the previous generation's start {before}"
        )
    if found.valid_to is not None and valid_from >= found.valid_to:
        raise InvalidInputError(
            f"from {valid_from.isoformat()}: not before its end {found.valid_to.isoformat()}"
        )
    conn.execute(
        text("UPDATE generation SET valid_from = :d WHERE id = :id"),
        {"d": valid_from, "id": found.id},
    )
    # The previous generation ends where this one starts, once this one is current: a
    # generation still waiting leaves today's boundaries in force until it is activated.
    if before is not None and not found.pending:
        conn.execute(
            text(
                "UPDATE generation SET valid_to = :d WHERE id = (SELECT max(id) FROM "
                "generation WHERE id < :id AND activated IS NOT NULL)"
            ),
            {"d": valid_from, "id": found.id},
        )
    return named(conn, found.id)


def drop(conn: Connection, ref: str | int) -> Generation:
    """Forget a generation not yet made current, with its imported areas."""
    found = named(conn, ref)
    if not found.pending:
        raise ConflictError(f"generation {found.name!r} was made current: its history stays")
    conn.execute(text("DELETE FROM generation WHERE id = :id"), {"id": found.id})
    return found


def reset(conn: Connection) -> None:
    """A new city replaces the old one's generations with one, 'initial', from today
    (called by the city loader after it empties the area tables)."""
    conn.execute(text("DELETE FROM area_version"))
    conn.execute(text("DELETE FROM generation"))
    conn.execute(
        text(
            "INSERT INTO generation (id, name, activated, valid_from) "  # noqa: S608 - constant
            f"VALUES (1, 'initial', now(), {TODAY_SQL})"
        )
    )
    conn.execute(text("SELECT setval('generation_id_seq', 1)"))
