"""Lookups by a point in any coordinate system an officer pastes, and by address."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from sqlalchemy import Connection, text

from geo_api.geo.china import wgs84_to_bd09, wgs84_to_gcj02

HOME = """
SELECT h.id, h.room, u.id AS unit_id, u.number AS unit, b.number AS building, cp.name AS compound,
       c.name AS community,
       ST_X(ST_PointOnSurface(u.geom)) AS lon, ST_Y(ST_PointOnSurface(u.geom)) AS lat
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id JOIN community c ON c.id = cp.community_id
ORDER BY h.id LIMIT 1 OFFSET 17
"""


@pytest.fixture
def home(conn: Connection) -> Any:
    return conn.execute(text(HOME)).one()


def _unit_at(client: TestClient, **params: object) -> int:
    response = client.get("/lookup", params=params)
    assert response.status_code == 200, response.text
    return int(response.json()["unit"]["id"])


def test_a_point_from_amap_baidu_or_a_survey_finds_the_same_unit(
    client: TestClient, home: Any
) -> None:
    assert _unit_at(client, lon=home.lon, lat=home.lat) == home.unit_id
    gx, gy = wgs84_to_gcj02(home.lon, home.lat)
    assert abs(float(gx) - home.lon) > 1e-4  # GCJ-02 really is hundreds of metres off
    assert _unit_at(client, lon=float(gx), lat=float(gy), crs="gcj02") == home.unit_id
    bx, by = wgs84_to_bd09(home.lon, home.lat)
    assert _unit_at(client, lon=float(bx), lat=float(by), crs="bd09") == home.unit_id
    e, n = Transformer.from_crs(4326, 4546, always_xy=True).transform(home.lon, home.lat)
    assert _unit_at(client, lon=e, lat=n, crs="EPSG:4546") == home.unit_id
    assert _unit_at(client, lon=home.lon, lat=home.lat, crs="cgcs2000") == home.unit_id
    wrong = client.get("/lookup", params={"lon": home.lon, "lat": home.lat, "crs": "mars"})
    assert wrong.status_code == 422 and "mars" in wrong.text


def test_an_address_finds_its_household_and_heads(client: TestClient, home: Any) -> None:
    for query in (
        f"{home.compound}{home.building}号楼{home.unit}单元{home.room}室",
        f"{home.compound}{home.building}-{home.unit}-{home.room}",
        f"{home.community}{home.compound}{home.building}栋{home.unit}单元{home.room}",
    ):
        body = client.get("/lookup/address", params={"q": query}).json()
        assert body["found"] == "household", (query, body)
        assert body["household"]["id"] == home.id
        assert body["place"]["unit"]["id"] == home.unit_id
        assert body["candidates"][0]["compound"] == home.compound
        assert (
            body["household"]["unit_head"] is None or "*" in body["household"]["unit_head"]["name"]
        )


def test_partial_and_unknown_addresses(client: TestClient, conn: Connection, home: Any) -> None:
    body = client.get(
        "/lookup/address", params={"q": f"{home.compound}{home.building}号楼{home.unit}单元9999"}
    ).json()
    assert body["found"] == "unit" and body["household"] is None
    body = client.get("/lookup/address", params={"q": f"{home.compound}99号楼"}).json()
    assert body["found"] == "compound" and body["place"]["building"] is None
    assert all(h["role"] == "compound" for h in body["place"]["heads"])
    typo = home.compound[:-1] + ("甲" if home.compound[-1] != "甲" else "乙")
    body = client.get("/lookup/address", params={"q": f"{typo}1号楼"}).json()
    assert home.compound in [c["compound"] for c in body["candidates"]]
    if body["found"] is None:  # not certain: the officer picks from the candidates
        assert body["place"] is None
    missing = client.get("/lookup/address", params={"q": "火星基地外星人小区3号楼"})
    assert missing.status_code == 404 and "火星" in missing.text
    nothing = client.get("/lookup/address", params={"q": "3号楼2单元"})
    assert nothing.status_code == 422 and "names no compound" in nothing.text


def test_a_name_in_two_communities_needs_the_community(
    client: TestClient, conn: Connection, home: Any
) -> None:
    other = conn.execute(
        text("""SELECT cp.id FROM compound cp JOIN community c ON c.id = cp.community_id
                WHERE c.name <> :c ORDER BY cp.id LIMIT 1"""),
        {"c": home.community},
    ).scalar_one()
    conn.execute(
        text("UPDATE compound SET name = :n WHERE id = :id"), {"n": home.compound, "id": other}
    )
    body = client.get("/lookup/address", params={"q": f"{home.compound}1号楼"}).json()
    assert body["found"] is None and len(body["candidates"]) >= 2
    named = client.get(
        "/lookup/address",
        params={"q": f"{home.community}{home.compound}{home.building}-{home.unit}-{home.room}"},
    ).json()
    assert named["found"] == "household" and named["household"]["id"] == home.id


def test_the_chain_ends_with_the_grid_officer(
    client: TestClient, conn: Connection, home: Any
) -> None:
    body = client.get(f"/households/{home.id}").json()
    officers = conn.execute(
        text("""SELECT o.id, o.phone FROM grid_officer o JOIN grid g ON g.id = o.grid_id
                JOIN compound cp ON cp.grid_id = g.id WHERE cp.name = :c"""),
        {"c": home.compound},
    ).all()
    assert officers and [o["id"] for o in body["grid_officers"]] == [o.id for o in officers]
    for shown, stored in zip(body["grid_officers"], officers, strict=True):
        assert shown["phone"] == stored.phone[:3] + "****" + stored.phone[-4:]
