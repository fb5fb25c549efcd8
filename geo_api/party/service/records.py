"""A member's record (红色账户: entries, balance, steps this year) and a community's
totals (members registered, active this year, check-ins, points)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo_api.party.service.common import (
    Who,
    audit,
    check_year,
    community_id_of,
    member_row,
    within,
)
from geo_api.privacy import mask_name, mask_phone

MAX_ENTRIES = 500
# The year's bounds in China time, as timestamps.
YEAR_START = "make_timestamptz(:y, 1, 1, 0, 0, 0, 'Asia/Shanghai')"
YEAR_END = "make_timestamptz(:y + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai')"


def masked(member: dict[str, Any], reveal: bool) -> dict[str, Any]:
    """A member's name and phone, in full only for roles that see people."""
    if reveal:
        return member
    return {**member, "name": mask_name(member["name"]), "phone": mask_phone(member["phone"])}


def member_record(
    conn: Connection, member_id: int, year: int, who: Who, reveal: bool, limit: int = MAX_ENTRIES
) -> dict[str, Any]:
    """A member's points record: who (masked unless ``reveal``), balance, the year's
    steps and the newest entries. A full read is audited."""
    check_year(year)
    member = member_row(conn, member_id)
    within(who, member["community_id"], f"member {member_id}")  # type: ignore[arg-type]
    steps = (
        conn.execute(
            text(f"""SELECT count(*) AS called, count(received_at) AS received,
                            count(checked_in_at) AS checked_in, count(feedback_at) AS feedback
                     FROM activity_member am JOIN activity a ON a.id = am.activity_id
                     WHERE am.member_id = :m AND a.starts_at >= {YEAR_START}
                       AND a.starts_at < {YEAR_END}"""),  # noqa: S608 - constant SQL
            {"m": member_id, "y": year},
        )
        .mappings()
        .one()
    )
    entries = conn.execute(
        text("""SELECT e.at, e.action, e.points, e.activity_id, a.title AS activity, e.note
                FROM points_entry e LEFT JOIN activity a ON a.id = e.activity_id
                WHERE e.member_id = :m ORDER BY e.at DESC, e.id DESC LIMIT :limit"""),
        {"m": member_id, "limit": limit},
    ).mappings()
    sums = (
        conn.execute(
            text(f"""SELECT coalesce(sum(points), 0) AS balance,
                            coalesce(sum(points) FILTER (WHERE points > 0 AND at >= {YEAR_START}
                                     AND at < {YEAR_END}), 0) AS earned,
                            coalesce(-sum(points) FILTER (WHERE points < 0 AND at >= {YEAR_START}
                                     AND at < {YEAR_END}), 0) AS exchanged
                     FROM points_entry WHERE member_id = :m"""),  # noqa: S608 - constant SQL
            {"m": member_id, "y": year},
        )
        .mappings()
        .one()
    )
    if reveal:
        audit(conn, who, f"read points record year {year}", [f"member:{member_id}"])
    return {
        "member": masked(member, reveal),
        "year": year,
        "balance": int(sums["balance"]),
        "earned": int(sums["earned"]),
        "exchanged": int(sums["exchanged"]),
        "steps": {k: int(v) for k, v in steps.items()},
        "entries": [dict(e) for e in entries],
    }


def community_totals(conn: Connection, code: str, year: int, who: Who) -> dict[str, Any]:
    """A community's year: members registered, active (checked in at least once),
    activities, check-ins, points earned and exchanged."""
    check_year(year)
    community_id = community_id_of(conn, code)
    within(who, community_id, f"community {code}")
    row = (
        conn.execute(
            text(f"""
            SELECT c.code, c.name,
                (SELECT count(*) FROM member m WHERE m.community_id = c.id
                   AND m.registered_on < make_date(:y + 1, 1, 1)) AS registered,
                (SELECT count(DISTINCT am.member_id) FROM activity_member am
                   JOIN member m ON m.id = am.member_id
                   WHERE m.community_id = c.id AND am.checked_in_at >= {YEAR_START}
                     AND am.checked_in_at < {YEAR_END}) AS active,
                (SELECT count(*) FROM activity a WHERE a.community_id = c.id
                   AND a.cancelled_at IS NULL
                   AND a.starts_at >= {YEAR_START} AND a.starts_at < {YEAR_END}) AS activities,
                (SELECT count(*) FROM activity_member am JOIN activity a ON a.id = am.activity_id
                   WHERE a.community_id = c.id AND am.checked_in_at >= {YEAR_START}
                     AND am.checked_in_at < {YEAR_END}) AS check_ins,
                (SELECT coalesce(sum(e.points) FILTER (WHERE e.points > 0), 0)
                   FROM points_entry e JOIN member m ON m.id = e.member_id
                   WHERE m.community_id = c.id AND e.at >= {YEAR_START}
                     AND e.at < {YEAR_END}) AS points_earned,
                (SELECT coalesce(-sum(e.points) FILTER (WHERE e.points < 0), 0)
                   FROM points_entry e JOIN member m ON m.id = e.member_id
                   WHERE m.community_id = c.id AND e.at >= {YEAR_START}
                     AND e.at < {YEAR_END}) AS points_exchanged
            FROM community c WHERE c.id = :c"""),  # noqa: S608 - constant SQL
            {"c": community_id, "y": year},
        )
        .mappings()
        .one()
    )
    out = dict(row)
    out["year"] = year
    for key in ("registered", "active", "activities", "check_ins"):
        out[key] = int(out[key])
    out["points_earned"] = int(out["points_earned"])
    out["points_exchanged"] = int(out["points_exchanged"])
    out["active_share"] = round(out["active"] / out["registered"], 3) if out["registered"] else 0.0
    return out
