"""What changed in an officer's area since a moment: ``/me/changes``.

Built over the history the store keeps, one source per kind of event, each a query
giving the same columns (kind, at, what, who, place, ref), held to the area and to
``at >= :since``. The entries of every source are merged newest first and paged;
a new kind of event (a head appointed, a household that moved out) is one more
Source in SOURCES. Names never appear: heads and households are named by id, so
the list needs no masking and no audit.

The sources (geo_api.rosters.change_sources): households given a unit head or left
without one (assignment) and its locks, places covered or left uncovered
(place_cover), the assignment runs; heads appointed, retired (with why and by whom),
moved, and their consent to the placards (the audit log); households ended and
relocated; officers appointed and retired; members registered and left; party
projects created and activities held. Imports leave no record of their own
(data_change holds a transaction only until it commits), so they show through what
they changed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from geo_api.catalogue.scope import Area
from geo_api.clock import CHINA
from geo_api.errors import InvalidInputError
from geo_api.rosters.change_sources import SOURCES

MAX_PAGE = 500
# The merge's order (Python compares text by code point: so does the C collation).
NEWEST_FIRST = 'at DESC, kind COLLATE "C" DESC, ref COLLATE "C" DESC'
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Change:
    """One thing that changed: its kind, when, what, who made it (if recorded), where."""

    kind: str
    at: datetime
    what: str
    who: str | None
    place: str | None
    ref: str  # what it is about: household:40, head:12, building:7, run:3


def changes_in_area(
    conn: Connection, area: Area, since: datetime, limit: int = 100, offset: int = 0
) -> tuple[int, list[Change]]:
    """The changes in ``area`` from ``since`` on, newest first: their total and one page."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInputError(f"limit must be 1 to {MAX_PAGE} and offset at least 0")
    params: dict[str, Any] = {
        "community": area.community_id,
        "grid": area.grid_id,
        "since": since,
        "n": offset + limit,
    }
    total = 0
    found: list[Change] = []
    for source in SOURCES:
        total += conn.execute(
            text(f"SELECT count(*) FROM ({source.sql}) s"),  # noqa: S608 - constant SQL
            params,
        ).scalar_one()
        # The page's entries are among the first offset + limit of each source, in
        # the order of the merge below (ties on the day broken the same way).
        rows = conn.execute(
            text(f"SELECT * FROM ({source.sql}) s ORDER BY {NEWEST_FIRST} LIMIT :n"),  # noqa: S608
            params,
        ).mappings()
        found += [Change(**row) for row in rows]
    found.sort(key=lambda c: (c.at, c.kind, c.ref), reverse=True)
    return total, found[offset : offset + limit]


def parse_since(given: str | None, now: datetime | None = None) -> datetime:
    """The moment ``since`` names: an ISO date (from its midnight) or date-time; none
    means a week ago. A date or time without a zone is China's (geo_api.clock), not
    the server's: an officer's "since this morning" is their morning."""
    if given is None or not given.strip():
        return (now or datetime.now(UTC)) - timedelta(days=DEFAULT_DAYS)
    value = given.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=CHINA)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)
    except ValueError:
        raise InvalidInputError(
            f"since {given[:40]!r} is not an ISO date or date-time "
            "(2026-12-01, 2026-12-01T08:00 or 2026-12-01T08:00+08:00)"
        ) from None


def as_dict(change: Change) -> dict[str, Any]:
    """A change as a plain dict (the API's answer)."""
    return asdict(change)
