"""The series of a place's snapshots: the last value of each day, and the change
since yesterday and since last week (days in China's time zone)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.stats.snapshot import TIME_ZONE

LEVELS = {"city": 6, "street": 9, "community": 12}  # level -> digits of its code
MAX_DAYS = 800  # a series longer than two years is a mistake, not a wall
FIGURES = (
    "households",
    "covered",
    "without_head",
    "coverage",
    "heads",
    "heads_over_target",
    "members",
    "stations",
    "gaps_high",
    "gaps_medium",
    "gaps_low",
)
# The figures of a row; coverage in percent of households, with a head.
COLUMNS = """
  households, covered, households - covered AS without_head,
  CASE WHEN households > 0 THEN round(100.0 * covered / households, 1) ELSE 0 END AS coverage,
  heads, heads_over_target, members, stations, gaps_high, gaps_medium, gaps_low
"""
DAYS_SQL = text(
    f"""
SELECT DISTINCT ON (day) (taken_at AT TIME ZONE :tz)::date AS day, taken_at, name, gaps,
       {COLUMNS}
FROM snapshot
WHERE level = :level AND code = :code
  AND taken_at >= (CAST(:start AS date)::timestamp AT TIME ZONE :tz)
  AND taken_at < ((CAST(:stop AS date) + 1)::timestamp AT TIME ZONE :tz)
ORDER BY day, taken_at DESC, id DESC
""".replace("{COLUMNS}", COLUMNS)  # noqa: S608 (a constant)
)
# The newest snapshot, and the last of yesterday and of the day a week ago.
CHANGE_SQL = text(
    f"""
WITH today AS (SELECT (now() AT TIME ZONE :tz)::date AS d)
SELECT which, taken_at, name, {COLUMNS}
FROM (VALUES ('now', 0), ('day', 0), ('week', 6)) AS w(which, back)
CROSS JOIN today
CROSS JOIN LATERAL (
  SELECT * FROM snapshot s
  WHERE s.level = :level AND s.code = :code
    AND (w.which = 'now' OR s.taken_at < ((today.d - w.back)::timestamp AT TIME ZONE :tz))
  ORDER BY s.taken_at DESC, s.id DESC LIMIT 1
) s
""".replace("{COLUMNS}", COLUMNS)  # noqa: S608 (a constant)
)


def city_code(conn: Connection) -> str:
    """The city's 6-digit code (the first digits of its streets' codes)."""
    code = conn.execute(text("SELECT left(min(code), 6) FROM street")).scalar_one_or_none()
    if code is None:
        raise NotFoundError("the store has no city yet: load one with `gridgov demo`")
    return str(code)


def check_place(conn: Connection, level: str, code: str | None) -> str:
    """The place's code, checked against its level (the city's when not given)."""
    if level not in LEVELS:
        raise InvalidInputError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if code is None or code == "":
        if level != "city":
            raise InvalidInputError(f"code is needed for level {level!r}")
        return city_code(conn)
    digits = LEVELS[level]
    if not (code.isascii() and code.isdigit() and len(code) == digits):
        raise InvalidInputError(f"code of a {level} must be {digits} digits, not {code!r}")
    if level != "city":
        found = conn.execute(
            text(f'SELECT 1 FROM "{level}" WHERE code = :c'),  # noqa: S608 (one of LEVELS)
            {"c": code},
        ).first()
        if found is None:
            raise NotFoundError(f"no {level} has the code {code!r}")
    elif code != city_code(conn):
        raise NotFoundError(f"the city's code is {city_code(conn)}, not {code!r}")
    return code


def check_span(start: date | None, stop: date | None, today: date) -> tuple[date, date]:
    """The days asked for: the last 30 up to today unless given."""
    stop = stop or today
    start = start or stop - timedelta(days=29)
    if start > stop:
        raise InvalidInputError(f"from ({start}) is after to ({stop})")
    if (stop - start).days >= MAX_DAYS:
        raise InvalidInputError(f"from {start} to {stop} is over {MAX_DAYS} days")
    return start, stop


def today(conn: Connection) -> date:
    """Today in China."""
    return conn.execute(  # type: ignore[no-any-return]
        text("SELECT (now() AT TIME ZONE :tz)::date"), {"tz": TIME_ZONE}
    ).scalar_one()


def _figures(row: Any) -> dict[str, Any]:
    return {k: float(row[k]) if k == "coverage" else int(row[k]) for k in FIGURES}


def daily(conn: Connection, level: str, code: str, start: date, stop: date) -> list[dict[str, Any]]:
    """The last snapshot of each day from ``start`` to ``stop`` (days with none left out)."""
    rows = conn.execute(
        DAYS_SQL, {"tz": TIME_ZONE, "level": level, "code": code, "start": start, "stop": stop}
    ).mappings()
    return [{"day": row["day"].isoformat(), **_figures(row), "gaps": row["gaps"]} for row in rows]


def changes(conn: Connection, level: str, code: str) -> dict[str, Any]:
    """The newest figures, and their change since yesterday's and last week's last
    snapshot (None where there was none yet)."""
    rows = {
        row["which"]: row
        for row in conn.execute(
            CHANGE_SQL, {"tz": TIME_ZONE, "level": level, "code": code}
        ).mappings()
    }
    now = rows.get("now")
    if now is None:
        return {"taken_at": None, "name": None, "figures": None, "day": None, "week": None}
    figures = _figures(now)

    def delta(which: str) -> dict[str, float] | None:
        before = rows.get(which)
        if before is None:
            return None
        old = _figures(before)
        return {k: round(figures[k] - old[k], 1) for k in FIGURES}

    return {
        "taken_at": now["taken_at"].isoformat(timespec="seconds"),
        "name": now["name"],
        "figures": figures,
        "day": delta("day"),
        "week": delta("week"),
    }


def stats(
    conn: Connection,
    level: str,
    code: str | None,
    start: date | None = None,
    stop: date | None = None,
) -> dict[str, Any]:
    """A place's daily series and its latest figures with their changes."""
    code = check_place(conn, level, code)
    start, stop = check_span(start, stop, today(conn))
    return {
        "level": level,
        "code": code,
        "from": start.isoformat(),
        "to": stop.isoformat(),
        **changes(conn, level, code),
        "days": daily(conn, level, code, start, stop),
    }
