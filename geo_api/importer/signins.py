"""Sign-in sheets (活动签到表) communities keep: 活动, 日期, 姓名, 电话, 签到时间, 反馈.

Each row is a member's check-in at an activity: the activity is found by its title
and date (and community, when two communities held one of the same name that day),
the member by name and phone, as the register knows them. A row naming an activity
or a member the store does not hold is rejected, saying which and what to do. Rows
land in activity_member (a sheet imported twice changes nothing), and the points the
check-ins and feedback earn are given once (geo_api.party.service.points).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.clock import CHINA
from geo_api.importer.checks import Checked, RowErrors, dates, phones, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.layer import Field, Landing, Layer, Options
from geo_api.party.service.points import award_missing

_CLOCK = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")


@dataclass
class SigninState:
    """The store's activities and members, and the sign-ins seen so far."""

    # (title, day) -> [(activity id, community code, community name, cancelled)]
    activities: dict[tuple[str, date], list[tuple[int, str, str, bool]]]
    members: dict[tuple[str, str], int]  # (name, phone) -> member id
    seen: dict[tuple[int, int], int] = field(default_factory=dict)  # -> row
    touched: set[int] = field(default_factory=set)  # activity ids


class SigninLayer(Layer[SigninState]):
    """Sign-in sheets of activities (活动签到表)."""

    name = "signins"
    doc = "sign-in sheets of activities (活动签到表): activity, date, member, time, feedback"
    geometry = "none"
    required = frozenset({"activity", "date", "name", "phone"})
    fields = (
        Field("activity", "text", "the activity's title, as created", ("活动", "活动名称",
              "活动主题", "activity")),
        Field("date", "date", "the day of the activity", ("日期", "活动日期", "活动时间")),
        Field("name", "text", "the member's name, as registered (personal data)"),
        Field("phone", "phone", "the member's phone, as registered (personal data)"),
        Field("checked_in_at", "time", "when they signed in (09:05, or a date and time); "
              "the activity's start if absent", ("签到时间", "签到", "checked_in_at")),
        Field("feedback", "text", "what they said afterwards (反馈得到)",
              ("反馈", "反馈意见", "反馈内容", "feedback")),
        Field("community", "text", "the community's name or code, when two communities held "
              "an activity of the same title that day"),
    )  # fmt: skip

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> SigninState:
        """The activities by title and day, and the members by name and phone."""
        found: dict[tuple[str, date], list[tuple[int, str, str, bool]]] = {}
        rows = conn.execute(
            text("""SELECT a.id, a.title, (a.starts_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
                           c.code, c.name, a.cancelled_at IS NOT NULL AS cancelled
                    FROM activity a JOIN community c ON c.id = a.community_id""")
        )
        for r in rows:
            found.setdefault((r.title.strip(), r.day), []).append(
                (int(r.id), r.code, r.name, bool(r.cancelled))
            )
        members = {
            (str(r.name).strip(), str(r.phone)): int(r.id)
            for r in conn.execute(text("SELECT id, name, phone FROM member"))
        }
        return SigninState(found, members)

    def check(
        self,
        chunk: pd.DataFrame,
        fields: dict[str, str],
        crs: SourceCRS | None,
        state: SigninState,
    ) -> Checked:
        """Activities, members, times and feedback of one chunk."""
        return check_signins(chunk, fields, state)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """Upserted on (activity, member); a sheet may correct a time or a feedback."""
        columns = ("activity_id", "member_id", "checked_in_at", "feedback", "feedback_at")
        updates = ("checked_in_at", *(("feedback", "feedback_at") if "feedback" in fields else ()))
        return [Landing("activity_member", ("activity_id", "member_id"), columns, updates)]

    def after(self, conn: Connection, state: SigninState, options: Options) -> list[str]:
        """The points the sheet's check-ins and feedback earn, once each."""
        added = award_missing(conn, sorted(state.touched))
        return [f"{added} points entries given for the check-ins and feedback"]


SIGNINS = SigninLayer()


def _clock(given: str | None, day: date | None, starts: datetime | None) -> datetime | None:
    """A sign-in time: a clock time on the activity's day, a full date and time, or
    (none given) the activity's start; None when the text is no time."""
    if given is None:
        return starts
    clean = given.strip()
    found = _CLOCK.match(clean)
    if found and day is not None:
        hour, minute, second = (int(g or 0) for g in found.groups())
        if hour < 24 and minute < 60 and second < 60:
            return datetime.combine(day, time(hour, minute, second), CHINA)
        return None
    try:
        moment = datetime.fromisoformat(clean.replace("/", "-"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def check_signins(chunk: pd.DataFrame, fields: dict[str, str], state: SigninState) -> Checked:
    """Check one chunk of sign-ins; ``state.seen`` spans the file."""
    errors = RowErrors(chunk["_row"])
    col = {
        f: text_column(chunk, fields.get(f))
        for f in ("activity", "date", "name", "phone", "checked_in_at", "feedback", "community")
    }
    for name in ("activity", "date", "name", "phone"):
        errors.flag(col[name].isna().to_numpy(), name, None, "missing")
    flags: list[str] = []
    phone = phones(col["phone"], errors, flags)
    day = dates(col["date"], errors, "date")
    n = len(chunk)
    activity_ids = np.zeros(n, dtype=np.int64)
    member_ids = np.zeros(n, dtype=np.int64)
    times: list[datetime | None] = [None] * n
    for k in range(n):
        if errors.bad[k]:
            continue
        one = np.arange(n) == k
        title = str(col["activity"].iat[k]).strip()
        when = day.iat[k]
        assert isinstance(when, date)  # rows without a date were rejected above
        held = state.activities.get((title, when), [])
        wanted = col["community"].iat[k]
        if wanted is not None:
            held = [h for h in held if str(wanted).strip() in (h[1], h[2])]
        if not held:
            errors.flag(one, "activity", col["activity"],
                        f"no activity of this title on {when}: create it first "
                        "(gridgov activities create)")  # fmt: skip
            continue
        if len(held) > 1:
            errors.flag(one, "activity", col["activity"],
                        f"{len(held)} communities held it on {when} "
                        f"({', '.join(h[2] for h in held)}): add a 社区 column")  # fmt: skip
            continue
        act_id, _, _, cancelled = held[0]
        if cancelled:
            errors.flag(one, "activity", col["activity"], "the activity was cancelled")
            continue
        key = (str(col["name"].iat[k]).strip(), str(phone.iat[k]))
        member = state.members.get(key)
        if member is None:
            errors.flag(one, "name", col["name"],
                        "no registered member has this name and phone: register them first "
                        "(gridgov import members)")  # fmt: skip
            continue
        starts = datetime.combine(when, time(0), CHINA)  # the day, when no time is given
        given = col["checked_in_at"].iat[k]
        moment = _clock(None if given is None else str(given), when, starts)
        if moment is None:
            errors.flag(one, "checked_in_at", col["checked_in_at"],
                        "not a time (09:05, or 2026-03-05 09:05)")  # fmt: skip
            continue
        if moment.astimezone(CHINA).date() != when:
            errors.flag(one, "checked_in_at", col["checked_in_at"],
                        f"not on the activity's day {when}")  # fmt: skip
            continue
        earlier = state.seen.get((act_id, member))
        if earlier is not None:
            errors.flag(one, "name", col["name"], f"the same member signed in as row {earlier}")
            continue
        state.seen[(act_id, member)] = int(errors.rows[k])
        state.touched.add(act_id)
        activity_ids[k], member_ids[k], times[k] = act_id, member, moment
    good = ~errors.bad
    feedback = col["feedback"].where(col["feedback"].notna(), None)
    checked_in = pd.Series(times, dtype=object)
    frame = pd.DataFrame(
        {
            "_row": chunk["_row"].to_numpy()[good],
            "activity_id": activity_ids[good],
            "member_id": member_ids[good],
            "checked_in_at": checked_in.to_numpy()[good],
            "feedback": feedback.to_numpy()[good],
            "feedback_at": checked_in.where(feedback.notna(), None).to_numpy()[good],
        }
    )
    return Checked(frame, errors.rejects, flags)
