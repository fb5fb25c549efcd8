"""The party-building layers in the OGC API: published without personal data."""

from __future__ import annotations

from fastapi.testclient import TestClient

from geo_api.demo.party import YEAR


def test_party_collections_carry_no_personal_data(client: TestClient) -> None:
    """Units without contacts, demands without who raised them; all 125 projects."""
    for name, hidden in (
        ("alliance_units", {"contact_name", "contact_phone"}),
        ("demands", {"raised_by"}),
        ("resources", set()),
        ("projects", {"owners", "created_by"}),
    ):
        answer = client.get(f"/ogc/collections/{name}/items", params={"limit": 1000})
        assert answer.status_code == 200, (name, answer.text)
        features = answer.json()["features"]
        assert features, name
        assert not hidden & set(features[0]["properties"]), name
    projects = client.get("/ogc/collections/projects/items", params={"limit": 1000}).json()
    assert sum(f["properties"]["year"] == YEAR for f in projects["features"]) == 125
