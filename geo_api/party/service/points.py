"""Points (积分): what each step earns per the community's rules (else the city's
default), the member's ledger, and exchanges (兑换), never below zero.

Each step earns once: the unique indexes of migration 0019 hold one entry per
member, action and activity (one 'registered' per member), and every award is an
INSERT ... ON CONFLICT DO NOTHING, so a step recorded twice (two officers, a
re-imported sign-in sheet) is paid once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from geo_api.errors import ConflictError, InvalidInputError
from geo_api.party.service.common import (
    STEPS,
    Who,
    audit,
    community_id_of,
    member_row,
    now,
    within,
)

# The city's default points per step (as migration 0018 seeds them); communities set
# their own in points_rule.
DEFAULT_POINTS = (("registered", 10), ("received", 1), ("checked_in", 5), ("feedback", 2))
MAX_EXCHANGE = 100_000  # points in one exchange: more is a typing slip
ACTION_MAX = 24  # characters of an action's name (points_rule.action)

# The points of an action in a community: its own rule, else the city's default, else 0.
RULE = """coalesce(
    (SELECT r.points FROM points_rule r WHERE r.community_id = {community} AND r.action = {action}),
    (SELECT r.points FROM points_rule r WHERE r.community_id IS NULL AND r.action = {action}), 0)"""
STEP_CONFLICT = "ON CONFLICT (member_id, action, activity_id) WHERE activity_id IS NOT NULL AND points >= 0 DO NOTHING"  # noqa: E501
REGISTERED_CONFLICT = "ON CONFLICT (member_id) WHERE action = 'registered' DO NOTHING"


def seed_default_rules(conn: Connection) -> None:
    """Put back the city's default rules that are missing: reloading a city truncates
    communities with CASCADE, which empties points_rule, defaults included."""
    for action, points in DEFAULT_POINTS:
        conn.execute(
            text("""INSERT INTO points_rule (community_id, action, points) VALUES (NULL, :a, :p)
                    ON CONFLICT (community_id, action) DO NOTHING"""),
            {"a": action, "p": points},
        )


def rule_points(conn: Connection, community_id: int | None, action: str) -> int:
    """The points ``action`` earns in the community (its rule, else the city default)."""
    sql = "SELECT " + RULE.format(community=":c", action=":a")
    return int(conn.execute(text(sql), {"c": community_id, "a": action}).scalar_one())


def award(
    conn: Connection, member_id: int, activity_id: int, community_id: int, action: str, at: datetime
) -> int:
    """Give a member the points of one step of one activity, once; the points given
    (0 when the step was paid already, or earns nothing)."""
    sql = f"""
        INSERT INTO points_entry (member_id, at, points, action, activity_id)
        SELECT :m, :at, p.points, :a, :act FROM (SELECT {RULE.format(community=":c", action=":a")}
            AS points) p WHERE p.points > 0
        {STEP_CONFLICT} RETURNING points"""  # noqa: S608 - constant SQL, values bound
    given = conn.execute(
        text(sql), {"m": member_id, "at": at, "a": action, "act": activity_id, "c": community_id}
    ).scalar()
    return int(given or 0)


def award_missing(conn: Connection, activity_ids: Sequence[int] | None = None) -> int:
    """Give every step recorded on the activities (all: None) the points it has not had
    yet, per the activity's community rules; the entries added. For sign-in sheets and
    the demo city, which record steps in bulk."""
    added = 0
    for action in STEPS[1:]:
        column = f"{action}_at"
        sql = f"""
            INSERT INTO points_entry (member_id, at, points, action, activity_id)
            SELECT am.member_id, am.{column}, p.points, :a, am.activity_id
            FROM activity_member am JOIN activity act ON act.id = am.activity_id
            CROSS JOIN LATERAL (SELECT {RULE.format(community="act.community_id", action=":a")}
                                AS points) p
            WHERE am.{column} IS NOT NULL AND p.points > 0
              AND (CAST(:ids AS int[]) IS NULL OR am.activity_id = ANY(CAST(:ids AS int[])))
            {STEP_CONFLICT}"""  # noqa: S608 - column names from STEPS, values bound
        ids = None if activity_ids is None else list(activity_ids)
        added += conn.execute(text(sql), {"a": action, "ids": ids}).rowcount
    return added


def award_registrations(conn: Connection, member_ids: Sequence[int] | None = None) -> int:
    """Give registered members (all: None) their 'registered' points, once each, dated
    their registration; the entries added."""
    sql = f"""
        INSERT INTO points_entry (member_id, at, points, action)
        SELECT m.id, m.registered_on::timestamp AT TIME ZONE 'Asia/Shanghai', p.points,
               'registered'
        FROM member m
        CROSS JOIN LATERAL (SELECT {RULE.format(community="m.community_id", action="'registered'")}
                            AS points) p
        WHERE p.points > 0
          AND (CAST(:ids AS int[]) IS NULL OR m.id = ANY(CAST(:ids AS int[])))
        {REGISTERED_CONFLICT}"""  # noqa: S608 - constant SQL, values bound
    ids = None if member_ids is None else list(member_ids)
    return conn.execute(text(sql), {"ids": ids}).rowcount


def balance(conn: Connection, member_id: int) -> int:
    """A member's points: earned less exchanged."""
    sql = "SELECT coalesce(sum(points), 0) FROM points_entry WHERE member_id = :m"
    return int(conn.execute(text(sql), {"m": member_id}).scalar_one())


def exchange(
    conn: Connection, member_id: int, points: int, note: str | None, who: Who
) -> dict[str, Any]:
    """Spend ``points`` of a member's (a negative entry); 409 if they have fewer."""
    if not 0 < points <= MAX_EXCHANGE:
        raise InvalidInputError(f"points to exchange must be 1 to {MAX_EXCHANGE}, not {points}")
    member = member_row(conn, member_id)
    within(who, member["community_id"], f"member {member_id}")  # type: ignore[arg-type]
    # The member's row locked: two exchanges at once cannot both spend the same points.
    conn.execute(text("SELECT 1 FROM member WHERE id = :m FOR UPDATE"), {"m": member_id})
    held = balance(conn, member_id)
    if points > held:
        raise ConflictError(f"member {member_id} has {held} points: {points} cannot be exchanged")
    at = now()
    conn.execute(
        text("""INSERT INTO points_entry (member_id, at, points, action, note)
                VALUES (:m, :at, :p, 'exchange', :note)"""),
        {"m": member_id, "at": at, "p": -points, "note": note},
    )
    audit(conn, who, f"exchange {points} points", [f"member:{member_id}"])
    return {"member_id": member_id, "exchanged": points, "balance": held - points, "at": at}


def set_rule(conn: Connection, community: str | None, action: str, points: int) -> dict[str, Any]:
    """Set the points an action earns in a community (None: the city's default)."""
    if not action or len(action) > ACTION_MAX or not action.replace("_", "").isalnum():
        raise InvalidInputError(f"action must be a short word such as checked_in, not {action!r}")
    if not 0 <= points <= 1000:
        raise InvalidInputError(f"points of a rule must be 0 to 1000, not {points}")
    community_id = None if community is None else community_id_of(conn, community)
    conn.execute(
        text("""INSERT INTO points_rule (community_id, action, points) VALUES (:c, :a, :p)
                ON CONFLICT (community_id, action) DO UPDATE SET points = EXCLUDED.points"""),
        {"c": community_id, "a": action, "p": points},
    )
    return {"community": community, "action": action, "points": points}


def rules(conn: Connection, community: str | None = None) -> list[dict[str, Any]]:
    """The rules in force in a community (its own, else the city's), or the city's."""
    community_id = None if community is None else community_id_of(conn, community)
    rows = conn.execute(
        text("""SELECT DISTINCT ON (action) action, points,
                       (community_id IS NOT NULL) AS own
                FROM points_rule
                WHERE community_id IS NULL OR community_id = :c
                ORDER BY action, community_id NULLS LAST"""),
        {"c": community_id},
    ).mappings()
    return [dict(r) for r in rows]
