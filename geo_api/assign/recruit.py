"""Recruiting: the fewest new unit heads that would cover who is left out.

Demand is counted per unit: its households with no unit head, plus, for each
head over target, that head's households beyond target (the farthest from
them). Candidates are registered party members and volunteer households who
are not unit heads yet, living in the same compound as a unit in need or
within ``reach_m`` metres of it. Each new head takes up to their community's
target.

It is a capacitated set cover, solved per community (the same independent unit
of work as the assignment) with OR-Tools CP-SAT, lexicographically: cover as
many households as possible, with the fewest new heads, at the least walking.
Proposals only: an officer appoints the heads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model
from sqlalchemy import Connection, text

from geo_api.errors import NotFoundError
from geo_api.geo.crs import city_epsg, to_metres

REACH_M = 300.0  # the 5-minute life circle: a head should live this close
SECONDS_PER_PHASE = 5.0  # per community and objective; past it, the best found so far

DEMAND_SQL = """
WITH cur AS (SELECT household_id, head_id FROM assignment WHERE valid_to IS NULL),
left_out AS (
    SELECT h.unit_id, count(*) AS n FROM household h
    WHERE h.ended_on IS NULL AND NOT EXISTS (SELECT 1 FROM cur WHERE cur.household_id = h.id)
    GROUP BY h.unit_id),
ranked AS (
    SELECT h.unit_id, hd.capacity,
           row_number() OVER (PARTITION BY hd.id
               ORDER BY ST_Distance(h.geom::geography, home.geom::geography), h.id) AS rank
    FROM cur JOIN household h ON h.id = cur.household_id
    JOIN active_head hd ON hd.id = cur.head_id JOIN household home ON home.id = hd.household_id
    WHERE hd.id IN (SELECT head_id FROM cur GROUP BY head_id
                    HAVING count(*) > (SELECT capacity FROM active_head WHERE id = head_id))),
overload AS (SELECT unit_id, count(*) AS n FROM ranked WHERE rank > capacity GROUP BY unit_id)
SELECT u.id AS unit, b.compound_id AS compound, cp.community_id AS community,
       cm.code AS community_code, cm.unit_head_target AS target,
       coalesce(lo.n, 0) AS left_out, coalesce(ov.n, 0) AS over_target,
       ST_X(ST_PointOnSurface(u.geom)) AS lon, ST_Y(ST_PointOnSurface(u.geom)) AS lat
FROM unit u JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
JOIN community cm ON cm.id = cp.community_id
LEFT JOIN left_out lo ON lo.unit_id = u.id LEFT JOIN overload ov ON ov.unit_id = u.id
WHERE (lo.n > 0 OR ov.n > 0) AND (CAST(:community AS text) IS NULL OR cm.code = :community)
ORDER BY u.id
"""
CANDIDATES_SQL = """
SELECT h.id AS household, h.unit_id AS unit, b.compound_id AS compound,
       cp.community_id AS community, h.address,
       EXISTS (SELECT 1 FROM member m WHERE m.household_id = h.id) AS member,
       h.volunteer, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id
WHERE cp.community_id = ANY(:communities) AND h.ended_on IS NULL
  AND (h.volunteer OR EXISTS (SELECT 1 FROM member m WHERE m.household_id = h.id))
  AND NOT EXISTS (SELECT 1 FROM active_head hd WHERE hd.household_id = h.id AND hd.role = 'unit')
ORDER BY h.id
"""


@dataclass
class Proposal:
    """One proposed unit head: who, and the households of which units they would take."""

    household_id: int
    address: str
    community_code: str
    kind: str  # "member" (registered party member) or "volunteer"
    covers: dict[int, int]  # unit id -> households
    # unit id -> its address: compound, building and unit (水岸明珠3号楼2单元)
    unit_names: dict[int, str] = field(default_factory=dict)

    @property
    def households(self) -> int:
        return sum(self.covers.values())


@dataclass
class RecruitReport:
    """Coverage now and with the proposed heads, and the proposals."""

    households: int
    left_out_before: int
    over_target_before: int
    left_out_after: int
    over_target_after: int
    proposals: list[Proposal] = field(default_factory=list)
    optimal: bool = True  # every community solved to proven optimality


def propose_recruits(
    conn: Connection, community: str | None = None, reach_m: float = REACH_M
) -> RecruitReport:
    """Propose the fewest new unit heads (see the module docstring)."""
    if (
        community is not None
        and not conn.execute(
            text("SELECT 1 FROM community WHERE code = :c"), {"c": community}
        ).first()
    ):
        raise NotFoundError(f"no community with code {community}")
    households = int(
        conn.execute(
            text(
                "SELECT count(*) FROM household h JOIN unit u ON u.id = h.unit_id "
                "JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id "
                "JOIN community cm ON cm.id = cp.community_id "
                "WHERE (CAST(:c AS text) IS NULL OR cm.code = :c) AND h.ended_on IS NULL"
            ),
            {"c": community},
        ).scalar_one()
    )
    demand = pd.read_sql_query(text(DEMAND_SQL), conn, params={"community": community})
    report = RecruitReport(
        households=households,
        left_out_before=int(demand["left_out"].sum()),
        over_target_before=int(demand["over_target"].sum()),
        left_out_after=int(demand["left_out"].sum()),
        over_target_after=int(demand["over_target"].sum()),
    )
    if demand.empty:
        return report
    people = pd.read_sql_query(
        text(CANDIDATES_SQL),
        conn,
        params={"communities": [int(c) for c in demand["community"].unique()]},
    )
    epsg = city_epsg(float(demand["lon"].mean()), float(demand["lat"].mean()))
    demand[["x", "y"]] = to_metres(demand["lon"].to_numpy(), demand["lat"].to_numpy(), epsg)
    people[["x", "y"]] = to_metres(people["lon"].to_numpy(), people["lat"].to_numpy(), epsg)
    for cid, need in demand.groupby("community"):
        chosen, optimal = solve_cover(need, people[people["community"] == cid], reach_m)
        report.optimal &= optimal
        for person, covers in chosen:
            row = people.loc[people["household"] == person].iloc[0]
            report.proposals.append(
                Proposal(
                    household_id=person,
                    address=str(row["address"]),
                    community_code=str(need["community_code"].iat[0]),
                    kind="member" if bool(row["member"]) else "volunteer",
                    covers=covers,
                )
            )
        covered = {u: 0 for u in need["unit"]}
        for _, covers in chosen:
            for unit, n in covers.items():
                covered[unit] += n
        for unit, left, over in zip(
            need["unit"], need["left_out"], need["over_target"], strict=True
        ):
            taken = covered[int(unit)]
            # The left-out households are covered first, then those over target.
            report.left_out_after -= min(taken, int(left))
            report.over_target_after -= max(0, min(taken - int(left), int(over)))
    _name_units(conn, report.proposals)
    return report


UNIT_NAMES_SQL = text("""
SELECT u.id, format('%s%s号楼%s单元', cp.name, b.number, u.number) AS name
FROM unit u JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
WHERE u.id = ANY(:ids)""")


def _name_units(conn: Connection, proposals: list[Proposal]) -> None:
    """Give each proposal the addresses of the units it covers: people know
    3号楼2单元, not unit ids."""
    ids = sorted({u for p in proposals for u in p.covers})
    if not ids:
        return
    names = {int(r.id): str(r.name) for r in conn.execute(UNIT_NAMES_SQL, {"ids": ids})}
    for p in proposals:
        p.unit_names = {u: names.get(u, str(u)) for u in p.covers}


def solve_cover(
    need: pd.DataFrame, people: pd.DataFrame, reach_m: float
) -> tuple[list[tuple[int, dict[int, int]]], bool]:
    """One community's capacitated set cover; returns (person, {unit: households})
    for each chosen person, and whether the solve is proven optimal."""
    units = need["unit"].to_numpy(dtype=np.int64)
    wanted = (need["left_out"] + need["over_target"]).to_numpy(dtype=np.int64)
    target = int(need["target"].to_numpy(dtype=np.int64)[0])
    if people.empty:
        return [], True
    pxy, uxy = people[["x", "y"]].to_numpy(), need[["x", "y"]].to_numpy()
    metres = np.hypot(pxy[:, None, 0] - uxy[None, :, 0], pxy[:, None, 1] - uxy[None, :, 1])
    same = people["compound"].to_numpy()[:, None] == need["compound"].to_numpy()[None, :]
    near = same | (metres <= reach_m)
    model = cp_model.CpModel()
    pick = {int(p): model.new_bool_var(f"x{p}") for p in np.flatnonzero(near.any(axis=1))}
    take: dict[tuple[int, int], cp_model.IntVar] = {}
    by_unit: dict[int, list[cp_model.IntVar]] = {u: [] for u in range(len(units))}
    by_person: dict[int, list[cp_model.IntVar]] = {p: [] for p in pick}
    for p, u in zip(*np.nonzero(near), strict=True):
        var = model.new_int_var(0, int(min(wanted[u], target)), f"y{p}_{u}")
        take[int(p), int(u)] = var
        by_unit[int(u)].append(var)
        by_person[int(p)].append(var)
    short = [model.new_int_var(0, int(wanted[u]), f"s{u}") for u in range(len(units))]
    for u, vars_ in by_unit.items():
        model.add(sum(vars_) + short[u] == int(wanted[u]))
    for p, chosen in pick.items():
        model.add(sum(by_person[p]) <= target * chosen)
    # Lexicographic, one objective at a time, each fixed before the next: faster
    # to prove than one objective with big weights.
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = SECONDS_PER_PHASE
    solver.parameters.num_workers = 1
    optimal = True
    walking = sum(round(float(metres[p, u])) * var for (p, u), var in take.items())
    for objective in (sum(short), sum(pick.values()), walking):
        model.minimize(objective)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return [], False
        optimal &= status == cp_model.OPTIMAL
        model.add(objective <= round(solver.objective_value))
        model.clear_hints()  # type: ignore[no-untyped-call]
        for var in (*short, *pick.values(), *take.values()):
            model.add_hint(var, solver.value(var))
    ids = people["household"].to_numpy()
    result = []
    for p, var in sorted(pick.items()):
        if solver.value(var):
            covers = {int(units[u]): int(solver.value(v)) for (q, u), v in take.items() if q == p}
            result.append((int(ids[p]), {u: n for u, n in covers.items() if n}))
    return result, optimal
