"""The demo city's party building (issue 17), at the Houma report's figures: 72
alliance units signed with the first street (路东街道, "城市党建红色联盟") and 12
with each other street, and across the city 130 resources, 101 demands and 125
projects of the report's year, 2021. Deterministic from the city (its size seeds
it), and planted in SQL after the load, so the demo stays fast.

Planted on purpose: demands left open past their checkpoint (no resource within
reach of their category), and projects late at mid-year (milestones not done).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from sqlalchemy import Connection, text

from geo_api.demo.names import person_names, phones
from geo_api.party.projects import checkpoint_date

YEAR = 2021  # the report's year: 130 resources, 101 demands, 125 projects
UNITS_FIRST_STREET, UNITS_OTHER_STREETS = 72, 12
RESOURCES, DEMANDS, PROJECTS = 130, 101, 125
SEED = 17

# (kind, name pattern): the units a street signs with.
UNIT_KINDS = (
    ("government", "侯马市{}局"),
    ("institution", "侯马市{}中心"),
    ("state_firm", "国网侯马{}供电所"),
    ("private_firm", "侯马{}实业有限公司"),
    ("school", "侯马市{}学校"),
    ("hospital", "侯马市{}医院"),
    ("bank", "{}银行侯马支行"),
    ("social_org", "侯马{}志愿者协会"),
)
STEMS = list("晋新平阳浍汾紫金华康泰和盛丰安宁瑞祥鑫隆恒信德")
# (kind, category, title) of what units offer.
OFFERS = (
    ("venue", "culture", "活动室"),
    ("team", "volunteering", "志愿服务队"),
    ("team", "health", "义诊队"),
    ("funds", "elderly", "助老基金"),
    ("skill", "employment", "技能培训"),
    ("skill", "mediation", "法律咨询"),
    ("team", "environment", "环境整治队"),
    ("skill", "children", "课后托管"),
    ("team", "safety", "治安巡逻队"),
    ("goods", "disability", "助残物资"),
    ("skill", "education", "道德讲堂"),
    ("skill", "property", "物业维修"),
)
NEEDS = {
    "elderly": "老年人助餐",
    "children": "四点半课堂",
    "environment": "楼道清理",
    "employment": "失业人员再就业",
    "safety": "楼院治安",
    "culture": "文化活动场地",
    "health": "慢病随访",
    "mediation": "邻里纠纷调解",
    "disability": "残疾人帮扶",
    "education": "青少年教育",
    "property": "老旧小区维修",
    "volunteering": "志愿者招募",
}
RAISERS = ("居委会", "业委会", "楼栋党小组", "网格党支部", "居民代表")


def plant_party(conn: Connection) -> dict[str, int]:
    """Units, agreements, the three lists and milestones of 2021; rows per table."""
    conn.execute(text("DELETE FROM alliance_unit"))  # the load's truncate kept them
    streets = [int(s) for s in conn.execute(text("SELECT id FROM street ORDER BY code")).scalars()]
    if not streets:
        return {}
    households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
    rng = np.random.default_rng([SEED, households])
    categories: dict[str, int] = {
        str(c): int(i) for c, i in conn.execute(text("SELECT code, id FROM list_category")).all()
    }
    units = _units(conn, rng, streets)
    resources = _resources(conn, rng, units, categories)
    demands = _demands(conn, rng, categories)
    projects = _projects(conn, rng, resources, demands)
    return {
        "alliance_unit": len(units),
        "party_resource": len(resources),
        "party_demand": len(demands),
        "party_project": projects,
    }


def _units(conn: Connection, rng: np.random.Generator, streets: list[int]) -> list[int]:
    """Units on buildings of their street, signed with it in early 2021."""
    made: list[int] = []
    names: set[str] = set()
    for k, street in enumerate(streets):
        count = UNITS_FIRST_STREET if k == 0 else UNITS_OTHER_STREETS
        spots = conn.execute(
            text("""SELECT ST_X(p), ST_Y(p) FROM (
                        SELECT ST_PointOnSurface(b.geom) AS p FROM building b
                        JOIN compound cp ON cp.id = b.compound_id
                        JOIN community c ON c.id = cp.community_id
                        WHERE c.street_id = :s ORDER BY b.id) x"""),
            {"s": street},
        ).all()
        if not spots:
            continue
        contacts, numbers = person_names(count, rng), phones(count, rng)
        for i in range(count):
            kind, pattern = UNIT_KINDS[int(rng.integers(len(UNIT_KINDS)))]
            name = pattern.format("".join(rng.choice(STEMS, 2)))
            while name in names:
                name = pattern.format("".join(rng.choice(STEMS, 3)))
            names.add(name)
            lon, lat = spots[int(rng.integers(len(spots)))]
            unit_id = conn.execute(
                text("""INSERT INTO alliance_unit (name, kind, contact_name, contact_phone, geom)
                        VALUES (:n, :k, :c, :p, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
                        RETURNING id"""),
                {"n": name, "k": kind, "c": contacts[i], "p": numbers[i], "lon": lon, "lat": lat},
            ).scalar_one()
            conn.execute(
                text("""INSERT INTO alliance_agreement (unit_id, street_id, signed_on)
                        VALUES (:u, :s, :d)"""),
                {
                    "u": unit_id,
                    "s": street,
                    "d": date(YEAR, 1, 4) + timedelta(int(rng.integers(80))),
                },
            )
            made.append(int(unit_id))
    return made


def _resources(
    conn: Connection, rng: np.random.Generator, units: list[int], categories: dict[str, int]
) -> list[tuple[int, int, int]]:
    """130 resources of the units: (id, category id, capacity)."""
    made = []
    for _ in range(RESOURCES):
        kind, category, title = OFFERS[int(rng.integers(len(OFFERS)))]
        capacity = int(rng.integers(1, 4))
        row = conn.execute(
            text("""INSERT INTO party_resource (year, title, kind, category_id, unit_id,
                        capacity, quantity, measure, community_id, geom)
                    SELECT :y, u.name || :t, :k, :c, u.id, :cap, :q, '次',
                           (SELECT id FROM community c WHERE ST_Intersects(c.geom, u.geom)
                            LIMIT 1), u.geom
                    FROM alliance_unit u WHERE u.id = :u RETURNING id"""),
            {
                "y": YEAR,
                "t": title,
                "k": kind,
                "c": categories[category],
                "u": units[int(rng.integers(len(units)))],
                "cap": capacity,
                "q": int(rng.integers(4, 50)),
            },
        ).scalar_one()
        made.append((int(row), categories[category], capacity))
    return made


def _demands(
    conn: Connection, rng: np.random.Generator, categories: dict[str, int]
) -> list[tuple[int, int, int]]:
    """101 demands on compounds across the city: (id, category id, community id)."""
    compounds = conn.execute(text("SELECT id, community_id FROM compound ORDER BY id")).all()
    made = []
    codes = list(NEEDS)
    for _ in range(DEMANDS):
        code = codes[int(rng.integers(len(codes)))]
        compound = compounds[int(rng.integers(len(compounds)))]
        row = conn.execute(
            text("""INSERT INTO party_demand (year, title, category_id, community_id,
                        compound_id, raised_by, raised_on, urgency, due, geom)
                    SELECT :y, cp.name || :t, :c, cp.community_id, cp.id, :by, :on, :u, :due,
                           ST_PointOnSurface(cp.geom)
                    FROM compound cp WHERE cp.id = :cp RETURNING id"""),
            {
                "y": YEAR,
                "t": NEEDS[code],
                "c": categories[code],
                "cp": compound.id,
                "by": RAISERS[int(rng.integers(len(RAISERS)))],
                "on": date(YEAR, 1, 10) + timedelta(int(rng.integers(60))),
                "u": int(rng.integers(1, 4)),
                "due": ("mid", "end")[int(rng.integers(2))],
            },
        ).scalar_one()
        made.append((int(row), categories[code], int(compound.community_id)))
    return made


def _projects(
    conn: Connection,
    rng: np.random.Generator,
    resources: list[tuple[int, int, int]],
    demands: list[tuple[int, int, int]],
) -> int:
    """125 projects: most meet a demand with a resource of its category (capacity
    respected), the rest are the street's own; statuses and milestones through 2021,
    a few late at mid-year."""
    room = {r: cap for r, _, cap in resources}
    by_category: dict[int, list[int]] = {}
    for r, category, _ in resources:
        by_category.setdefault(category, []).append(r)
    communities = conn.execute(text("SELECT id FROM community ORDER BY id")).scalars().all()
    plans: list[tuple[int | None, int, int | None]] = []  # (demand, community, resource)
    for demand, category, community in demands:
        free = [r for r in by_category.get(category, []) if room[r] > 0]
        if free and rng.random() < 0.85:  # the rest stay open: the planted gaps
            r = free[int(rng.integers(len(free)))]
            room[r] -= 1
            plans.append((demand, community, r))
    while len(plans) < PROJECTS:
        spare = [r for r in room if room[r] > 0]
        chosen = spare[int(rng.integers(len(spare)))] if spare else None
        if chosen is not None:
            room[chosen] -= 1
        plans.append((None, int(communities[int(rng.integers(len(communities)))]), chosen))
    for k, (wanted, where, resource) in enumerate(plans[:PROJECTS]):
        status = ("done", "done", "done", "underway", "planned", "dropped")[k % 6]
        if k % 9 == 0:
            status = "underway"  # late at mid-year below
        title = (
            conn.execute(
                text("SELECT title FROM party_demand WHERE id = :d"), {"d": wanted}
            ).scalar()
            or f"街道共建项目{k + 1}"
        )
        project = conn.execute(
            text("""INSERT INTO party_project (year, title, demand_id, community_id, lead_unit_id,
                        status, created_by)
                    VALUES (:y, :t, :d, :c, (SELECT unit_id FROM party_resource WHERE id = :r),
                            :s, 'demo') RETURNING id"""),
            {"y": YEAR, "t": title, "d": wanted, "c": where, "r": resource, "s": status},
        ).scalar_one()
        if resource is not None:
            conn.execute(
                text("INSERT INTO project_resource (project_id, resource_id) VALUES (:p, :r)"),
                {"p": project, "r": resource},
            )
        late = k % 9 == 0
        for checkpoint, step, day in (
            ("start", "立项", checkpoint_date(YEAR, "start")),
            ("mid", "推进实施", checkpoint_date(YEAR, "mid")),
            ("end", "结果反馈", checkpoint_date(YEAR, "end")),
        ):
            done = {
                "done": True,
                "underway": checkpoint == "start" or (checkpoint == "mid" and not late),
            }.get(status, False)
            conn.execute(
                text("""INSERT INTO project_milestone (project_id, title, checkpoint, due_on,
                            done_on) VALUES (:p, :t, :c, :d, :done)"""),
                {
                    "p": project,
                    "t": step,
                    "c": checkpoint,
                    "d": day,
                    "done": day - timedelta(int(rng.integers(0, 20))) if done else None,
                },
            )
        if wanted is not None:
            conn.execute(
                text("UPDATE party_demand SET status = :s WHERE id = :d"),
                {"s": {"done": "met", "dropped": "open"}.get(status, "matched"), "d": wanted},
            )
    return min(len(plans), PROJECTS)
