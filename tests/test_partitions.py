"""The audit log partitioned by year (migration 0025): where rows land, the
partitions made later, and the conversion of a store that holds data, up and back
down (the assignment history, not partitioned, is carried through unchanged)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import Connection, create_engine, inspect, text

from geo_api.assign.engine import run_assignment
from geo_api.auth.audit import audit_rows, record_operator
from geo_api.clock import today
from geo_api.db import migrate
from geo_api.db.partitions import add_year, ensure_years
from geo_api.demo.city import City
from geo_api.demo.load import load_city


def _china_day_functions() -> str:
    """Migration 0027's SQL functions (today's code calls them), for a store at 0024."""
    path = Path(migrate.__file__).parent / "migrations" / "versions" / "0027_china_today.py"
    spec = importlib.util.spec_from_file_location("china_today_0027", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.FUNCTIONS)


THIS_YEAR = today().year
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


def test_the_audit_log_has_a_partition_a_year(conn: Connection) -> None:
    strategies = dict(
        conn.execute(
            text("SELECT CAST(partrelid AS regclass)::text, partstrat FROM pg_partitioned_table")
        ).all()
    )
    assert strategies == {"audit_log": "r"}
    assert {
        "audit_log_later",
        f"audit_log_y{THIS_YEAR}",
        f"audit_log_y{THIS_YEAR + 1}",
    } <= partitions(conn, "audit_log")


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
    # From a past year: the years between are made, the one that exists is not again.
    made = ensure_years(conn, since=old - 1)
    assert f"audit_log_y{old - 1}" in made and f"audit_log_y{old + 1}" in made
    assert f"audit_log_y{old}" not in made and ensure_years(conn, since=old - 1) == []


def test_the_migration_converts_a_store_that_holds_data(scratch_url: str, city: City) -> None:
    """0024 → 0025 keeps every row, id and key; new rows continue the ids; and back. (From
    0024, the revision before: the city loader needs 0022's generations.)"""
    engine = create_engine(scratch_url)
    migrate.upgrade(engine, "0024")
    with engine.begin() as conn:  # today's code asks for China's day (0027 makes it too)
        conn.execute(text(_china_day_functions()))
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
        assert f"audit_log_y{last_year}" in partitions(conn, "audit_log")
        assert conn.execute(text(f"SELECT count(*) FROM audit_log_y{last_year}")).scalar_one() == 1
        record_operator(conn, "GET /heads/3", ["head:3"])
        newest = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
        assert newest == max(r[0] for r in before["audit_log"]) + 1  # type: ignore[call-overload]
    migrate.downgrade(engine, "0024")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_partitioned_table")).scalar_one() == 0
    assert inspect(engine).get_pk_constraint("audit_log")["constrained_columns"] == ["id"]
    assert contents()["assignment"] == before["assignment"]
    engine.dispose()
