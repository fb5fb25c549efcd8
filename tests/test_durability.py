"""Nothing acknowledged is lost: gridgov's cluster is durable, writes the API answered
survive a kill -9 of the postmaster, and while the database is down the API answers
503 at once, then carries on when it is back, without a restart of gridgov.

Each test here runs on a cluster of its own module (tests.own_store): the shared
test cluster is never stopped or killed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

from geo_api.db.cluster import Cluster
from geo_api.db.durability import durability_problems, durability_settings
from geo_api.demo.city import City
from tests.own_store import OwnStore, own_store

# Move-ins go to rooms no generated household has.
ROOMS = [f"D{n:03d}" for n in range(12)]
# Households moved to another unit head of their community with room to spare.
MOVABLE_SQL = """
SELECT DISTINCT ON (a.household_id) a.household_id, hd.id AS head_id
FROM assignment a
JOIN household h ON h.id = a.household_id JOIN unit u ON u.id = h.unit_id
JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
JOIN head_effective hd ON hd.role = 'unit' AND hd.id <> a.head_id AND hd.left_on IS NULL
JOIN unit hu ON hu.id = hd.unit_id JOIN building hb ON hb.id = hu.building_id
JOIN compound hc ON hc.id = hb.compound_id AND hc.community_id = cp.community_id
WHERE a.valid_to IS NULL
  AND (SELECT count(*) FROM assignment x WHERE x.head_id = hd.id AND x.valid_to IS NULL)
      < hd.max_capacity - 6
ORDER BY a.household_id, hd.id
LIMIT 6
"""


@pytest.fixture(scope="module")
def store(city: City) -> Iterator[OwnStore]:
    with own_store(city) as own:
        yield own


def test_gridgovs_cluster_is_durable(store: OwnStore) -> None:
    with store.engine.connect() as conn:
        settings = durability_settings(conn)
    assert settings == {"fsync": "on", "full_page_writes": "on", "synchronous_commit": "on"}
    assert durability_problems(settings) == []
    # The tests' throwaway clusters alone trade crash safety for speed.
    throwaway = Cluster(store.cluster.root, durable=False).settings()
    assert (throwaway["fsync"], throwaway["full_page_writes"]) == ("off", "off")
    assert durability_problems(
        {"fsync": "off", "full_page_writes": "on", "synchronous_commit": "off"}
    ) == [
        "fsync is off (should be on): writes may sit in the OS cache when the machine fails",
        "synchronous_commit is off (should be on, remote_write, remote_apply or local): "
        "a commit is acknowledged before its WAL is flushed: a crash loses it",
    ]


def test_a_cluster_made_without_synchronous_commit_gets_it_back(store: OwnStore) -> None:
    conf = store.cluster.data / "postgresql.auto.conf"
    conf.write_text(conf.read_text() + "synchronous_commit = off\n")  # as gridgov 0.x wrote
    store.cluster.down()
    store.restart()
    with store.engine.connect() as conn:
        assert durability_settings(conn)["synchronous_commit"] == "on"
    assert conf.read_text().count("synchronous_commit") == 1
    # One left running by an older gridgov is put right without a restart.
    conf.write_text(conf.read_text() + "synchronous_commit = off\n")
    with store.engine.connect() as conn:
        conn.execute(text("SELECT pg_reload_conf()"))
    deadline = time.monotonic() + 10
    while _synchronous_commit(store) != "off":
        assert time.monotonic() < deadline, "the server did not take the old setting"
        time.sleep(0.1)
    store.cluster.up()
    while _synchronous_commit(store) != "on":
        assert time.monotonic() < deadline, "gridgov db up left synchronous commit off"
        time.sleep(0.1)
    assert conf.read_text().count("synchronous_commit") == 1


def _synchronous_commit(store: OwnStore) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(text("SHOW synchronous_commit")).scalar_one())


def test_acknowledged_writes_survive_a_kill_9_of_the_postmaster(store: OwnStore) -> None:
    with store.engine.connect() as conn:
        units = conn.execute(text("SELECT id FROM unit ORDER BY id LIMIT :n"), {"n": len(ROOMS)})
        unit_ids = list(units.scalars())
        moves = conn.execute(text(MOVABLE_SQL)).all()
    assert len(moves) == 6
    moved_in: dict[int, tuple[int, str, int | None]] = {}
    moved: dict[int, int] = {}
    with store.api() as api:
        for n, (unit, room) in enumerate(zip(unit_ids, ROOMS, strict=True)):
            answer = api.post("/households", json={"unit_id": unit, "room": room, "persons": 2})
            assert answer.status_code == 201, answer.text
            body = answer.json()
            head = body["unit_head"]["id"] if body.get("unit_head") else None
            moved_in[body["id"]] = (unit, room, head)
            if n < len(moves):
                household, head_id = moves[n]
                answer = api.put(f"/households/{household}/head", json={"head_id": head_id})
                assert answer.status_code == 200, answer.text
                moved[household] = head_id
    store.kill_postmaster()  # at once: the last answers were a few milliseconds ago
    store.restart()
    with store.engine.connect() as conn:
        stored = conn.execute(
            text("""SELECT h.id, h.unit_id, h.room, a.head_id FROM household h
                    LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
                    WHERE h.id = ANY(:ids)"""),
            {"ids": list(moved_in)},
        ).all()
        heads_now = dict(
            conn.execute(
                text("""SELECT household_id, head_id FROM assignment
                        WHERE valid_to IS NULL AND locked AND household_id = ANY(:ids)"""),
                {"ids": list(moved)},
            ).all()
        )
    assert {row.id: (row.unit_id, row.room, row.head_id) for row in stored} == moved_in
    assert heads_now == moved


def _timed(api: httpx.Client, path: str, **params: object) -> tuple[int, float, httpx.Response]:
    started = time.monotonic()
    answer = api.get(path, params=params)
    return answer.status_code, time.monotonic() - started, answer


def test_while_the_database_is_down_requests_fail_fast_then_recover(store: OwnStore) -> None:
    with store.engine.connect() as conn:
        household, lon, lat = conn.execute(
            text("SELECT id, ST_X(geom), ST_Y(geom) FROM household ORDER BY id LIMIT 1")
        ).one()
    # /lookup reads on the asyncio pool, /households on the SQLAlchemy engine.
    requests: list[tuple[str, dict[str, object]]] = [
        ("/lookup", {"lon": lon, "lat": lat}),
        (f"/households/{household}", {}),
    ]
    with store.api() as api:
        for path, params in requests:
            assert _timed(api, path, **params)[0] == 200
        store.cluster.down()
        try:
            for _ in range(3):
                for path, params in requests:
                    status, took, answer = _timed(api, path, **params)
                    assert status == 503, (path, answer.text)
                    assert took < 2.5, f"{path} took {took:.1f} s with the database down"
                    assert int(answer.headers["Retry-After"]) > 0
                    assert "database is unavailable" in answer.json()["detail"]
            status, took, _ = _timed(api, "/health")
            assert status == 503 and took < 2.5
        finally:
            store.restart()
        # Back without a restart of gridgov: within the pool's next look at the server.
        deadline = time.monotonic() + 10
        while _timed(api, "/lookup", lon=lon, lat=lat)[0] != 200:
            assert time.monotonic() < deadline, "the API did not come back"
            time.sleep(0.2)
        for _ in range(5):
            for path, params in [*requests, ("/health", {})]:
                assert _timed(api, path, **params)[0] == 200, path
