"""The assignment history and the audit log partitioned by year (migration 0025): where
rows land, the keys PostgreSQL still enforces, the partitions made later, and the
conversion of a store that holds data, up and back down."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from geo_api.assign.engine import run_assignment
from geo_api.assign.manual import set_lock
from geo_api.auth.audit import audit_rows, record_operator
from geo_api.db import migrate
from geo_api.db.partitions import add_year, china_year, ensure_years, year_bound
from geo_api.demo.city import City
from geo_api.demo.load import load_city
from geo_api.lookup.households import household_chain

THIS_YEAR = china_year()
WHERE_SQL = "SELECT CAST(tableoid AS regclass)::text FROM {table} WHERE {condition}"


def partitions(conn: Connection, table: str) -> set[str]:
    return set(
        conn.execute(
            text(
                "SELECT CAST(inhrelid AS regclass)::text FROM pg_inherits "
                "WHERE inhparent = CAST(:t AS regclass)"
            ),
            {"t": table},
        ).scalars()
    )


def test_history_and_audit_log_have_a_partition_a_year(conn: Connection) -> None:
    strategies = dict(
        conn.execute(
            text("SELECT CAST(partrelid AS regclass)::text, partstrat FROM pg_partitioned_table")
        ).all()
    )
    assert strategies == {"assignment": "r", "audit_log": "r"}
    for table, default in (("assignment", "assignment_current"), ("audit_log", "audit_log_later")):
        assert {default, f"{table}_y{THIS_YEAR}", f"{table}_y{THIS_YEAR + 1}"} <= partitions(
            conn, table
        )


def test_current_assignments_are_the_current_partition(conn: Connection) -> None:
    current = conn.execute(
        text("SELECT count(*) FROM assignment WHERE valid_to IS NULL")
    ).scalar_one()
    assert current > 0
    assert conn.execute(text("SELECT count(*) FROM assignment_current")).scalar_one() == current
    # What every whole-city read of current assignments asks reads that partition only.
    plan = "\n".join(
        conn.execute(
            text("EXPLAIN SELECT count(*) FROM assignment WHERE valid_to IS NULL")
        ).scalars()
    )
    assert "assignment_current" in plan and "assignment_y" not in plan


def test_a_closed_assignment_moves_into_its_year(conn: Connection) -> None:
    home, first = conn.execute(
        text(
            "SELECT household_id, id FROM assignment WHERE valid_to IS NULL AND NOT locked LIMIT 1"
        )
    ).one()
    set_lock(conn, home, True, by="test")  # closes the current entry and opens a locked one
    where = dict(
        conn.execute(
            text(
                "SELECT id, CAST(tableoid AS regclass)::text FROM assignment "
                "WHERE household_id = :h"
            ),
            {"h": home},
        ).all()
    )
    current = conn.execute(
        text("SELECT id FROM assignment WHERE household_id = :h AND valid_to IS NULL"), {"h": home}
    ).scalar_one()
    assert where[first] == f"assignment_y{THIS_YEAR}"
    assert where[current] == "assignment_current"
    assert household_chain(conn, home)["unit_head"] is not None  # read through the parent


def test_one_current_assignment_per_household_is_still_enforced(conn: Connection) -> None:
    home, head = conn.execute(
        text("SELECT household_id, head_id FROM assignment WHERE valid_to IS NULL LIMIT 1")
    ).one()
    insert = text(
        "INSERT INTO assignment (household_id, head_id, reason, distance_m, valid_to) "
        "VALUES (:h, :hd, 'own_unit', 0, :to)"
    )
    with conn.begin_nested():  # closed entries of the same household are history: fine
        conn.execute(insert, {"h": home, "hd": head, "to": year_bound(THIS_YEAR + 1)})
    with (
        pytest.raises(IntegrityError, match=r"\(household_id, valid_to\)=\(\d+, null\)"),
        conn.begin_nested(),
    ):
        conn.execute(insert, {"h": home, "hd": head, "to": None})
    # The history's check that a household exists still runs on the partitioned table.
    with pytest.raises(IntegrityError, match="does not exist"), conn.begin_nested():
        conn.execute(insert, {"h": 10**9, "hd": head, "to": None})


def test_audit_rows_land_in_their_year_and_read_newest_first(conn: Connection) -> None:
    record_operator(conn, "GET /households/1", ["household:1"], "test")
    newest = audit_rows(conn, 1)[0]
    assert newest["action"] == "GET /households/1"
    where = conn.execute(
        text(WHERE_SQL.format(table="audit_log", condition="id = :id")), {"id": newest["id"]}
    ).scalar_one()
    assert where == f"audit_log_y{THIS_YEAR}"


def test_a_year_without_a_partition_is_kept_then_moved_into_one(conn: Connection) -> None:
    old = THIS_YEAR - 7
    at = f"{old}-06-01 12:00:00+08"
    conn.execute(
        text(
            "INSERT INTO audit_log (at, key_name, role, action, records) "
            "VALUES (:at, 'old', 'admin', 'GET /heads/1', 'head:1')"
        ),
        {"at": at},
    )
    where = WHERE_SQL.format(table="audit_log", condition="key_name = 'old'")
    assert conn.execute(text(where)).scalar_one() == "audit_log_later"
    assert add_year(conn, "audit_log", old) == 1
    assert conn.execute(text(where)).scalar_one() == f"audit_log_y{old}"
    # The year's bounds are China's: 1 January 00:00 at +08 is 31 December 16:00 UTC.
    bounds = conn.execute(
        text("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = :p"),
        {"p": f"audit_log_y{old}"},
    ).scalar_one()
    assert f"{old - 1}-12-31 16:00:00" in bounds or f"{old}-01-01 00:00:00+08" in bounds
    assert ensure_years(conn) == []  # this year and the next exist: nothing to make


def test_the_migration_converts_a_store_that_holds_data(scratch_url: str, city: City) -> None:
    """0021 → 0025 keeps every row, id and key; new rows continue the ids; and back."""
    engine = create_engine(scratch_url)
    migrate.upgrade(engine, "0021")
    load_city(engine, city)
    last_year = THIS_YEAR - 1
    with engine.begin() as conn:
        run_assignment(conn)
        conn.execute(
            text(
                "INSERT INTO assignment (household_id, head_id, reason, distance_m, "
                "valid_from, valid_to) SELECT household_id, head_id, reason, distance_m, "
                "CAST(:f AS timestamptz), CAST(:t AS timestamptz) FROM assignment "
                "WHERE valid_to IS NULL"
            ),
            {"f": f"{last_year}-03-01 00:00:00+08", "t": f"{last_year}-09-01 00:00:00+08"},
        )
        record_operator(conn, "GET /heads/1", ["head:1"])
        conn.execute(
            text(
                "INSERT INTO audit_log (at, key_name, role, action, records) "
                "VALUES (:at, 'old', 'admin', 'GET /heads/2', 'head:2')"
            ),
            {"at": f"{last_year}-05-01 00:00:00+08"},
        )
    rows = "SELECT {table}.* FROM {table} ORDER BY id"

    def contents() -> dict[str, list[object]]:
        with engine.connect() as conn:
            return {
                table: [tuple(r) for r in conn.execute(text(rows.format(table=table)))]
                for table in ("assignment", "audit_log")
            }

    before = contents()
    with engine.connect() as conn:
        closed = conn.execute(
            text("SELECT count(*) FROM assignment WHERE valid_to IS NOT NULL")
        ).scalar_one()
    assert closed > 0
    migrate.upgrade(engine)
    assert contents() == before
    with engine.begin() as conn:
        assert partitions(conn, "assignment") >= {"assignment_current", f"assignment_y{last_year}"}
        year_rows = f"SELECT count(*) FROM assignment_y{last_year}"
        assert conn.execute(text(year_rows)).scalar_one() == closed
        assert conn.execute(text(f"SELECT count(*) FROM audit_log_y{last_year}")).scalar_one() == 1
        record_operator(conn, "GET /heads/3", ["head:3"])
        newest = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
        assert newest == max(r[0] for r in before["audit_log"]) + 1  # type: ignore[call-overload]
    migrate.downgrade(engine, "0021")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_partitioned_table")).scalar_one() == 0
    assert inspect(engine).get_pk_constraint("assignment")["constrained_columns"] == ["id"]
    assert contents()["assignment"] == before["assignment"]
    engine.dispose()
