"""Keys, roles, officers' areas, masking and the audit log, over HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo_api.api.main import create_app
from geo_api.auth.keys import create_key, revoke_key
from geo_api.auth.policy import POLICY, PUBLIC

HOMES = """
SELECT h.id, c.code AS community, c.id AS community_id, cp.id AS compound_id,
       ST_X(ST_PointOnSurface(u.geom)) AS lon, ST_Y(ST_PointOnSurface(u.geom)) AS lat
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id JOIN community c ON c.id = cp.community_id
WHERE (c.id = (SELECT community_id FROM compound ORDER BY id LIMIT 1)) = :own
ORDER BY h.id LIMIT 1
"""


def as_role(keys: dict[str, str], role: str) -> dict[str, str]:
    return {"X-API-Key": keys[role]}


@pytest.fixture
def own(conn: Connection) -> Any:
    """A household in the officer's community (the first compound's)."""
    return conn.execute(text(HOMES), {"own": True}).one()


@pytest.fixture
def other(conn: Connection) -> Any:
    """A household in another community."""
    return conn.execute(text(HOMES), {"own": False}).one()


def test_no_key_bad_key_and_a_revoked_key_get_401(
    client: TestClient, engine: Engine, db_url: str
) -> None:
    bare = client.get("/gaps", headers={"X-API-Key": ""})
    assert bare.status_code == 401 and "Authorization: Bearer" in bare.json()["detail"]
    # Bearer, and Basic for QGIS and GDAL (issue 14).
    assert bare.headers["www-authenticate"].startswith('Bearer, Basic realm="gridgov"')
    wrong = client.get("/gaps", headers={"X-API-Key": "gg_not-a-key"})
    assert wrong.status_code == 401 and "unknown, expired or revoked" in wrong.json()["detail"]
    with engine.begin() as conn:
        key = create_key(conn, "short-lived", "command")
        revoke_key(conn, "short-lived")
    with TestClient(create_app(db_url)) as fresh:
        gone = fresh.get("/gaps", headers={"Authorization": f"Bearer {key}"})
    assert gone.status_code == 401
    assert client.get("/health", headers={"X-API-Key": ""}).status_code == 200


def test_every_route_has_a_policy(db_url: str) -> None:
    paths = create_app(db_url).openapi()["paths"]
    routes = [
        (method.upper(), path)
        for path, methods in paths.items()
        for method in methods
        if path not in PUBLIC
    ]
    missing = [route for route in routes if route not in POLICY]
    assert len(routes) >= 20 and missing == []


def test_a_browser_signs_in_and_the_cookie_opens_the_maps(
    client: TestClient, keys: dict[str, str]
) -> None:
    page = {"Accept": "text/html", "X-API-Key": ""}
    redirected = client.get("/maps/command-centre", headers=page, follow_redirects=False)
    assert redirected.status_code == 303
    assert redirected.headers["location"] == "/login?next=/maps/command-centre"
    assert "API 密钥" in client.get("/login").text
    refused = client.post("/login", data={"key": "gg_wrong"}, follow_redirects=False)
    assert refused.status_code == 401 and "unknown, expired or revoked" in refused.text
    signed = client.post(
        "/login",
        data={"key": keys["planner"], "next": "//evil.example/x"},
        follow_redirects=False,
        headers={"X-API-Key": ""},
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/maps/command-centre"
    cookie = signed.cookies.get("gridgov_key")
    assert "httponly" in signed.headers["set-cookie"].lower()
    assert cookie.startswith("ggt_") and keys["planner"] not in cookie  # a token, not the key
    shown = client.get(
        "/maps/command-centre", headers={"X-API-Key": "", "Cookie": f"gridgov_key={cookie}"}
    )
    assert shown.status_code == 200 and "<html" in shown.text


def test_planners_see_no_people(client: TestClient, keys: dict[str, str], own: Any) -> None:
    planner = as_role(keys, "planner")
    for path in (f"/households/{own.id}", "/lookup?lon=111.3&lat=35.6", "/recruits", "/heads/1"):
        refused = client.get(path, headers=planner)
        assert refused.status_code == 403 and "planner" in refused.json()["detail"], path
    assert client.get("/gaps", headers=planner).status_code == 200
    assert client.post("/assign", headers=planner).status_code == 403


def test_admins_read_in_full_and_every_read_is_audited(
    client: TestClient, keys: dict[str, str], engine: Engine, conn: Connection, own: Any
) -> None:
    masked = client.get(f"/households/{own.id}").json()
    full = client.get(
        f"/households/{own.id}", headers={**as_role(keys, "admin"), "X-Purpose": quote("回访")}
    ).json()
    head = full["unit_head"]
    stored = conn.execute(
        text("SELECT name, phone FROM head WHERE id = :id"), {"id": head["id"]}
    ).one()
    assert (head["name"], head["phone"]) == (stored.name, stored.phone)
    assert masked["unit_head"]["name"] != stored.name and "*" in masked["unit_head"]["phone"]
    with engine.connect() as db:
        rows = db.execute(
            text("""SELECT key_name, role, action, records, reason FROM audit_log
                    WHERE action = :a ORDER BY id DESC"""),
            {"a": f"GET /households/{own.id}"},
        ).all()
    assert len(rows) == 1  # the command centre's masked read is not audited
    assert rows[0].key_name == "test admin" and rows[0].reason == "回访"
    assert f"head:{head['id']}" in rows[0].records.split(",")


def test_an_officer_stays_in_their_community(
    client: TestClient, keys: dict[str, str], own: Any, other: Any
) -> None:
    officer = as_role(keys, "officer")
    mine = client.get(f"/households/{own.id}", headers=officer)
    assert (
        mine.status_code == 200 and "*" not in (mine.json()["unit_head"] or {"phone": ""})["phone"]
    )
    theirs = client.get(f"/households/{other.id}", headers=officer)
    assert theirs.status_code == 403 and "outside your area" in theirs.json()["detail"]
    at = client.get("/lookup", params={"lon": other.lon, "lat": other.lat}, headers=officer)
    assert at.status_code == 403
    here = client.get("/lookup", params={"lon": own.lon, "lat": own.lat}, headers=officer)
    assert here.status_code == 200
    moved = client.put(f"/households/{other.id}/lock", json={"locked": True}, headers=officer)
    assert moved.status_code == 403
    their_head = client.get(f"/households/{other.id}").json()["unit_head"]["id"]  # as command
    taken = client.put(
        f"/households/{own.id}/head", json={"head_id": their_head}, headers=officer
    )  # their own household, to a head of another community's
    assert taken.status_code == 403 and f"head {their_head}" in taken.json()["detail"]
    gaps = client.get("/gaps", headers=officer).json()["features"]
    assert {f["properties"]["community_code"] for f in gaps} <= {own.community}
    assert client.get(f"/gaps?community={other.community}", headers=officer).status_code == 403
    for path in ("/maps/command-centre", f"/maps/communities/{other.community}", "/siting"):
        assert client.get(path, headers=officer).status_code == 403, path
    assert client.get(f"/maps/communities/{own.community}", headers=officer).status_code == 200
    # Exports, tiles and the OGC API hold them to their community (test_officer_scope).
    theirs = client.get(f"/ogc/collections/households/items/{other.id}", headers=officer)
    assert theirs.status_code == 404
    assert client.get(f"/ogc/collections/households/items/{own.id}", headers=officer).is_success
    assert client.get("/tiles/households/14/13000/6500.mvt", headers=officer).status_code == 204


def test_keys_have_a_rate(client: TestClient, engine: Engine, db_url: str) -> None:
    with engine.begin() as conn:
        key = create_key(conn, "slow", "planner", per_minute=2)
    with TestClient(create_app(db_url), headers={"X-API-Key": key}) as slow:
        statuses = [slow.get("/service-areas?reach=300").status_code for _ in range(3)]
    assert statuses[:2] == [200, 200] and statuses[2] == 429


HOME_WITH_HEAD = """
SELECT h.id AS household, cp.id AS compound_id, cp.grid_id, g.code AS grid,
       cp.name AS compound, b.number AS building, u.number AS unit, h.room, hd.id AS head,
       ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id JOIN grid g ON g.id = cp.grid_id
JOIN head hd ON hd.role = 'unit' AND hd.unit_id = u.id
ORDER BY h.id LIMIT 1
"""
# A second grid of the same community, cut from the first around the compound, which
# moves into it (inside the test's rolled-back transaction).
SPLIT_GRID = """
WITH cut AS (
  INSERT INTO grid (code, name, community_id, geom)
  SELECT left(g.code, 12) || '999', g.name || '乙', g.community_id,
         ST_Multi(ST_Intersection(g.geom, ST_Buffer(cp.geom::geography, 1)::geometry))
  FROM grid g JOIN compound cp ON cp.grid_id = g.id WHERE cp.id = :compound
  RETURNING id, geom
)
UPDATE grid SET geom = ST_Multi(ST_Difference(grid.geom, cut.geom)) FROM cut
WHERE grid.id = :grid
RETURNING cut.id
"""


def test_a_grid_officer_stays_in_their_grid(
    client: TestClient, engine: Engine, conn: Connection
) -> None:
    home = conn.execute(text(HOME_WITH_HEAD)).one()
    with engine.begin() as committed:
        key = create_key(committed, f"grid officer {home.grid}", "officer", grid=home.grid)
    officer = {"X-API-Key": key}
    point = {"lon": home.lon, "lat": home.lat}
    address = f"{home.compound}{home.building}号楼{home.unit}单元{home.room}室"

    def reads() -> list[int]:
        found = client.get("/lookup/address", params={"q": address}, headers=officer)
        return [
            client.get(f"/households/{home.household}", headers=officer).status_code,
            client.get(f"/heads/{home.head}", headers=officer).status_code,
            client.get("/lookup", params=point, headers=officer).status_code,
            200 if found.status_code == 200 and found.json()["household"] else 404,
        ]

    assert reads() == [200, 200, 200, 200]
    other = conn.execute(text(SPLIT_GRID), {"compound": home.compound_id, "grid": home.grid_id})
    conn.execute(
        text("UPDATE compound SET grid_id = :g WHERE id = :c"),
        {"g": other.scalar_one(), "c": home.compound_id},
    )
    # The same community, another grid: refused, and the address is not searched there.
    assert reads() == [403, 403, 403, 404]


def test_a_pasted_key_with_spaces_still_opens(client: TestClient, keys: dict[str, str]) -> None:
    for headers in (
        {"X-API-Key": f" {keys['planner']} "},
        {"X-API-Key": "", "Authorization": f"Bearer {keys['planner']} "},
    ):
        assert client.get("/gaps", headers=headers).status_code == 200


def test_ogc_next_pages_spend_nothing_of_the_key_s_rate(engine: Engine, db_url: str) -> None:
    """Issue 21: a GDAL copy of a collection at 10 features a page took 600 requests a
    minute; the pages after the first (next links) are not counted."""
    with engine.begin() as conn:
        key = create_key(conn, "pager", "planner", per_minute=2)
    with TestClient(create_app(db_url), headers={"X-API-Key": key}) as pager:
        first = pager.get("/ogc/collections/households/items?f=json&limit=5")
        assert first.status_code == 200
        link = next(lk["href"] for lk in first.json()["links"] if lk["rel"] == "next")
        for _ in range(5):
            page = pager.get(link)
            assert page.status_code == 200, page.text
            link = next(lk["href"] for lk in page.json()["links"] if lk["rel"] == "next")
        assert pager.get("/ogc/collections/households/items?f=json&offset=5").status_code == 200
        statuses = [pager.get("/ogc/collections/grids?f=json").status_code for _ in range(2)]
    assert statuses == [200, 429]
