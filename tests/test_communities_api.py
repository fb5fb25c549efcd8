"""GET /communities, and a community's or grid's map by name as well as by code."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient

from geo_api.demo.city import City


def test_the_communities_with_their_names_codes_and_maps(client: TestClient, city: City) -> None:
    listed = client.get("/communities")
    assert listed.status_code == 200
    rows = listed.json()
    assert len(rows) == len(city.communities)
    first = rows[0]
    assert first["map"] == f"/maps/communities/{first['code']}" and first["households"] > 0
    street = client.get("/communities", params={"street": first["street"]}).json()
    assert first in street and len(street) < len(rows)
    missing = client.get("/communities", params={"street": "没有的街道"})
    assert missing.status_code == 404 and "没有的街道" in missing.json()["detail"]


def test_an_officer_lists_their_own_community(client: TestClient, keys: dict[str, str]) -> None:
    own = client.get("/communities", headers={"X-API-Key": keys["officer"]}).json()
    assert len(own) == 1


def test_a_map_by_the_communitys_name(client: TestClient, city: City) -> None:
    first = city.communities.iloc[0]
    by_name = client.get(f"/maps/communities/{quote(str(first['name']))}")
    assert by_name.status_code == 200 and str(first["code"]) in by_name.text
    unknown = client.get(f"/maps/communities/{quote('不存在的社区')}")
    assert unknown.status_code == 404 and "no community (社区) is named" in unknown.text
    # Every community's name ends in 社区: the bare word fits them all, and the answer
    # lists candidates (name and code) and says how to choose.
    several = client.get(f"/maps/communities/{quote('社区')}")
    assert several.status_code == 422, several.text
    shown = f"{first['name']} ({first['code']})"
    assert "give the full name or the code" in several.text and shown in several.text
