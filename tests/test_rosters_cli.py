"""gridgov heads and gridgov households on a store of their own (the commands commit):
each change recorded, re-assigned, printed in Chinese or English, refused in one line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from geo_api.assign.engine import run_assignment
from geo_api.db import migrate
from geo_api.db.engine import make_engine
from geo_api.demo.city import generate_city
from geo_api.demo.load import load_city
from tests.cli_run import Run, invoker
from tests.conftest import _recreate_database
from tests.rosters_helpers import a_household_without_head_role, a_unit_head, broken, one


@pytest.fixture(scope="module")
def own_store(server_url: str) -> Iterator[tuple[str, Engine]]:
    url = _recreate_database(server_url, "gridgov_rosters_cli")
    engine = make_engine(url, pool_size=2)
    migrate.upgrade(engine)
    load_city(engine, generate_city(1_000, 16))
    with engine.begin() as conn:
        run_assignment(conn)
    yield url, engine
    engine.dispose()


@pytest.fixture
def run(
    own_store: tuple[str, Engine],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    return invoker(own_store[0], monkeypatch, capsys)


def test_heads_retire_add_move_capacity(run: Run, own_store: tuple[str, Engine]) -> None:
    engine = own_store[1]
    with engine.connect() as conn:
        head = a_unit_head(conn)
        neighbour = a_household_without_head_role(conn, head.unit_id)
    code, out, err = run("heads", "retire", str(head.id), "--reason", "搬走了")
    assert code == 0, err
    assert "名册变更" in out and "卸任" in out and "换了单元长" in out
    code, out, err = run(
        "heads", "add", "单元长", str(head.unit_id), str(neighbour), "--name", "李四",
        "--phone", "13800000000", "--by", "网格员王", "--lang", "en",
    )  # fmt: skip
    assert code == 0, err
    assert "roster change" in out and "appointed" in out and "churn" in out
    with engine.connect() as conn:
        new = one(conn, "SELECT id, appointed_by FROM head WHERE household_id = :h "
                  "AND left_on IS NULL AND role = 'unit'", h=neighbour)  # fmt: skip
        assert new[1] == "网格员王"
        assert one(conn, "SELECT left_reason FROM head WHERE id = :h", h=head.id)[0] == "搬走了"
        logged = (
            conn.execute(
                text("SELECT records FROM audit_log WHERE action = 'gridgov heads retire'")
            )
            .scalars()
            .all()
        )
        assert f"head:{head.id}" in logged
    code, out, err = run("heads", "capacity", str(new[0]), "--target", "3", "--maximum", "4")
    assert code == 0, err
    with engine.connect() as conn:
        assert broken(conn) == {}


def test_heads_move(run: Run, own_store: tuple[str, Engine]) -> None:
    """gridgov heads move ends the head's term and opens one at the other unit, audited,
    re-assigned, printed; moving them to where they serve already is one line."""
    engine = own_store[1]
    with engine.begin() as conn:
        head = a_unit_head(conn)
        target = one(
            conn,
            """SELECT u.id FROM unit u JOIN building b ON b.id = u.building_id
               WHERE b.compound_id = :cp AND u.id <> :u ORDER BY u.id LIMIT 1""",
            cp=head.compound_id,
            u=head.unit_id,
        )[0]
        # Serving a unit they do not live in: a volunteer's household may.
        conn.execute(text("UPDATE household SET volunteer = true WHERE id = :h"),
                     {"h": head.household_id})  # fmt: skip
    code, out, err = run("heads", "move", str(head.id), str(target), "--by", "网格员王")
    assert code == 0, err
    assert "名册变更" in out and "调任" in out and "换了单元长" in out
    with engine.connect() as conn:
        new = one(conn, "SELECT id, unit_id, moved_from, appointed_by, left_on FROM head "
                  "WHERE moved_from = :h", h=head.id)  # fmt: skip
        assert tuple(new)[1:] == (target, head.id, "网格员王", None)
        old = one(conn, "SELECT left_on, left_reason FROM head WHERE id = :h", h=head.id)
        assert old[0] is not None and f"unit {target}" in old[1]
        logged = conn.execute(
            text("SELECT records FROM audit_log WHERE action = 'gridgov heads move'")
        ).scalars().all()  # fmt: skip
        assert any(f"head:{new.id}" in r for r in logged), logged
        assert broken(conn) == {}
    code, _, err = run("heads", "move", str(new.id), str(target))
    assert code == 1 and "already serves" in err and "Traceback" not in err


def test_households_end_and_move(run: Run, own_store: tuple[str, Engine]) -> None:
    engine = own_store[1]
    with engine.connect() as conn:
        head = a_unit_head(conn)
        household = a_household_without_head_role(conn, head.unit_id)
    code, out, err = run("households", "move", str(household), str(head.unit_id), "7707")
    assert code == 0, err
    assert "已搬迁" in out
    code, out, err = run("households", "end", str(household), "--reason", "搬离本市")
    assert code == 0, err
    assert "已迁出" in out
    with engine.connect() as conn:
        row = one(conn, "SELECT room, ended_reason FROM household WHERE id = :h", h=household)
        assert row == ("7707", "搬离本市")
        assert broken(conn) == {}
    code, out, err = run("households", "end", str(household), "--reason", "again")
    assert code == 1 and "错误: household" in err and "moved out" in err
    assert "Traceback" not in err


def test_mistakes_are_one_line(run: Run) -> None:
    for args, said in [
        (("heads", "retire", "999999", "--reason", "x"), "head 999999"),
        (("heads", "add", "mayor", "1", "1"), "mayor"),
        (("heads", "retire", "1", "--reason", "x", "--on", "yesterday"), "yesterday"),
        (("households", "move", "999999", "1", "501"), "household 999999"),
    ]:
        code, _, err = run(*args)
        assert code == 1 and "Traceback" not in err, args
        assert said in err, (args, err)
