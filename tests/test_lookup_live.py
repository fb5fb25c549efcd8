"""/lookup on a live server: the statement runs on the API's own asyncio pool (no
test transaction in between), and answers as the domain does."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Connection, Engine, text

from geo_api.db.statements import APPLICATION
from geo_api.lookup.point import lookup_point

POINTS_SQL = """
SELECT lon, lat FROM (
  (SELECT ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat FROM household h ORDER BY h.id LIMIT 5)
  UNION ALL
  (SELECT ST_X(p), ST_Y(p) FROM (
     SELECT ST_PointOnSurface(ST_Difference(g.geom, (SELECT ST_Union(geom) FROM compound))) AS p
     FROM grid g ORDER BY g.id LIMIT 2) q)
) points
"""


@pytest.fixture
def api(live_server: str, keys: dict[str, str]) -> httpx.Client:
    return httpx.Client(base_url=live_server, headers={"X-API-Key": keys["command"]}, timeout=30)


def test_the_pool_answers_as_the_domain_does(api: httpx.Client, conn: Connection) -> None:
    points = conn.execute(text(POINTS_SQL)).all()
    assert len(points) == 7
    for lon, lat in points:
        got = api.get("/lookup", params={"lon": lon, "lat": lat})
        assert got.status_code == 200, got.text
        answer = got.json()
        # Today's boundaries answer: no generation named (one is for /lookup?at=).
        assert answer.pop("generation", None) is None
        assert answer == lookup_point(conn, lon, lat)  # masked, as the command centre's
    assert api.get("/lookup", params={"lon": 116.4, "lat": 39.9}).status_code == 404
    bad = api.get("/lookup", params={"lon": 35.6, "lat": 111.3})
    assert bad.status_code == 422 and "swapped" in bad.json()["detail"]


def test_officers_are_held_to_their_community(
    live_server: str, keys: dict[str, str], conn: Connection
) -> None:
    homes = conn.execute(
        text("""
        SELECT cp.community_id = k.community_id AS mine, ST_X(h.geom), ST_Y(h.geom)
        FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
        JOIN compound cp ON cp.id = b.compound_id, api_key k
        WHERE k.name = 'test officer' ORDER BY h.id
    """)
    ).all()
    inside = next(home for home in homes if home.mine)
    outside = next(home for home in homes if not home.mine)
    with httpx.Client(
        base_url=live_server, headers={"X-API-Key": keys["officer"]}, timeout=30
    ) as api:
        assert api.get("/lookup", params={"lon": inside[1], "lat": inside[2]}).status_code == 200
        refused = api.get("/lookup", params={"lon": outside[1], "lat": outside[2]})
        assert refused.status_code == 403 and "outside your area" in refused.json()["detail"]


def test_a_dropped_connection_is_replaced(
    api: httpx.Client, conn: Connection, engine: Engine
) -> None:
    lon, lat = conn.execute(text(POINTS_SQL)).first()  # type: ignore[misc]
    assert api.get("/lookup", params={"lon": lon, "lat": lat}).status_code == 200
    with engine.connect() as admin:  # as a server restart would: end the pool's sessions
        ended = admin.execute(
            text("""SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE application_name = :app"""),
            {"app": APPLICATION},
        ).scalar_one()
    assert ended >= 1
    for _ in range(3):
        assert api.get("/lookup", params={"lon": lon, "lat": lat}).status_code == 200
