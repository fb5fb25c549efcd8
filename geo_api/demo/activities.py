"""The demo city's members' service: a few activities per community a month this year
(up to today), the members called to each, their check-ins and feedback, so that
about ACTIVE_SHARE of the members are active; one community is planted whose members
mostly stayed away (the members_inactive gap). Points follow the rules when loaded
(geo_api.party.service.points).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.clock import CHINA
from geo_api.db.bulk import copy_frame, reset_sequence
from geo_api.party.service.points import award_missing, award_registrations, seed_default_rules

ACTIVE_SHARE = 0.6  # of a community's members, checked in at least once this year
PLANTED_ACTIVE_SHARE = 0.15  # in the community planted as a members_inactive gap
PER_MONTH = (2, 4)  # activities a community holds a month, at least and at most
CALLED = 25  # members called to an activity (its team), at most
TITLES = (
    ("环境整治志愿服务", "environment"),
    ("助老送餐", "elderly"),
    ("儿童课后托管", "children"),
    ("义诊进社区", "health"),
    ("矛盾纠纷调解", "mediation"),
    ("扶弱助残走访", "disability"),
    ("平安巡逻", "safety"),
    ("政策宣讲", "education"),
)


@dataclass
class Service:
    """The generated activities and calls (activity_member rows)."""

    activities: pd.DataFrame
    calls: pd.DataFrame
    inactive_community: int | None


def _month_starts(now: datetime) -> list[datetime]:
    return [datetime(now.year, m, 1, tzinfo=CHINA) for m in range(1, now.month + 1)]


def service(
    members: pd.DataFrame, communities: pd.DataFrame, rng: np.random.Generator, now: datetime
) -> Service:
    """Activities (ids from 1) of every community from January to today, and calls."""
    placed = members[members["community_id"].notna()]
    by_community = {
        int(c): np.array(placed.loc[placed["community_id"] == c, "id"], dtype=int)
        for c in communities["id"]
    }
    # The planted community: the one with the most members, so the gap is plain.
    inactive = max(by_community, key=lambda c: len(by_community[c])) if by_community else None
    acts: list[dict[str, object]] = []
    calls: list[dict[str, object]] = []
    for community, ids in by_community.items():
        share = PLANTED_ACTIVE_SHARE if community == inactive else ACTIVE_SHARE
        active = rng.permutation(ids)[: round(len(ids) * share)]
        mine: list[int] = []
        for month in _month_starts(now):
            for _ in range(int(rng.integers(PER_MONTH[0], PER_MONTH[1] + 1))):
                day = month + timedelta(days=int(rng.integers(0, 28)))
                starts = day.replace(hour=int(rng.choice([9, 14, 19])), minute=30)
                if starts >= now:
                    continue
                title, category = TITLES[int(rng.integers(0, len(TITLES)))]
                acts.append(
                    {
                        "id": len(acts) + 1,
                        "title": title,
                        "community_id": community,
                        "category": category,
                        "starts_at": starts,
                        "ends_at": starts + timedelta(hours=2),
                        "place": "社区党群服务站",
                    }
                )
                mine.append(len(acts))
        if not mine or not len(ids):
            continue
        # Every active member checks in at least once; others are called and stay away.
        attends: dict[int, set[int]] = {a: set() for a in mine}
        for member in active:
            attends[mine[int(rng.integers(0, len(mine)))]].add(int(member))
        for act in mine:
            extra = rng.choice(active, min(len(active), int(rng.integers(0, 6))), replace=False)
            attends[act].update(int(m) for m in extra)
            others = rng.choice(ids, min(len(ids), CALLED), replace=False)
            began = acts[act - 1]["starts_at"]
            assert isinstance(began, datetime)
            for member in sorted(attends[act] | {int(m) for m in others}):
                came = member in attends[act]
                received = came or rng.random() < 0.6
                calls.append(
                    {
                        "activity_id": act,
                        "member_id": member,
                        "notified_at": began - timedelta(days=3),
                        "received_at": began - timedelta(days=2) if received else None,
                        "checked_in_at": began + timedelta(minutes=int(rng.integers(-15, 20)))
                        if came
                        else None,
                        "feedback_at": began + timedelta(hours=3)
                        if came and rng.random() < 0.5
                        else None,
                        "feedback": "服务很及时，居民满意" if came else None,
                    }
                )
    frame = pd.DataFrame(calls)
    if not frame.empty:
        frame.loc[frame["feedback_at"].isna(), "feedback"] = None
    return Service(pd.DataFrame(acts), frame, inactive)


def load_service(conn: Connection, made: Service) -> dict[str, int]:
    """Load the activities and calls, then the points they earned per the rules (and
    every member's registration points); rows loaded per table."""
    seed_default_rules(conn)
    if not made.activities.empty:
        conn.execute(
            text("""INSERT INTO activity (id, title, community_id, category_id, starts_at,
                                          ends_at, place)
                    VALUES (:id, :title, :community_id,
                            (SELECT id FROM list_category WHERE code = :category),
                            :starts_at, :ends_at, :place)"""),
            [{str(k): v for k, v in row.items()} for row in made.activities.to_dict("records")],
        )
        reset_sequence(conn, "activity")
    calls = 0
    if not made.calls.empty:
        calls = copy_frame(conn, "activity_member", made.calls, list(made.calls.columns))
    award_registrations(conn)
    award_missing(conn)
    points = conn.execute(text("SELECT count(*) FROM points_entry")).scalar_one()
    return {"activity": len(made.activities), "activity_member": calls, "points_entry": points}
