"""The first assignment engine: invariants on the test city, and the solver by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError, ProgrammingError

from geo_api.assign import engine as engine_module
from geo_api.assign.engine import run_assignment
from geo_api.assign.solver import UNASSIGNED, Heads, Households, solve_community
from geo_api.db.models import AssignReason
from geo_api.demo.city import City
from geo_api.errors import InvalidInputError

CURRENT = "FROM (SELECT * FROM assignment WHERE valid_to IS NULL) a"


def test_no_household_is_assigned_twice(conn: Connection) -> None:
    twice = conn.execute(
        text(f"SELECT household_id {CURRENT} GROUP BY household_id HAVING count(*) > 1")
    ).all()
    assert twice == []


def test_no_head_above_its_hard_maximum(conn: Connection) -> None:
    over = conn.execute(
        text(f"""
        SELECT hd.id, count(*) {CURRENT} JOIN head_effective hd ON hd.id = a.head_id
        GROUP BY hd.id, hd.max_capacity HAVING count(*) > hd.max_capacity
    """)
    ).all()
    assert over == []


def test_never_across_communities_and_never_beyond_the_compound(conn: Connection) -> None:
    crossing = conn.execute(
        text(f"""
        SELECT count(*) {CURRENT}
        JOIN household h ON h.id = a.household_id JOIN unit hu ON hu.id = h.unit_id
        JOIN building hb ON hb.id = hu.building_id JOIN compound hc ON hc.id = hb.compound_id
        JOIN head hd ON hd.id = a.head_id JOIN unit du ON du.id = hd.unit_id
        JOIN building db ON db.id = du.building_id JOIN compound dc ON dc.id = db.compound_id
        WHERE hc.community_id <> dc.community_id OR hc.id <> dc.id
    """)
    ).scalar_one()
    assert crossing == 0


def test_reasons_match_where_the_head_lives(conn: Connection) -> None:
    wrong = conn.execute(
        text(f"""
        SELECT count(*) {CURRENT}
        JOIN household h ON h.id = a.household_id JOIN unit hu ON hu.id = h.unit_id
        JOIN head hd ON hd.id = a.head_id JOIN unit du ON du.id = hd.unit_id
        WHERE (a.reason = 'own_unit') <> (hu.id = du.id)
           OR (a.reason = 'same_building' AND hu.building_id <> du.building_id)
    """)
    ).scalar_one()
    assert wrong == 0


def test_every_household_with_a_head_in_its_unit_is_covered(conn: Connection) -> None:
    # Units whose heads have room for all their households leave nobody out.
    left_out = conn.execute(
        text("""
        SELECT count(*) FROM household h
        JOIN (SELECT unit_id, sum(max_capacity) AS room FROM head_effective WHERE role = 'unit'
              GROUP BY unit_id) cap ON cap.unit_id = h.unit_id
        JOIN (SELECT unit_id, count(*) AS n FROM household GROUP BY unit_id) size
          ON size.unit_id = h.unit_id
        WHERE size.n <= cap.room AND NOT EXISTS (
            SELECT 1 FROM assignment a WHERE a.household_id = h.id AND a.valid_to IS NULL)
    """)
    ).scalar_one()
    assert left_out == 0


def test_rerun_moves_nobody(conn: Connection, city: City) -> None:
    report = run_assignment(conn)
    assert report.moved == 0
    assert report.kept == report.assigned
    assert report.households == len(city.households)
    assert report.assigned + report.unassigned == report.households


def test_a_head_leaving_moves_only_their_households(conn: Connection) -> None:
    head_id, covered = conn.execute(
        text(f"""
        SELECT a.head_id, count(*) {CURRENT} GROUP BY a.head_id ORDER BY count(*) DESC LIMIT 1
    """)
    ).one()
    before = dict(conn.execute(text(f"SELECT household_id, head_id {CURRENT}")).all())
    conn.execute(text("UPDATE head SET left_on = china_today() WHERE id = :id"), {"id": head_id})
    report = run_assignment(conn)
    after = dict(conn.execute(text(f"SELECT household_id, head_id {CURRENT}")).all())
    changed = {h for h in before if before[h] != after.get(h)}
    theirs = {h for h, head in before.items() if head == head_id}
    assert changed == theirs and len(theirs) == covered
    assert head_id not in after.values()
    assert (report.moved, report.dropped, report.added) == (
        len({h for h in theirs if h in after}),
        len({h for h in theirs if h not in after}),
        0,
    )
    # Their old assignments are history, closed, not deleted.
    closed = conn.execute(
        text("SELECT count(*) FROM assignment WHERE head_id = :id AND valid_to IS NOT NULL"),
        {"id": head_id},
    ).scalar_one()
    assert closed == covered


def test_a_household_ended_behind_the_engine_s_back_loses_its_head(conn: Connection) -> None:
    """A household ended by SQL (or a writer that forgot its assignment) is not read by
    the next run; its open row is closed all the same, and counted as dropped."""
    household = conn.execute(
        text(f"SELECT a.household_id {CURRENT} WHERE NOT a.locked ORDER BY 1 LIMIT 1")
    ).scalar_one()
    conn.execute(
        text(
            "UPDATE household SET ended_on = china_today(), ended_reason = 'moved' WHERE id = :id"
        ),
        {"id": household},
    )
    report = run_assignment(conn)
    still = conn.execute(
        text("SELECT count(*) FROM assignment WHERE household_id = :id AND valid_to IS NULL"),
        {"id": household},
    ).scalar_one()
    assert still == 0 and report.dropped == 1 and report.moved == 0


def test_a_head_with_history_cannot_be_deleted(conn: Connection) -> None:
    head_id = conn.execute(text(f"SELECT head_id {CURRENT} LIMIT 1")).scalar_one()
    with pytest.raises(IntegrityError, match="fk_assignment_head_id_head"):
        conn.execute(text("DELETE FROM head WHERE id = :id"), {"id": head_id})


def test_history_answers_who_covered_a_household_on_a_date(conn: Connection) -> None:
    household, head = conn.execute(text(f"SELECT household_id, head_id {CURRENT} LIMIT 1")).one()
    conn.execute(text("UPDATE head SET left_on = china_today() WHERE id = :id"), {"id": head})
    run_assignment(conn)
    rows = conn.execute(
        text(
            "SELECT head_id, valid_from, valid_to FROM assignment "
            "WHERE household_id = :hh ORDER BY id"
        ),
        {"hh": household},
    ).all()
    assert rows[0].head_id == head and rows[0].valid_to is not None
    assert all(r.head_id != head for r in rows[1:])
    on_the_day = conn.execute(
        text(
            "SELECT head_id FROM assignment WHERE household_id = :hh "
            "AND valid_from <= :d AND (valid_to IS NULL OR valid_to > :d)"
        ),
        {"hh": household, "d": rows[0].valid_from + (rows[0].valid_to - rows[0].valid_from) / 2},
    ).scalar_one()
    assert on_the_day == head


def test_a_failed_run_leaves_the_previous_assignment(
    conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = conn.execute(text(f"SELECT household_id, head_id, id {CURRENT}")).all()
    conn.execute(text("UPDATE head SET capacity = 1, max_capacity = 1"))
    # Fail after the old assignments were closed, before the new ones are written.
    monkeypatch.setattr(engine_module, "OPEN_SQL", "INSERT INTO no_such_table VALUES (1)")
    savepoint = conn.begin_nested()
    with pytest.raises(ProgrammingError, match="no_such_table"):
        run_assignment(conn)
    savepoint.rollback()  # what every caller's transaction does on an error
    assert conn.execute(text(f"SELECT household_id, head_id, id {CURRENT}")).all() == before


def _toy(
    units: list[int],
    buildings: list[int],
    heads_in_units: list[int],
    capacity: int = 2,
    max_capacity: int = 3,
) -> tuple[Households, Heads]:
    n = len(units)
    homes = Households(
        id=np.arange(1, n + 1),
        unit=np.array(units),
        building=np.array(buildings),
        compound=np.ones(n, dtype=int),
        grid=np.ones(n, dtype=int),
        xy=np.column_stack([np.arange(n) * 10.0, np.zeros(n)]),
        previous=np.full(n, UNASSIGNED),
    )
    unit_building = dict(zip(units, buildings, strict=True))
    k = len(heads_in_units)
    heads = Heads(
        id=np.arange(100, 100 + k),
        unit=np.array(heads_in_units),
        building=np.array([unit_building[u] for u in heads_in_units]),
        compound=np.ones(k, dtype=int),
        grid=np.ones(k, dtype=int),
        capacity=np.full(k, capacity),
        max_capacity=np.full(k, max_capacity),
        xy=np.zeros((k, 2)),
    )
    return homes, heads


def test_solver_fills_own_unit_to_the_hard_maximum_then_spills() -> None:
    # Unit 1 (building 1): 5 homes, one head (target 2, max 3). Unit 2 (building 1): 1 home,
    # one head. Unit 3 (building 2): 1 home and one head.
    homes, heads = _toy([1, 1, 1, 1, 1, 2, 3], [1, 1, 1, 1, 1, 1, 2], [1, 2, 3])
    solution = solve_community(homes, heads)
    assert list(solution.head[:3]) == [100, 100, 100]
    assert solution.reason[:3] == [AssignReason.own_unit] * 3
    # Two spill over: the unit-2 head has room for one below target, then the compound.
    assert list(solution.head[3:5]) == [101, 102]
    assert solution.reason[3:5] == [AssignReason.same_building, AssignReason.same_compound]
    assert solution.distance_m[3] == pytest.approx(30.0)


def test_solver_leaves_households_unassigned_when_no_room() -> None:
    homes, heads = _toy([1, 1, 1, 1], [1, 1, 1, 1], [1], capacity=1, max_capacity=2)
    solution = solve_community(homes, heads)
    assert list(solution.head) == [100, 100, UNASSIGNED, UNASSIGNED]
    assert solution.reason[2:] == [None, None]


def test_solver_keeps_previous_heads_where_it_may() -> None:
    # Two heads in one unit share four homes; the previous split was uneven but legal,
    # so it stands, instead of the least-loaded split a fresh run would make.
    homes, heads = _toy([1, 1, 1, 1], [1, 1, 1, 1], [1, 1], capacity=3, max_capacity=3)
    homes.previous = np.array([100, 100, 100, 101])
    solution = solve_community(homes, heads)
    assert list(solution.head) == [100, 100, 100, 101]
    # A previous head that is gone, or would be over its maximum, is not kept.
    homes.previous = np.array([100, 100, 100, 999])
    heads.max_capacity = np.array([2, 3])
    solution = solve_community(homes, heads)
    assert sorted(solution.head.tolist()) == [100, 100, 101, 101]


def test_the_flow_solver_on_the_test_city(conn: Connection, city: City) -> None:
    greedy_uncovered = conn.execute(
        text(
            "SELECT count(*) FROM household h WHERE NOT EXISTS (SELECT 1 FROM assignment a "
            "WHERE a.household_id = h.id AND a.valid_to IS NULL)"
        )
    ).scalar_one()
    report = run_assignment(conn, solver="flow")
    assert report.unassigned <= greedy_uncovered
    over = conn.execute(
        text(f"""
        SELECT count(*) FROM (SELECT hd.id {CURRENT} JOIN head_effective hd ON hd.id = a.head_id
        GROUP BY hd.id, hd.max_capacity HAVING count(*) > hd.max_capacity) x
    """)
    ).scalar_one()
    crossing = conn.execute(
        text(f"""
        SELECT count(*) {CURRENT}
        JOIN household h ON h.id = a.household_id JOIN unit hu ON hu.id = h.unit_id
        JOIN building hb ON hb.id = hu.building_id JOIN head hd ON hd.id = a.head_id
        JOIN unit du ON du.id = hd.unit_id JOIN building db ON db.id = du.building_id
        WHERE hb.compound_id <> db.compound_id
    """)
    ).scalar_one()
    assert over == 0 and crossing == 0
    assert run_assignment(conn, solver="flow").moved == 0


def test_unknown_solver(conn: Connection) -> None:
    with pytest.raises(InvalidInputError, match="unknown solver 'magic'"):
        run_assignment(conn, solver="magic")


def test_a_head_living_in_another_community_is_refused(conn: Connection) -> None:
    head_id, other_home = conn.execute(
        text("""
        SELECT hd.id, h.id FROM head hd
        JOIN unit u ON u.id = hd.unit_id JOIN building b ON b.id = u.building_id
        JOIN compound c ON c.id = b.compound_id,
        household h JOIN unit hu ON hu.id = h.unit_id JOIN building hb ON hb.id = hu.building_id
        JOIN compound hc ON hc.id = hb.compound_id
        WHERE hd.role = 'unit' AND hc.community_id <> c.community_id LIMIT 1
    """)
    ).one()
    conn.execute(
        text("UPDATE head SET household_id = :h WHERE id = :id"), {"h": other_home, "id": head_id}
    )
    before = conn.execute(text(f"SELECT count(*) {CURRENT}")).scalar_one()
    with pytest.raises(
        InvalidInputError,
        match=rf"head {head_id} serves \S+ but household "
        rf"{other_home} is in",
    ):
        run_assignment(conn)
    assert conn.execute(text(f"SELECT count(*) {CURRENT}")).scalar_one() == before


def test_capacity_must_be_positive(conn: Connection) -> None:
    with pytest.raises(IntegrityError, match="ck_head_capacity_positive"):
        conn.execute(text("UPDATE head SET capacity = 0 WHERE id = 1"))
