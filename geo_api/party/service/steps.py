"""The "four to" steps after registration (报到): the notice sent and received
(预告收到), the check-in (活动签到) and the feedback (反馈得到), each earning its
points once (geo_api.party.service.points).

A step recorded twice is recorded once: its time is set only when it is unset, so
checking in twice keeps the first time and gives the points once. The member's own
code, sent with the notice, lets them check in at the door without an officer.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.party.service.activities import open_activity
from geo_api.party.service.common import Who, audit, member_row, now
from geo_api.party.service.points import award

EARLY = timedelta(hours=2)  # a check-in may come this long before the start
FEEDBACK_MAX = 2000  # characters
CODE_DIGITS = 6


def _member_of(conn: Connection, member_id: int) -> dict[str, Any]:
    return member_row(conn, member_id)


def notify(
    conn: Connection, activity_id: int, member_ids: Sequence[int] | None, who: Who
) -> dict[str, Any]:
    """Send the notice (预告) to members (None: every member registered with the
    activity's community); each called member gets their own check-in code. Members
    notified before are left as they were."""
    act = open_activity(conn, activity_id, who)
    if member_ids is None:
        ids = list(
            conn.execute(
                text("SELECT id FROM member WHERE community_id = :c ORDER BY id"),
                {"c": act["community_id"]},
            ).scalars()
        )
    else:
        ids = sorted(set(member_ids))
        known = set(
            conn.execute(text("SELECT id FROM member WHERE id = ANY(:ids)"), {"ids": ids}).scalars()
        )
        unknown = [m for m in ids if m not in known]
        if unknown:
            raise NotFoundError(f"no member has the id {', '.join(map(str, unknown[:10]))}")
    at = now()
    codes = [f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}" for _ in ids]
    sent = conn.execute(
        text("""INSERT INTO activity_member (activity_id, member_id, notified_at, code)
                SELECT :a, m, :at, c FROM unnest(CAST(:ids AS int[]), CAST(:codes AS text[]))
                     AS t(m, c)
                ON CONFLICT (activity_id, member_id) DO UPDATE
                    SET notified_at = EXCLUDED.notified_at,
                        code = coalesce(activity_member.code, EXCLUDED.code)
                    WHERE activity_member.notified_at IS NULL
                RETURNING member_id"""),
        {"a": activity_id, "at": at, "ids": ids, "codes": codes},
    ).scalars()
    fresh = sorted(sent)
    audit(conn, who, f"notify activity:{activity_id}", [f"member:{m}" for m in fresh])
    return {"activity_id": activity_id, "notified": len(fresh), "already": len(ids) - len(fresh)}


def _step(
    conn: Connection,
    activity_id: int,
    member_id: int,
    step: str,
    at: datetime,
    who: Who,
    feedback: str | None = None,
) -> dict[str, Any]:
    """Set one step's time if unset, and pay its points once."""
    act = open_activity(conn, activity_id, who)
    _member_of(conn, member_id)
    column = f"{step}_at"
    row = (
        conn.execute(
            text("""SELECT notified_at, checked_in_at, feedback_at FROM activity_member
                    WHERE activity_id = :a AND member_id = :m FOR UPDATE"""),
            {"a": activity_id, "m": member_id},
        )
        .mappings()
        .first()
    )
    if step == "received" and (row is None or row["notified_at"] is None):
        raise InvalidInputError(
            f"member {member_id} was not sent the notice of activity {activity_id}"
        )
    if step == "feedback" and (row is None or row["checked_in_at"] is None):
        raise InvalidInputError(
            f"member {member_id} did not check in at activity {activity_id}: no feedback before"
        )
    if row is None:  # a member who came without the notice checks in all the same
        conn.execute(
            text("INSERT INTO activity_member (activity_id, member_id) VALUES (:a, :m)"),
            {"a": activity_id, "m": member_id},
        )
    updated = conn.execute(
        text(
            f"UPDATE activity_member SET {column} = :at, "  # noqa: S608 - column from a fixed set
            "feedback = coalesce(CAST(:fb AS text), feedback) "
            f"WHERE activity_id = :a AND member_id = :m AND {column} IS NULL RETURNING 1"
        ),
        {"at": at, "fb": feedback, "a": activity_id, "m": member_id},
    ).first()
    points = 0
    if updated is not None:
        points = award(conn, member_id, activity_id, act["community_id"], step, at)
        audit(conn, who, f"{step} activity:{activity_id}", [f"member:{member_id}"])
    return {
        "activity_id": activity_id,
        "member_id": member_id,
        "step": step,
        "done": updated is not None,  # false: recorded before, nothing changed
        "points": points,
    }


def receive(conn: Connection, activity_id: int, member_id: int, who: Who) -> dict[str, Any]:
    """The member confirms the notice (预告收到)."""
    return _step(conn, activity_id, member_id, "received", now(), who)


def check_in(
    conn: Connection, activity_id: int, member_id: int, who: Who, at: datetime | None = None
) -> dict[str, Any]:
    """The member checks in (活动签到), recorded by an officer; ``at`` for one entered
    afterwards (not in the future, nor long before the start)."""
    when = at or now()
    if when.tzinfo is None:
        raise InvalidInputError(f"check-in time {when} needs a time zone (+08:00)")
    if when > now() + timedelta(minutes=5):
        raise InvalidInputError(f"check-in time {when} is in the future")
    act = open_activity(conn, activity_id, who)
    if when < act["starts_at"] - EARLY:
        raise InvalidInputError(
            f"check-in time {when} is more than 2 hours before activity {activity_id} "
            f"starts ({act['starts_at']})"
        )
    return _step(conn, activity_id, member_id, "checked_in", when, who)


def check_in_by_code(conn: Connection, activity_id: int, code: str, who: Who) -> dict[str, Any]:
    """The member checks in with their own code from the notice."""
    clean = code.strip()
    if not (clean.isdigit() and len(clean) == CODE_DIGITS):
        raise InvalidInputError(f"a check-in code is {CODE_DIGITS} digits, not {code!r}")
    open_activity(conn, activity_id, who)
    member_id = conn.execute(
        text("SELECT member_id FROM activity_member WHERE activity_id = :a AND code = :c"),
        {"a": activity_id, "c": clean},
    ).scalar()
    if member_id is None:
        raise NotFoundError(f"no member called to activity {activity_id} has the code {clean}")
    return check_in(conn, activity_id, int(member_id), who)


def give_feedback(
    conn: Connection, activity_id: int, member_id: int, feedback: str, who: Who
) -> dict[str, Any]:
    """The member's feedback on the activity (反馈得到), after checking in."""
    clean = feedback.strip()
    if not clean or len(clean) > FEEDBACK_MAX:
        raise InvalidInputError(f"feedback must be 1 to {FEEDBACK_MAX} characters")
    return _step(conn, activity_id, member_id, "feedback", now(), who, clean)


def register(conn: Connection, member_id: int, who: Who) -> dict[str, Any]:
    """Pay a registered member's 报到 points, once (the member's registration itself is
    the member register's: member.registered_on)."""
    from geo_api.party.service.points import award_registrations

    _member_of(conn, member_id)
    added = award_registrations(conn, [member_id])
    if added:
        audit(conn, who, "registered", [f"member:{member_id}"])
    return {"member_id": member_id, "done": bool(added)}
