"""Reloading the city keeps the API keys and the audit log (its TRUNCATE ... CASCADE
reached them through officers' keys and emptied both)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from geo_api.auth.audit import record
from geo_api.auth.keys import caller_for, create_key
from geo_api.db import migrate
from geo_api.demo.city import MIN_HOUSEHOLDS, generate_city
from geo_api.demo.load import load_city


def test_keys_and_the_audit_log_survive_a_reload(scratch_url: str) -> None:
    engine = create_engine(scratch_url)
    migrate.upgrade(engine)
    city = generate_city(MIN_HOUSEHOLDS, 3)
    load_city(engine, city)
    with engine.begin() as conn:
        first, second = conn.execute(
            text("SELECT c.code, g.code FROM community c JOIN grid g ON g.community_id = c.id "
                 "ORDER BY c.id LIMIT 2")
        ).all()  # fmt: skip
        admin = create_key(conn, "管理员", "admin")
        officer = create_key(conn, "网格员甲", "officer", grid=first[1])
        gone = create_key(conn, "网格员乙", "officer", community=second[0])
        caller = caller_for(conn, admin)
        assert caller is not None
        record(conn, caller[0], "GET /households/1", ["head:1"], "回访")
        # The second officer's community will not be in the new city.
        conn.execute(text("UPDATE community SET code = '999999999999' WHERE code = :c"),
                     {"c": second[0]})  # fmt: skip
    load_city(engine, city)
    with engine.begin() as conn:
        assert caller_for(conn, admin) is not None
        kept = caller_for(conn, officer)
        assert kept is not None and kept[0].grid_code == first[1]
        assert kept[0].community_code == first[0]
        assert caller_for(conn, gone) is None  # dropped with its area
        audit = conn.execute(text("SELECT key_name, key_id, reason FROM audit_log")).all()
        assert [(a.key_name, a.reason) for a in audit] == [("管理员", "回访")]
        assert audit[0].key_id is not None
        # New keys and audit rows take fresh ids.
        create_key(conn, "新的", "planner")
        assert conn.execute(text("SELECT count(DISTINCT id) FROM api_key")).scalar_one() == 3
    engine.dispose()
