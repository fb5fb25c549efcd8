"""Registrations (报到) of party members by month and community: how many serving and
retired members registered with each community each month, and how many of them
have left since. ``registered_on`` is what the members register keeps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from geo_api.clock import today
from geo_api.errors import InvalidInputError

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
MAX_MONTHS = 240
SQL = text("""
SELECT to_char(date_trunc('month', m.registered_on), 'YYYY-MM') AS month,
       c.code AS community_code, c.name AS community_name,
       count(*) FILTER (WHERE m.status = 'serving')::int AS serving,
       count(*) FILTER (WHERE m.status = 'retired')::int AS retired,
       count(*)::int AS registered,
       count(*) FILTER (WHERE m.left_on IS NOT NULL AND m.left_on <= china_today())::int AS left
FROM member m LEFT JOIN community c ON c.id = m.community_id
WHERE m.registered_on >= :start AND m.registered_on < :stop
  AND (CAST(:community AS int) IS NULL OR m.community_id = :community)
GROUP BY 1, c.code, c.name
ORDER BY 1, c.code NULLS LAST
""")


@dataclass(frozen=True)
class Registrations:
    """Rows of (month, community, serving, retired, registered, left), and totals."""

    start: date
    stop: date  # exclusive: the first day after the last month
    rows: list[dict[str, Any]]

    @property
    def last(self) -> date:
        """The first day of the last month counted."""
        return date(self.stop.year - (self.stop.month == 1), (self.stop.month - 2) % 12 + 1, 1)

    @property
    def totals(self) -> dict[str, int]:
        """The same counts over every row."""
        keys = ("serving", "retired", "registered", "left")
        return {k: sum(int(r[k]) for r in self.rows) for k in keys}


def month_start(value: str, field: str) -> date:
    """The first day of the month a 'YYYY-MM' (or a date in it) names."""
    found = _MONTH.match(value.strip())
    if found is None:
        raise InvalidInputError(f"{field} {value!r}: give a month as YYYY-MM (2024-03)")
    year, month = int(found[1]), int(found[2])
    if not (1900 <= year <= 2999 and 1 <= month <= 12):
        raise InvalidInputError(f"{field} {value!r}: no such month")
    return date(year, month, 1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def registrations(
    conn: Connection,
    start: str | None = None,
    stop: str | None = None,
    community_id: int | None = None,
) -> Registrations:
    """Registrations from month ``start`` to month ``stop`` (both included; default: the
    last twelve months) per month and community, of one community or all."""
    now = today()
    last = month_start(stop, "to") if stop else date(now.year, now.month, 1)
    first = month_start(start, "from") if start else date(last.year - 1, last.month, 1)
    first = first if start else _next_month(first)
    if first > last:
        raise InvalidInputError(f"from {first:%Y-%m} is after to {last:%Y-%m}")
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        raise InvalidInputError(f"from {first:%Y-%m} to {last:%Y-%m}: at most {MAX_MONTHS} months")
    end = _next_month(last)
    rows = [
        dict(r)
        for r in conn.execute(
            SQL, {"start": first, "stop": end, "community": community_id}
        ).mappings()
    ]
    return Registrations(first, end, rows)
