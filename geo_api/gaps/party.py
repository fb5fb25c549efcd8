"""Gaps in the party-building work of the Houma report (issue 17): demands left open
past their checkpoint, communities without an alliance unit, projects behind their
milestones, and communities whose registered members stay away.

Checkpoints fall on fixed days of the list's year (年初 03-31, 年中 06-30, 年末
12-31). "This year" is the year in China. The gaps point at the demand, the
project's demand (its community's centre when it has none) or the community's
centre (a point on its surface), so they join the point gap layer.
"""

from __future__ import annotations

from geo_api.clock import TODAY_SQL
from geo_api.db.party import CHECKPOINT_DAYS
from geo_api.gaps.types import GapType

# A community whose members registered before this year mostly never checked in this
# year: more than this share of them is a gap (the demo city's usual share is 40%).
INACTIVE_SHARE = 0.5
# The day a checkpoint falls on, as SQL over a row's year ({due} and {year} filled in
# per query; the days are the domain's, geo_api.db.party.CHECKPOINT_DAYS).
DUE_DATE = (
    "CASE {due} "
    + " ".join(
        f"WHEN '{c.value}' THEN make_date({{year}}, {m}, {d})"
        for c, (m, d) in CHECKPOINT_DAYS.items()
    )
    + " END"
)
TODAY_CHINA = TODAY_SQL
YEAR_CHINA = f"extract(year FROM {TODAY_CHINA})::int"

PARTY_GAPS = [
    GapType(
        "demand_past_checkpoint",
        "需求逾期未解决",
        "community",
        "demand",
        f"""
        SELECT d.id AS ref_id, d.community_id, 0 AS households, 0 AS persons,
               CASE WHEN d.urgency = 3 OR {TODAY_CHINA} - due.day > 90 THEN 'high'
                    ELSE 'medium' END AS severity,
               format('需求“%s”应于%s（%s）前解决，已逾期%s天', d.title,
                      CASE d.due WHEN 'start' THEN '年初' WHEN 'mid' THEN '年中' ELSE '年末' END,
                      due.day, {TODAY_CHINA} - due.day) AS detail,
               d.geom
        FROM party_demand d
        CROSS JOIN LATERAL (SELECT {DUE_DATE.format(due="d.due", year="d.year")} AS day) due
        WHERE d.status = 'open' AND due.day < {TODAY_CHINA}""",  # noqa: S608 - constant SQL
    ),
    GapType(
        "community_without_alliance",
        "社区无联盟单位",
        "community",
        "community",
        f"""
        SELECT c.id AS ref_id, c.id AS community_id, count(h.id) AS households,
               coalesce(sum(h.persons), 0) AS persons, 'medium' AS severity,
               format('%s及其街道没有生效的党建联盟协议', c.name) AS detail,
               ST_PointOnSurface(c.geom) AS geom
        FROM community c LEFT JOIN compound cp ON cp.community_id = c.id
        LEFT JOIN building b ON b.compound_id = cp.id LEFT JOIN unit u ON u.building_id = b.id
        LEFT JOIN household h ON h.unit_id = u.id
        WHERE NOT EXISTS (
            SELECT 1 FROM alliance_agreement ag
            WHERE (ag.community_id = c.id OR ag.street_id = c.street_id)
              AND ag.signed_on <= {TODAY_CHINA}
              AND (ag.ended_on IS NULL OR ag.ended_on > {TODAY_CHINA}))
        GROUP BY c.id, c.name""",  # noqa: S608 - constant SQL
    ),
    GapType(
        "project_behind_milestones",
        "项目进度滞后",
        "community",
        "project",
        f"""
        SELECT p.id AS ref_id, p.community_id, 0 AS households, 0 AS persons,
               CASE WHEN count(*) >= 2 OR {TODAY_CHINA} - min(ms.due_on) > 90 THEN 'high'
                    ELSE 'medium' END AS severity,
               format('项目“%s”有%s个节点逾期未完成（最早应于%s完成）', p.title, count(*),
                      min(ms.due_on)) AS detail,
               coalesce(d.geom, ST_PointOnSurface(c.geom)) AS geom
        FROM party_project p JOIN project_milestone ms ON ms.project_id = p.id
        JOIN community c ON c.id = p.community_id
        LEFT JOIN party_demand d ON d.id = p.demand_id
        WHERE p.status IN ('planned', 'underway') AND ms.done_on IS NULL
          AND ms.due_on < {TODAY_CHINA}
        GROUP BY p.id, p.community_id, p.title, d.geom, c.geom""",  # noqa: S608 - constant SQL
    ),
    GapType(
        "members_inactive",
        "报到党员本年未参加活动",
        "community",
        "community",
        f"""
        SELECT c.id AS ref_id, c.id AS community_id, 0 AS households,
               stats.inactive AS persons,
               CASE WHEN stats.inactive > 0.75 * stats.eligible THEN 'high'
                    ELSE 'medium' END AS severity,
               format('%s有%s名报到党员（共%s名）今年未参加活动', c.name, stats.inactive,
                      stats.eligible) AS detail,
               ST_PointOnSurface(c.geom) AS geom
        FROM community c
        CROSS JOIN LATERAL (
            SELECT count(*) AS eligible,
                   count(*) FILTER (WHERE NOT EXISTS (
                       SELECT 1 FROM activity_member am
                       WHERE am.member_id = m.id AND am.checked_in_at >=
                             make_timestamptz({YEAR_CHINA}, 1, 1, 0, 0, 0, 'Asia/Shanghai')))
                       AS inactive
            FROM member m
            WHERE m.community_id = c.id
              AND m.registered_on < make_date({YEAR_CHINA}, 1, 1)) stats
        WHERE stats.eligible > 0 AND stats.inactive > {INACTIVE_SHARE} * stats.eligible""",  # noqa: S608
    ),
]
"""Gaps of the party-building work: lists, alliances and members' service."""
