"""The party-building layers in the OGC API: published without personal data."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from geo_api.demo.party import YEAR
from maps.command_centre import command_centre_page
from maps.officers import officer_page
from maps.party import LABELS

PARTY = LABELS["zh"]


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


def test_map_pages_show_the_party_layers(conn: Connection) -> None:
    """The command centre and an officer's map carry the units, lists and matches,
    without the units' liaisons."""
    page = command_centre_page(conn)
    for label in (PARTY["party"],):
        assert label in page or json.dumps(label)[1:-1] in page, label
    liaison = conn.execute(
        text("SELECT contact_name FROM alliance_unit WHERE contact_name IS NOT NULL LIMIT 1")
    ).scalar_one()
    assert liaison not in page
    code = conn.execute(
        text("""SELECT c.code FROM party_demand d JOIN community c ON c.id = d.community_id
                WHERE d.status = 'open' LIMIT 1""")
    ).scalar_one()
    # Chinese as characters, not \u escapes (maps.page.cjk_as_characters): the
    # liaison's absence above is checked on the names themselves.
    assert PARTY["party"] in officer_page(conn, "community", code)
