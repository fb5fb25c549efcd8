"""What the members' service shares: the clock, the year, who acts, and their area."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, text

from geo_api.auth.audit import record, record_operator
from geo_api.auth.roles import Caller
from geo_api.clock import CHINA
from geo_api.errors import ForbiddenError, InvalidInputError, NotFoundError

# The steps that earn points, in the order of the "four to" (报到 is registration).
STEPS = ("registered", "received", "checked_in", "feedback")
# Who acts: an API caller, or None for the CLI on the store (audited as cli:<user>).
Who = Caller | None


def now() -> datetime:
    """This moment, with its time zone."""
    return datetime.now(UTC)


def this_year() -> int:
    """The year it is in China (the lists' and points' year)."""
    return datetime.now(CHINA).year


def check_year(year: int) -> int:
    """Refuse a year no record can hold."""
    if not 2000 <= year <= 2100:
        raise InvalidInputError(f"year must be between 2000 and 2100, not {year}")
    return year


def within(who: Who, community_id: int | None, what: str) -> None:
    """Hold an officer to their own community (a grid officer's key to its community)."""
    if who is not None and who.scoped and community_id != who.community_id:
        raise ForbiddenError(f"{what} lies outside your area ({who.community_code})")


def audit(conn: Connection, who: Who, action: str, records: list[str]) -> None:
    """Record who did what to whom (a step, an exchange, a full read) in the audit log."""
    if who is None:
        record_operator(conn, action, records)
    else:
        record(conn, who, action, records, None)


def community_id_of(conn: Connection, code: str) -> int:
    """The id of the community with this 12-digit code; 404 if there is none."""
    found = conn.execute(text("SELECT id FROM community WHERE code = :c"), {"c": code}).scalar()
    if found is None:
        raise NotFoundError(f"no community has the code {code!r} (12 digits)")
    return int(found)


def member_row(conn: Connection, member_id: int) -> dict[str, object]:
    """A member's id, name, phone, community and registration date; 404 if unknown."""
    row = (
        conn.execute(
            text("""SELECT m.id, m.name, m.phone, m.community_id, c.code AS community_code,
                           c.name AS community_name, m.registered_on
                    FROM member m LEFT JOIN community c ON c.id = m.community_id
                    WHERE m.id = :m"""),
            {"m": member_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"no member has the id {member_id}")
    return dict(row)
