"""What changed in an officer's area since a moment: ``/me/changes``.

Built over the history the store keeps, one source per kind of event, each a query
giving the same columns (kind, at, what, who, place, ref), held to the area and to
``at >= :since``. The entries of every source are merged newest first and paged;
a new kind of event (a head appointed, a household that moved out) is one more
Source in SOURCES. Names never appear: heads and households are named by id, so
the list needs no masking and no audit.

Sources today: households given a unit head or left without one (assignment), its
locks, places covered or left uncovered (place_cover), heads who stepped down
(left_on), heads who started covering people (their first history entry), and the
assignment runs. Imports leave no record of their own (data_change holds a
transaction only until it commits), so they show through what they changed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from geo_api.catalogue.scope import Area
from geo_api.errors import InvalidInputError

MAX_PAGE = 500
DEFAULT_DAYS = 7

# The units of the area, with what names them (a community, or one grid of it).
UNITS = """SELECT u.id, format('%s%s号楼%s单元', cp.name, coalesce(b.label, b.number::text),
                               u.number) AS place
    FROM compound cp JOIN building b ON b.compound_id = cp.id JOIN unit u ON u.building_id = b.id
    WHERE cp.community_id = :community AND (CAST(:grid AS int) IS NULL OR cp.grid_id = :grid)"""
TITLE = "CASE {role} WHEN 'compound' THEN '小区长' WHEN 'building' THEN '楼长' ELSE '单元长' END"

# A place_cover row's place, community and grid (row ``pc``).
COVER_PLACE = """
    LEFT JOIN building b ON b.id = pc.building_id
    LEFT JOIN compound cb ON cb.id = b.compound_id
    LEFT JOIN compound cc ON cc.id = pc.compound_id
    LEFT JOIN grid g ON g.id = pc.grid_id"""
COVER_NAME = """coalesce(format('%s%s号楼', cb.name, coalesce(b.label, b.number::text)),
                         cc.name, g.name, pc.place_label)"""
COVER_IN_AREA = """coalesce(cb.community_id, cc.community_id, g.community_id) = :community
    AND (CAST(:grid AS int) IS NULL OR coalesce(cb.grid_id, cc.grid_id, g.id) = :grid)"""
COVER_WHO = """CASE WHEN pc.level = 'grid' THEN format('网格员%s', pc.officer_id)
                    ELSE format('%s%s', {title}, pc.head_id) END""".replace(
    "{title}", TITLE.format(role="pc.level")
)
# A head's place, community and grid (row ``hd``).
HEAD_PLACE = """
    LEFT JOIN unit u ON u.id = hd.unit_id
    LEFT JOIN building b ON b.id = coalesce(u.building_id, hd.building_id)
    JOIN compound cp ON cp.id = coalesce(b.compound_id, hd.compound_id)"""
HEAD_PLACE_NAME = """cp.name || coalesce(coalesce(b.label, b.number::text) || '号楼', '')
    || coalesce(u.number || '单元', '')"""
HEAD_IN_AREA = "cp.community_id = :community AND (CAST(:grid AS int) IS NULL OR cp.grid_id = :grid)"


@dataclass(frozen=True)
class Source:
    """One kind of event: a query of (kind, at, what, who, place, ref) over the area."""

    name: str
    sql: str


SOURCES: list[Source] = [
    Source(
        "assignments opened",
        f"""
        SELECT CASE WHEN prev.head_id = a.head_id
                    THEN CASE WHEN a.locked THEN 'assignment_locked' ELSE 'assignment_unlocked' END
                    ELSE 'household_assigned' END AS kind,
               a.valid_from AS at,
               CASE WHEN prev.head_id = a.head_id
                    THEN format('住户%s与单元长%s的联系%s', a.household_id, a.head_id,
                                CASE WHEN a.locked THEN '已锁定' ELSE '已解锁' END)
                    ELSE format('住户%s由单元长%s联系（%s）', a.household_id, a.head_id,
                                coalesce(format('原为单元长%s', prev.head_id), '此前无人联系'))
               END AS what,
               coalesce(a.changed_by, format('分配运行%s', a.run_id)) AS who,
               p.place, format('household:%s', a.household_id) AS ref
        FROM assignment a JOIN household h ON h.id = a.household_id
        JOIN ({UNITS}) p ON p.id = h.unit_id
        LEFT JOIN LATERAL (SELECT x.head_id FROM assignment x
                           WHERE x.household_id = a.household_id AND x.id <> a.id
                             AND x.valid_to IS NOT NULL AND x.valid_to <= a.valid_from
                           ORDER BY x.valid_to DESC, x.id DESC LIMIT 1) prev ON true
        WHERE a.valid_from >= :since""",  # noqa: S608 - constant SQL
    ),
    Source(
        "assignments closed",
        f"""
        SELECT 'household_unassigned' AS kind, a.valid_to AS at,
               format('住户%s不再由单元长%s联系，目前无人联系', a.household_id, a.head_id) AS what,
               NULL AS who, p.place, format('household:%s', a.household_id) AS ref
        FROM assignment a JOIN household h ON h.id = a.household_id
        JOIN ({UNITS}) p ON p.id = h.unit_id
        WHERE a.valid_to >= :since
          AND NOT EXISTS (SELECT 1 FROM assignment n WHERE n.household_id = a.household_id
                          AND n.valid_from >= a.valid_to)""",  # noqa: S608 - constant SQL
    ),
    Source(
        "places covered",
        f"""
        SELECT 'place_covered' AS kind, pc.valid_from AS at,
               format('%s由%s负责%s', {COVER_NAME}, {COVER_WHO},
                      CASE WHEN pc.reason = 'nearest' THEN '（就近代管）' ELSE '' END) AS what,
               format('分配运行%s', pc.run_id) AS who, {COVER_NAME} AS place,
               format('%s:%s', pc.level, coalesce(pc.building_id, pc.compound_id, pc.grid_id))
                 AS ref
        FROM place_cover pc {COVER_PLACE}
        WHERE pc.valid_from >= :since AND {COVER_IN_AREA}""",  # noqa: S608 - constant SQL
    ),
    Source(
        "places left uncovered",
        f"""
        SELECT 'place_uncovered' AS kind, pc.valid_to AS at,
               format('%s不再由%s负责，目前无人负责', {COVER_NAME}, {COVER_WHO}) AS what,
               NULL AS who, {COVER_NAME} AS place,
               format('%s:%s', pc.level, coalesce(pc.building_id, pc.compound_id, pc.grid_id))
                 AS ref
        FROM place_cover pc {COVER_PLACE}
        WHERE pc.valid_to >= :since AND {COVER_IN_AREA}
          AND NOT EXISTS (SELECT 1 FROM place_cover n WHERE n.level = pc.level
                          AND n.valid_from >= pc.valid_to
                          AND n.building_id IS NOT DISTINCT FROM pc.building_id
                          AND n.compound_id IS NOT DISTINCT FROM pc.compound_id
                          AND n.grid_id IS NOT DISTINCT FROM pc.grid_id)""",  # noqa: S608 - constant SQL
    ),
    Source(
        "heads who stepped down",
        f"""
        SELECT 'head_left' AS kind, CAST(hd.left_on AS timestamptz) AS at,
               format('%s%s卸任', {TITLE.format(role="hd.role")}, hd.id) AS what,
               NULL AS who, {HEAD_PLACE_NAME} AS place, format('head:%s', hd.id) AS ref
        FROM head hd {HEAD_PLACE}
        WHERE hd.left_on IS NOT NULL AND hd.left_on <= current_date
          -- a date: a head leaving on the day of ``since`` is listed
          AND hd.left_on >= CAST(:since AS date) AND {HEAD_IN_AREA}""",  # noqa: S608 - constant SQL
    ),
    Source(
        "heads who started",
        f"""
        SELECT 'head_started' AS kind, f.first_at AS at,
               format('%s%s开始履职', {TITLE.format(role="hd.role")}, hd.id) AS what,
               NULL AS who, {HEAD_PLACE_NAME} AS place, format('head:%s', hd.id) AS ref
        FROM head hd {HEAD_PLACE}
        JOIN (SELECT head_id, min(valid_from) AS first_at
              FROM (SELECT head_id, valid_from FROM assignment
                    UNION ALL SELECT head_id, valid_from FROM place_cover
                    WHERE head_id IS NOT NULL) x
              GROUP BY head_id) f ON f.head_id = hd.id
        WHERE f.first_at >= :since AND {HEAD_IN_AREA}""",  # noqa: S608 - constant SQL
    ),
    Source(
        "assignment runs",
        """
        SELECT 'assignment_run' AS kind, coalesce(r.finished_at, r.started_at) AS at,
               format('分配运行%s（全市）：%s户已分配，%s户未分配，%s户换了单元长，'
                      '%s户新覆盖，%s户不再覆盖', r.id, r.assigned, r.unassigned, r.moved,
                      r.added, r.dropped) AS what,
               NULL AS who, NULL AS place, format('run:%s', r.id) AS ref
        FROM assignment_run r
        WHERE coalesce(r.finished_at, r.started_at) >= :since""",
    ),
]


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
        # The page's entries are among the first offset + limit of each source.
        rows = conn.execute(
            text(f"SELECT * FROM ({source.sql}) s ORDER BY at DESC, ref LIMIT :n"),  # noqa: S608
            params,
        ).mappings()
        found += [Change(**row) for row in rows]
    found.sort(key=lambda c: (c.at, c.kind, c.ref), reverse=True)
    return total, found[offset : offset + limit]


def parse_since(given: str | None, now: datetime | None = None) -> datetime:
    """The moment ``since`` names: an ISO date (from its midnight) or date-time; none
    means a week ago. A date or time without a zone is the store's local time."""
    if given is None or not given.strip():
        return (now or datetime.now(UTC)) - timedelta(days=DEFAULT_DAYS)
    value = given.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day)  # noqa: DTZ001 - the store's zone
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(
            f"since {given[:40]!r} is not an ISO date or date-time "
            "(2026-12-01, 2026-12-01T08:00 or 2026-12-01T08:00+08:00)"
        ) from None


def as_dict(change: Change) -> dict[str, Any]:
    """A change as a plain dict (the API's answer)."""
    return asdict(change)
