"""Reads on a streaming replica (GEO_API_DATABASE_REPLICA_URL): a real hot standby of
the test cluster, made by pg_basebackup, whose replay the tests pause so that it lags
on purpose and shows which server answered."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, make_url, text

from geo_api.api.reads import open_replica
from geo_api.auth.keys import create_key
from geo_api.db.results import marked, stored
from geo_api.demo.city import City
from tests.own_store import served
from tests.replica import caught_up, replay_paused, streaming_replica

# A household whose unit has a unit head, and that head's settings.
HOME = """
SELECT ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat, hd.id AS head,
       hd.capacity, hd.max_capacity
FROM household h JOIN head hd ON hd.role = 'unit' AND hd.unit_id = h.unit_id
WHERE hd.left_on IS NULL ORDER BY h.id LIMIT 1
"""


@pytest.fixture(scope="module")
def replica_url(server_url: str, db_url: str, city: City) -> Iterator[str]:
    """The test database on a streaming replica of the test cluster, caught up."""
    if os.environ.get("GEO_API_DATABASE_URL"):
        pytest.skip("the replica is made from the tests' own cluster")
    with streaming_replica(server_url) as replica_server:
        replica = make_url(replica_server).set(database=make_url(db_url).database)
        url = replica.render_as_string(hide_password=False)
        caught_up(db_url, url)
        yield url


def _unit_head(answer: dict[str, Any], head: int) -> dict[str, Any]:
    return next(h for h in answer["heads"] if h["id"] == head)


def test_reads_go_to_the_replica_and_a_writer_reads_its_writes(
    db_url: str,
    replica_url: str,
    engine: Engine,
    keys: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GEO_API_REPLICA_STICKY_S", "3")
    with engine.begin() as conn:
        home = conn.execute(text(HOME)).one()
        station = conn.execute(text("SELECT id, name FROM station ORDER BY id LIMIT 1")).one()
        writer = create_key(conn, f"replica writer {time.monotonic_ns()}", "command")
    caught_up(db_url, replica_url)
    point = {"lon": home.lon, "lat": home.lat}
    reader, admin, mine = (
        {"X-API-Key": keys["command"]},
        {"X-API-Key": keys["admin"]},
        {"X-API-Key": writer},
    )
    try:
        with served(db_url, replica_url) as base, httpx.Client(base_url=base, timeout=30) as api:
            before = _unit_head(api.get("/lookup", params=point, headers=reader).json(), home.head)
            with replay_paused(replica_url):
                # A write through the API goes to the primary (the replica refuses writes).
                target = (before["capacity"] or 18) + 7
                put = api.put(
                    f"/heads/{home.head}/capacity",
                    json={"target": target, "maximum": target + 5},
                    headers=mine,
                )
                assert put.status_code == 200, put.text
                with engine.connect() as conn:
                    stored_now = conn.execute(
                        text("SELECT capacity FROM head WHERE id = :id"), {"id": home.head}
                    ).scalar_one()
                assert stored_now == target

                def capacity(headers: dict[str, str]) -> int:
                    answer = api.get("/lookup", params=point, headers=headers)
                    assert answer.status_code == 200, answer.text
                    return int(_unit_head(answer.json(), home.head)["capacity"])

                # The writer reads its own write (the primary), another key the lagging
                # replica, and an admin's audited read the primary.
                assert capacity(mine) == target
                assert capacity(reader) == before["capacity"]
                assert capacity(admin) == target
                # OGC items read the replica too: a name changed on the primary is not
                # there yet.
                with engine.begin() as conn:
                    conn.execute(
                        text("UPDATE station SET name = name || '（新）' WHERE id = :id"),
                        {"id": station.id},
                    )
                item = api.get(f"/ogc/collections/stations/items/{station.id}", headers=reader)
                assert item.status_code == 200, item.text
                assert item.json()["properties"]["name"] == station.name
                # Past the sticky seconds the writer reads the replica again.
                time.sleep(3.5)
                assert capacity(mine) == before["capacity"]
            caught_up(db_url, replica_url)
            assert capacity(reader) == target
            item = api.get(f"/ogc/collections/stations/items/{station.id}", headers=reader)
            assert item.json()["properties"]["name"] == station.name + "（新）"
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE head SET capacity = :c, max_capacity = :m WHERE id = :id"),
                {"c": home.capacity, "m": home.max_capacity, "id": home.head},
            )
            conn.execute(
                text("UPDATE station SET name = :n WHERE id = :id"),
                {"n": station.name, "id": station.id},
            )


def test_results_computed_on_the_replica_are_stored_on_the_primary(
    db_url: str, replica_url: str, engine: Engine
) -> None:
    replica = open_replica(replica_url, engine)
    key = f"replica {time.monotonic_ns()}"
    try:
        with replica.engine.connect() as conn:
            assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one()
            assert stored(conn, "test", key, lambda: "made", str.encode, bytes.decode) == "made"
        with engine.connect() as conn:
            body = conn.execute(
                text("SELECT body FROM stored_result WHERE kind = 'test' AND key = :k"),
                {"k": marked(key)},
            ).scalar_one()
        assert bytes(body) == b"made"
    finally:
        replica.base.dispose()
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM stored_result WHERE kind = 'test' AND key = :k"),
                {"k": marked(key)},
            )
