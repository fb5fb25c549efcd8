"""Who changes a roster, and the record of it: each change of an officer or a member
sets the row's changed_by and changed_at, and writes an audit row naming the
records, the action and the person (an API key, or the system user of the CLI)."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from geo_api.clock import today
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.importer.phones import normalise_phone, phone_problem

NAME_MAX = 50


@dataclass(frozen=True)
class Who:
    """Whoever makes a change: an API key's holder, or the CLI's system user."""

    name: str
    role: str = "admin"
    key_id: int | None = None

    @property
    def reveals(self) -> bool:
        """Whether their answers show names and phones in full (geo_api.auth.roles)."""
        return self.role in ("admin", "officer")

    @classmethod
    def operator(cls) -> Who:
        """The person at gridgov's command line (no key: the system user, as an admin)."""
        return cls(f"cli:{getpass.getuser()}")


def noted(
    conn: Connection, who: Who, action: str, records: list[str], reason: str | None = None
) -> None:
    """Write the audit row of a change (in the change's transaction)."""
    conn.execute(
        text("""INSERT INTO audit_log (key_id, key_name, role, action, records, reason)
                VALUES (:key, :name, :role, :action, :records, :reason)"""),
        {"key": who.key_id, "name": who.name, "role": who.role, "action": action,
         "records": ",".join(records), "reason": reason},
    )  # fmt: skip


def checked_name(name: Any, field: str = "name") -> str:
    """A person's name, trimmed; empty or too long is refused naming the field."""
    value = str(name or "").strip()
    if not value:
        raise InvalidInputError(f"{field}: missing")
    if len(value) > NAME_MAX:
        raise InvalidInputError(f"{field} {value[:20]!r}…: longer than {NAME_MAX} characters")
    return value


def checked_phone(phone: Any) -> str:
    """A Chinese phone number, normalised as the importer does; a bad one is refused."""
    value = normalise_phone(str(phone or ""))
    if not value:
        raise InvalidInputError("phone: missing")
    problem = phone_problem(value)
    if problem:
        raise InvalidInputError(f"phone {str(phone)!r}: {problem}")
    return value


def checked_date(value: date | None, field: str, *, not_before: date | None = None) -> date | None:
    """A date no later than today (and not before ``not_before``), or None."""
    if value is None:
        return None
    if value > today():
        raise InvalidInputError(f"{field} {value}: in the future")
    if not_before is not None and value < not_before:
        raise InvalidInputError(f"{field} {value}: before {not_before}")
    return value


def place_id(conn: Connection, level: str, code: str) -> tuple[int, int]:
    """(id, community id) of the community or grid a code (or name) names."""
    from geo_api.lookup.places import resolve_code

    found = resolve_code(conn, level, code)
    sql = {
        "community": "SELECT id, id FROM community WHERE code = :code",
        "grid": "SELECT id, community_id FROM grid WHERE code = :code",
    }[level]
    row = conn.execute(text(sql), {"code": found}).first()
    if row is None:
        from geo_api.errors import NotFoundError

        raise NotFoundError(f"{level} {code!r} does not exist")
    return int(row[0]), int(row[1])


# The rosters whose rows a change locks: the table and what its people are called.
ROSTERS = {"member": "member", "grid_officer": "grid officer"}


def serving(conn: Connection, table: str, row_id: int) -> RowMapping:
    """The row of someone still serving, locked for the change about to be made; 404 for
    nobody, a refusal for someone who left (as of today)."""
    what = ROSTERS[table]
    row = (
        conn.execute(text(f"SELECT * FROM {table} WHERE id = :id FOR UPDATE"), {"id": row_id})  # noqa: S608 - table from ROSTERS
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"{what} {row_id} does not exist")
    if row["left_on"] is not None and row["left_on"] <= today():
        raise InvalidInputError(f"{what} {row_id} left already, on {row['left_on']}")
    return row
