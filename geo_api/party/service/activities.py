"""Activities members are called to: a time, a place, a community, maybe a project.

Created, changed and cancelled by the community's officers; a cancelled activity
keeps its calls and the points earned (history) but takes no more steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from geo_api.errors import ConflictError, InvalidInputError, NotFoundError
from geo_api.party.service.common import Who, audit, community_id_of, now, within

TITLE_MAX = 200


@dataclass(frozen=True)
class ActivityIn:
    """What an officer gives for an activity (lon/lat in WGS84, optional)."""

    title: str
    community: str  # 12-digit code
    starts_at: datetime
    ends_at: datetime | None = None
    place: str | None = None
    project_id: int | None = None
    category: str | None = None  # list_category.code
    lon: float | None = None
    lat: float | None = None


SELECT = """
    SELECT a.id, a.title, c.code AS community, c.name AS community_name, a.community_id,
           a.project_id, lc.code AS category, a.starts_at, a.ends_at, a.place,
           ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat, a.cancelled_at,
           (SELECT count(*) FROM activity_member am WHERE am.activity_id = a.id) AS called,
           (SELECT count(*) FROM activity_member am WHERE am.activity_id = a.id
              AND am.checked_in_at IS NOT NULL) AS checked_in
    FROM activity a JOIN community c ON c.id = a.community_id
    LEFT JOIN list_category lc ON lc.id = a.category_id"""


def _checked(conn: Connection, given: ActivityIn) -> dict[str, Any]:
    """The activity's columns, every value checked, naming the wrong one."""
    title = given.title.strip()
    if not title or len(title) > TITLE_MAX:
        raise InvalidInputError(f"title must be 1 to {TITLE_MAX} characters, not {given.title!r}")
    if given.starts_at.tzinfo is None:
        raise InvalidInputError(f"starts_at {given.starts_at} needs a time zone (+08:00)")
    if given.ends_at is not None and given.ends_at < given.starts_at:
        raise InvalidInputError(f"ends_at {given.ends_at} is before starts_at {given.starts_at}")
    if (given.lon is None) != (given.lat is None):
        raise InvalidInputError("lon and lat go together: give both or neither")
    if (
        given.lon is not None
        and given.lat is not None
        and not (-180 <= given.lon <= 180 and -90 <= given.lat <= 90)
    ):
        raise InvalidInputError(f"lon/lat {given.lon}, {given.lat} is not a place on Earth")
    category_id = None
    if given.category is not None:
        category_id = conn.execute(
            text("SELECT id FROM list_category WHERE code = :c AND active"), {"c": given.category}
        ).scalar()
        if category_id is None:
            raise InvalidInputError(f"category {given.category!r} is not an active list category")
    if given.project_id is not None:
        found = conn.execute(
            text("SELECT 1 FROM party_project WHERE id = :p"), {"p": given.project_id}
        ).first()
        if found is None:
            raise NotFoundError(f"no project has the id {given.project_id}")
    return {
        "title": title,
        "c": community_id_of(conn, given.community),
        "p": given.project_id,
        "cat": category_id,
        "s": given.starts_at,
        "e": given.ends_at,
        "place": given.place,
        "lon": given.lon,
        "lat": given.lat,
    }


def create_activity(conn: Connection, given: ActivityIn, who: Who) -> dict[str, Any]:
    """Create an activity in a community (an officer's own only)."""
    values = _checked(conn, given)
    within(who, values["c"], f"community {given.community}")
    new_id = conn.execute(
        text("""INSERT INTO activity (title, community_id, project_id, category_id, starts_at,
                                      ends_at, place, geom)
                VALUES (:title, :c, :p, :cat, :s, :e, :place,
                        CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                             ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END)
                RETURNING id"""),
        values,
    ).scalar_one()
    audit(conn, who, "create activity", [f"activity:{new_id}"])
    return get_activity(conn, int(new_id), who)


def get_activity(conn: Connection, activity_id: int, who: Who) -> dict[str, Any]:
    """One activity and how many were called and checked in; 404 if none."""
    row = conn.execute(text(SELECT + " WHERE a.id = :a"), {"a": activity_id}).mappings().first()
    if row is None:
        raise NotFoundError(f"no activity has the id {activity_id}")
    within(who, row["community_id"], f"activity {activity_id}")
    return dict(row)


def open_activity(conn: Connection, activity_id: int, who: Who) -> dict[str, Any]:
    """An activity that may still take steps, locked for them; 409 if cancelled."""
    found = get_activity(conn, activity_id, who)
    conn.execute(text("SELECT 1 FROM activity WHERE id = :a FOR UPDATE"), {"a": activity_id})
    if found["cancelled_at"] is not None:
        raise ConflictError(f"activity {activity_id} was cancelled on {found['cancelled_at']}")
    return found


def update_activity(
    conn: Connection, activity_id: int, given: ActivityIn, who: Who
) -> dict[str, Any]:
    """Change an activity's title, time, place, project or category (not its community)."""
    old = open_activity(conn, activity_id, who)
    values = _checked(conn, given)
    if values["c"] != old["community_id"]:
        raise InvalidInputError(
            f"activity {activity_id} belongs to community {old['community']}: create a new one "
            f"in {given.community} instead"
        )
    conn.execute(
        text("""UPDATE activity SET title = :title, project_id = :p, category_id = :cat,
                       starts_at = :s, ends_at = :e, place = :place,
                       geom = CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                                   ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END
                WHERE id = :a"""),
        {**values, "a": activity_id},
    )
    audit(conn, who, "update activity", [f"activity:{activity_id}"])
    return get_activity(conn, activity_id, who)


def cancel_activity(conn: Connection, activity_id: int, who: Who) -> dict[str, Any]:
    """Cancel an activity: no more steps; its calls and points stay (history)."""
    open_activity(conn, activity_id, who)
    conn.execute(
        text("UPDATE activity SET cancelled_at = :t WHERE id = :a"), {"t": now(), "a": activity_id}
    )
    audit(conn, who, "cancel activity", [f"activity:{activity_id}"])
    return get_activity(conn, activity_id, who)


def list_activities(
    conn: Connection,
    community: str | None,
    year: int | None,
    who: Who,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Activities, newest first, of a community (an officer: their own) and a year."""
    community_id = None if community is None else community_id_of(conn, community)
    if who is not None and who.scoped:
        within(who, community_id if community is not None else who.community_id, "community")
        community_id = who.community_id
    rows = conn.execute(
        text(
            SELECT
            + """ WHERE (CAST(:c AS int) IS NULL OR a.community_id = :c)
                    AND (CAST(:y AS int) IS NULL OR extract(year FROM
                         a.starts_at AT TIME ZONE 'Asia/Shanghai') = :y)
                  ORDER BY a.starts_at DESC, a.id DESC LIMIT :limit OFFSET :offset"""
        ),
        {"c": community_id, "y": year, "limit": limit, "offset": offset},
    ).mappings()
    return [dict(r) for r in rows]
