"""The sources of an officer's day (geo_api.rosters.changes): one query per kind of
event, each giving (kind, at, what, who, place, ref), held to the area (:community,
and :grid when the area is one grid) and to ``at >= :since``, each over an index
on its time (migration 0021) so that a week of changes reads a few rows, not the
city. Names never appear: people and households are named by id.

Dates (a head's term, a household's end, an officer's or member's day) count from
their midnight: something that happened on the day of ``since`` is listed.
"""

from __future__ import annotations

from dataclasses import dataclass

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


CORE: list[Source] = [
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


# The China day of :since, for sources kept by the day.
SINCE_DAY = "china_day(CAST(:since AS timestamptz))"
# Who a roster row names as its last writer, when that write was on the event's day.
WROTE_ON = "CASE WHEN china_day({t}.changed_at) = {t}.{day} THEN {t}.changed_by END"
# A member's home in the area's grid (members carry their community, not their grid).
MEMBER_IN_AREA = """m.community_id = :community AND (CAST(:grid AS int) IS NULL OR EXISTS (
    SELECT 1 FROM household h JOIN unit u ON u.id = h.unit_id
    JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
    WHERE h.id = m.household_id AND cp.grid_id = :grid))"""
OFFICER_IN_AREA = """o.community_id = :community
    AND (CAST(:grid AS int) IS NULL OR o.grid_id = :grid)"""
NO_REASON = "'未注明原因'"

TERMS: list[Source] = [
    Source(
        "heads appointed",
        f"""
        SELECT 'head_appointed' AS kind, CAST(hd.appointed_on AS timestamptz) AS at,
               format('%s%s上任', {TITLE.format(role="hd.role")}, hd.id) AS what,
               hd.appointed_by AS who, {HEAD_PLACE_NAME} AS place, format('head:%s', hd.id) AS ref
        FROM head hd {HEAD_PLACE}
        WHERE hd.appointed_on >= {SINCE_DAY} AND hd.appointed_on <= china_today()
          AND hd.moved_from IS NULL AND {HEAD_IN_AREA}""",  # noqa: S608 - constant SQL
    ),
    Source(
        # A term continued elsewhere (a move) is told here as the leaving, where the
        # head left; the arrival is "heads moved", where they arrive.
        "heads retired",
        f"""
        SELECT CASE WHEN n.id IS NULL THEN 'head_left' ELSE 'head_moved_away' END AS kind,
               CAST(hd.left_on AS timestamptz) AS at,
               CASE WHEN n.id IS NULL
                    THEN format('%s%s卸任（%s）', {TITLE.format(role="hd.role")}, hd.id,
                                coalesce(hd.left_reason, {NO_REASON}))
                    ELSE format('%s%s调任为%s%s', {TITLE.format(role="hd.role")}, hd.id,
                                {TITLE.format(role="n.role")}, n.id) END AS what,
               hd.left_by AS who, {HEAD_PLACE_NAME} AS place, format('head:%s', hd.id) AS ref
        FROM head hd {HEAD_PLACE}
        LEFT JOIN head n ON n.moved_from = hd.id
        WHERE hd.left_on >= {SINCE_DAY} AND hd.left_on <= china_today()
          AND {HEAD_IN_AREA}""",  # noqa: S608 - constant SQL
    ),
    Source(
        "heads moved",
        f"""
        SELECT 'head_moved' AS kind, CAST(hd.appointed_on AS timestamptz) AS at,
               format('%s%s由%s%s调任', {TITLE.format(role="hd.role")}, hd.id,
                      {TITLE.format(role="old.role")}, old.id) AS what,
               hd.appointed_by AS who, {HEAD_PLACE_NAME} AS place, format('head:%s', hd.id) AS ref
        FROM head hd JOIN head old ON old.id = hd.moved_from {HEAD_PLACE}
        WHERE hd.appointed_on >= {SINCE_DAY} AND hd.appointed_on <= china_today()
          AND hd.moved_from IS NOT NULL AND {HEAD_IN_AREA}""",  # noqa: S608 - constant SQL
    ),
    Source(
        "consent changes",
        f"""
        SELECT 'head_consent' AS kind, l.at,
               format('%s%s%s在公示牌上公开姓名和电话', {TITLE.format(role="hd.role")}, hd.id,
                      CASE WHEN l.action LIKE 'consent yes%' THEN '同意' ELSE '不再同意' END)
                 AS what,
               l.key_name AS who, {HEAD_PLACE_NAME} AS place, format('head:%s', hd.id) AS ref
        FROM audit_log l CROSS JOIN LATERAL unnest(string_to_array(l.records, ',')) r(rec)
        JOIN head hd ON hd.id = CASE WHEN r.rec LIKE 'head:%'
                                     THEN CAST(substr(r.rec, 6) AS int) END
        {HEAD_PLACE}
        WHERE l.at >= :since AND l.action LIKE 'consent %' AND {HEAD_IN_AREA}""",  # noqa: S608
    ),
    Source(
        "households ended",
        f"""
        SELECT 'household_ended' AS kind, CAST(h.ended_on AS timestamptz) AS at,
               format('住户%s迁出（%s）', h.id, h.ended_reason) AS what,
               h.ended_by AS who, p.place, format('household:%s', h.id) AS ref
        FROM household h JOIN ({UNITS}) p ON p.id = h.unit_id
        WHERE h.ended_on >= {SINCE_DAY} AND h.ended_on <= china_today()""",  # noqa: S608
    ),
    Source(
        # A move within the city closes the household's assignment keeping the old
        # address (geo_api.rosters.households.relocate); the area it arrives in sees it.
        "households relocated",
        f"""
        SELECT 'household_relocated' AS kind, a.valid_to AS at,
               format('住户%s搬入%s', h.id, p.place) AS what,
               NULL AS who, p.place, format('household:%s', h.id) AS ref
        FROM assignment a JOIN household h ON h.id = a.household_id
        JOIN ({UNITS}) p ON p.id = h.unit_id
        WHERE a.valid_to >= :since AND a.household_address IS NOT NULL
          AND a.household_address <> h.address AND h.ended_on IS NULL""",  # noqa: S608
    ),
]

PEOPLE: list[Source] = [
    Source(
        "officers appointed",
        f"""
        SELECT 'officer_appointed' AS kind, CAST(o.appointed_on AS timestamptz) AS at,
               format('网格员%s上任', o.id) AS what,
               {WROTE_ON.format(t="o", day="appointed_on")} AS who,
               g.name AS place, format('officer:%s', o.id) AS ref
        FROM grid_officer o LEFT JOIN grid g ON g.id = o.grid_id
        WHERE o.appointed_on >= {SINCE_DAY} AND o.appointed_on <= china_today()
          AND {OFFICER_IN_AREA}""",  # noqa: S608 - constant SQL
    ),
    Source(
        "officers retired",
        f"""
        SELECT 'officer_left' AS kind, CAST(o.left_on AS timestamptz) AS at,
               format('网格员%s卸任（%s）', o.id, coalesce(o.left_reason, {NO_REASON})) AS what,
               {WROTE_ON.format(t="o", day="left_on")} AS who,
               g.name AS place, format('officer:%s', o.id) AS ref
        FROM grid_officer o LEFT JOIN grid g ON g.id = o.grid_id
        WHERE o.left_on >= {SINCE_DAY} AND o.left_on <= china_today()
          AND {OFFICER_IN_AREA}""",  # noqa: S608 - constant SQL
    ),
    Source(
        "members registered",
        f"""
        SELECT 'member_registered' AS kind, CAST(m.registered_on AS timestamptz) AS at,
               format('党员%s报到', m.id) AS what,
               {WROTE_ON.format(t="m", day="registered_on")} AS who,
               NULL AS place, format('member:%s', m.id) AS ref
        FROM member m
        WHERE m.registered_on >= {SINCE_DAY} AND m.registered_on <= china_today()
          AND {MEMBER_IN_AREA}""",  # noqa: S608 - constant SQL
    ),
    Source(
        "members left",
        f"""
        SELECT 'member_left' AS kind, CAST(m.left_on AS timestamptz) AS at,
               format('党员%s离开（%s）', m.id, coalesce(m.left_reason, {NO_REASON})) AS what,
               {WROTE_ON.format(t="m", day="left_on")} AS who,
               NULL AS place, format('member:%s', m.id) AS ref
        FROM member m
        WHERE m.left_on >= {SINCE_DAY} AND m.left_on <= china_today()
          AND {MEMBER_IN_AREA}""",  # noqa: S608 - constant SQL
    ),
    Source(
        # A project is the community's: an officer of one of its grids sees it too.
        "party projects created",
        """
        SELECT 'project_created' AS kind, pr.created_at AS at,
               format('项目%s立项：%s', pr.id, pr.title) AS what,
               pr.created_by AS who, NULL AS place, format('project:%s', pr.id) AS ref
        FROM party_project pr
        WHERE pr.created_at >= :since AND pr.community_id = :community""",
    ),
    Source(
        # Held: begun by now and not cancelled; in a grid, where it took place (one
        # with no point is the community's, and shown to all its grids).
        "activities held",
        """
        SELECT 'activity_held' AS kind, ac.starts_at AS at,
               format('活动%s举行：%s', ac.id, ac.title) AS what,
               NULL AS who, ac.place, format('activity:%s', ac.id) AS ref
        FROM activity ac
        WHERE ac.community_id = :community AND ac.starts_at >= :since
          AND ac.starts_at <= now() AND ac.cancelled_at IS NULL
          AND (CAST(:grid AS int) IS NULL OR ac.geom IS NULL
               OR ST_Intersects(ac.geom, (SELECT g.geom FROM grid g WHERE g.id = :grid)))""",
    ),
]

SOURCES: list[Source] = [*CORE, *TERMS, *PEOPLE]
