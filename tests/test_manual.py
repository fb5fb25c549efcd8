"""Officers' moves and locks: checked, recorded, and kept by every run."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from geo_api.assign.engine import run_assignment
from geo_api.assign.manual import move_household, set_lock
from geo_api.assign.move_in import move_in
from geo_api.errors import InvalidInputError, NotFoundError

CURRENT = (
    "SELECT head_id, locked, changed_by, reason FROM assignment "
    "WHERE household_id = :h AND valid_to IS NULL"
)


def a_household_and_another_head(conn: Connection) -> tuple[int, int, int]:
    """(household, its head, another unit head of the same compound with room)."""
    row = conn.execute(
        text("""
        SELECT a.household_id, a.head_id, other.id FROM assignment a
        JOIN head mine ON mine.id = a.head_id
        JOIN unit mu ON mu.id = mine.unit_id JOIN building mb ON mb.id = mu.building_id
        JOIN building ob ON ob.compound_id = mb.compound_id JOIN unit ou ON ou.building_id = ob.id
        JOIN head_effective other ON other.unit_id = ou.id AND other.id <> mine.id
        WHERE a.valid_to IS NULL AND (SELECT count(*) FROM assignment x
              WHERE x.head_id = other.id AND x.valid_to IS NULL)
              BETWEEN 1 AND other.max_capacity - 1
        ORDER BY a.household_id LIMIT 1
    """)
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def test_a_locked_move_survives_runs(conn: Connection) -> None:
    household, mine, other = a_household_and_another_head(conn)
    chain = move_household(conn, household, other, by="网格员王")
    assert chain["unit_head"]["id"] == other and chain["unit_head"]["locked"] is True
    assert chain["unit_head"]["changed_by"] == "网格员王"
    for solver in ("greedy", "flow"):
        report = run_assignment(conn, solver=solver)
        assert conn.execute(text(CURRENT), {"h": household}).one()[:2] == (other, True)
        assert report.by_reason.get("manual") == 1
    history = (
        conn.execute(
            text("SELECT head_id FROM assignment WHERE household_id = :h ORDER BY id"),
            {"h": household},
        )
        .scalars()
        .all()
    )
    assert history[0] == mine and history[-1] == other


def test_unlocked_the_engine_may_take_it_back(conn: Connection) -> None:
    household, mine, other = a_household_and_another_head(conn)
    move_household(conn, household, other, by="officer", lock=False)
    run_assignment(conn)
    assert conn.execute(text(CURRENT), {"h": household}).one()[0] == mine
    set_lock(conn, household, True, by="officer")
    assert conn.execute(text(CURRENT), {"h": household}).one()[1] is True
    set_lock(conn, household, False, by="officer")
    assert conn.execute(text(CURRENT), {"h": household}).one()[1] is False


def test_refusals_name_the_reason(conn: Connection) -> None:
    household, _, other = a_household_and_another_head(conn)
    with pytest.raises(NotFoundError, match="household 99999999 does not exist"):
        move_household(conn, 99_999_999, other, by="x")
    with pytest.raises(NotFoundError, match="unit head 99999999 does not exist"):
        move_household(conn, household, 99_999_999, by="x")
    with pytest.raises(InvalidInputError, match="say who makes the change"):
        move_household(conn, household, other, by="  ")
    far = conn.execute(
        text("""
        SELECT hd.id FROM head hd JOIN unit u ON u.id = hd.unit_id
        JOIN building b ON b.id = u.building_id JOIN compound c ON c.id = b.compound_id
        WHERE hd.role = 'unit' AND c.community_id <> (
            SELECT c2.community_id FROM household h JOIN unit u2 ON u2.id = h.unit_id
            JOIN building b2 ON b2.id = u2.building_id JOIN compound c2 ON c2.id = b2.compound_id
            WHERE h.id = :h) LIMIT 1
    """),
        {"h": household},
    ).scalar_one()
    with pytest.raises(InvalidInputError, match="never cross a community"):
        move_household(conn, household, far, by="x")
    taken = conn.execute(
        text("SELECT count(*) FROM assignment WHERE head_id = :id AND valid_to IS NULL"),
        {"id": other},
    ).scalar_one()
    conn.execute(
        text("UPDATE head SET capacity = :n, max_capacity = :n WHERE id = :id"),
        {"id": other, "n": taken},
    )
    with pytest.raises(InvalidInputError, match=f"head {other} is full: {taken} of at most"):
        move_household(conn, household, other, by="x")
    conn.execute(text("UPDATE head SET left_on = china_today() WHERE id = :id"), {"id": other})
    with pytest.raises(InvalidInputError, match="stepped down"):
        move_household(conn, household, other, by="x")


def test_locks_that_cannot_stand_stop_the_run(conn: Connection) -> None:
    household, _, other = a_household_and_another_head(conn)
    move_household(conn, household, other, by="x")
    conn.execute(text("UPDATE head SET left_on = china_today() WHERE id = :id"), {"id": other})
    with pytest.raises(InvalidInputError, match=f"locked to head {other}, who no longer serves"):
        run_assignment(conn)


def test_move_and_lock_over_http(client: TestClient, conn: Connection) -> None:
    household, _, other = a_household_and_another_head(conn)
    moved = client.put(f"/households/{household}/head", json={"head_id": other, "by": "李"})
    assert moved.status_code == 200 and moved.json()["unit_head"]["id"] == other
    # Who made the change is the key's holder; "by" is their note.
    assert moved.json()["unit_head"]["changed_by"] == "test command: 李"
    unlocked = client.put(f"/households/{household}/lock", json={"locked": False})
    assert unlocked.json()["unit_head"]["locked"] is False
    assert unlocked.json()["unit_head"]["changed_by"] == "test command"
    too_long = {"head_id": other, "by": "李" * 101}
    assert client.put(f"/households/{household}/head", json=too_long).status_code == 422
    missing = client.put("/households/99999999/head", json={"head_id": other, "by": "李"})
    assert missing.status_code == 404


def test_a_household_moving_in_gets_a_head_at_once(conn: Connection) -> None:
    unit, head, load = conn.execute(
        text("""
        SELECT hd.unit_id, hd.id, count(a.id) FROM head_effective hd
        LEFT JOIN assignment a ON a.head_id = hd.id AND a.valid_to IS NULL
        WHERE hd.role = 'unit' AND hd.left_on IS NULL
        GROUP BY hd.id, hd.unit_id, hd.max_capacity HAVING count(a.id) < hd.max_capacity
           AND (SELECT count(*) FROM head o WHERE o.unit_id = hd.unit_id) = 1
        ORDER BY hd.id LIMIT 1
    """)
    ).one()
    chain = move_in(conn, unit, "9901", 3, by="社区民警")
    assert chain["unit_head"]["id"] == head and chain["unit_head"]["reason"] == "own_unit"
    assert chain["masked"] and chain["room"] == "***" and chain["persons"] == 3
    stored = conn.execute(text("SELECT address FROM household WHERE id = :i"), {"i": chain["id"]})
    assert stored.scalar_one().endswith("9901室")
    assert chain["unit_head"]["changed_by"] == "社区民警"
    assert chain["unit_head"]["load"] == load + 1
    # A later run keeps it where it is.
    assert run_assignment(conn).moved == 0


def test_move_in_spills_to_the_building_when_the_unit_is_full(conn: Connection) -> None:
    load = "(SELECT count(*) FROM assignment a WHERE a.head_id = {}.id AND a.valid_to IS NULL)"
    unit, full, roomy = conn.execute(
        text(f"""
        SELECT mine.unit_id, mine.id, other.id FROM head mine
        JOIN unit mu ON mu.id = mine.unit_id
        JOIN unit ou ON ou.building_id = mu.building_id AND ou.id <> mu.id
        JOIN head_effective other ON other.unit_id = ou.id AND other.role = 'unit'
        WHERE mine.role = 'unit' AND {load.format("mine")} >= 1
          AND {load.format("other")} < other.capacity
          AND (SELECT count(*) FROM head o WHERE o.unit_id = mine.unit_id) = 1
        ORDER BY mine.id LIMIT 1
    """)
    ).one()
    conn.execute(
        text(f"""
        UPDATE head SET max_capacity = {load.format("head")},
                        capacity = {load.format("head")} WHERE id = :id
    """),
        {"id": full},
    )
    chain = move_in(conn, unit, "9902", 1, by="x")
    assert chain["unit_head"]["reason"] == "same_building"
    assert chain["unit_head"]["id"] != full
    roomy_building = conn.execute(
        text("SELECT u.building_id FROM head h JOIN unit u ON u.id = h.unit_id WHERE h.id = :id"),
        {"id": roomy},
    ).scalar_one()
    assert chain["building_id"] == roomy_building


def test_move_in_refusals(conn: Connection) -> None:
    unit, room = conn.execute(text("SELECT unit_id, room FROM household LIMIT 1")).one()
    with pytest.raises(InvalidInputError, match=f"room {room} of unit {unit} already"):
        move_in(conn, unit, room, 2, by="x")
    with pytest.raises(NotFoundError, match="unit 99999999 does not exist"):
        move_in(conn, 99_999_999, "101", 2, by="x")
    with pytest.raises(InvalidInputError, match="persons must be 1 to 30"):
        move_in(conn, unit, "9903", 0, by="x")


def test_move_in_over_http(client: TestClient, conn: Connection) -> None:
    unit = conn.execute(text("SELECT unit_id FROM head WHERE role = 'unit' LIMIT 1")).scalar()
    made = client.post(
        "/households", json={"unit_id": unit, "room": "9904", "persons": 2, "by": "李"}
    )
    assert made.status_code == 201 and made.json()["unit_head"] is not None
    again = client.post(
        "/households", json={"unit_id": unit, "room": "9904", "persons": 2, "by": "李"}
    )
    assert again.status_code == 422 and "already has a household" in again.json()["detail"]
