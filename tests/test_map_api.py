"""Map pages over HTTP: options, their errors, and no personal data in any page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("lang=fr", "lang must be one of zh, en, not 'fr'"),
        ("screen=wall", "screen must be one of normal, big, not 'wall'"),
        ("refresh=5", "refresh must be 0 (never) or 10 to 86400 seconds, not 5"),
        ("refresh=soon", "refresh"),
        ("basemap=ftp://tiles.example/{z}/{x}/{y}", "basemap 'ftp://tiles.example/{z}/{x}/{y}'"),
        ("basemap=https://tiles.example/{z}/{x}.png", "lacks {y}"),
        ("basemap=tianditu", "set GEO_API_TIANDITU_KEY"),
        ("tiles=perhaps", "tiles"),
    ],
)
def test_bad_options_are_422_naming_them(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, query: str, says: str
) -> None:
    monkeypatch.delenv("GEO_API_TIANDITU_KEY", raising=False)
    for page in ("/maps/command-centre", "/maps/grids/141081001001001"):
        response = client.get(f"{page}?{query}")
        assert response.status_code == 422, (page, query)
        assert says in str(response.json()["detail"])


def test_options_shape_the_page(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    big = client.get("/maps/command-centre", params={"screen": "big"}).text
    # The wall polls its figures every minute (maps.wall) and never reloads itself.
    assert "#0b1622" in big and '"poll_ms":60000' in big and "gg_refresh_every" not in big
    assert "gg_refresh_every" not in client.get("/maps/command-centre").text
    assert "gg_refresh_every = 60000" in client.get("/maps/command-centre?refresh=60").text
    english = client.get("/maps/command-centre", params={"lang": "en"}).text
    assert '<html lang="en">' in english and "<title>Grid governance command centre" in english
    monkeypatch.setenv("GEO_API_TIANDITU_KEY", "abc123")
    tianditu = client.get("/maps/command-centre", params={"basemap": "tianditu"})
    assert tianditu.status_code == 200 and "tk=abc123" in tianditu.text
    intranet = "http://10.0.0.5/tiles/{z}/{x}/{y}.png"
    assert intranet in client.get("/maps/command-centre", params={"basemap": intranet}).text
    tiles = client.get("/maps/command-centre", params={"tiles": "1"}).text
    assert "/tiles/households/{z}/{x}/{y}.mvt" in tiles and "L.vectorGrid.protobuf" in tiles
    amap_tiles = client.get("/maps/command-centre", params={"tiles": 1, "basemap": "amap"}).text
    assert "/tiles/buildings/{z}/{x}/{y}.mvt?crs=gcj02" in amap_tiles


def test_no_personal_data_in_any_page(conn: Connection, client: TestClient) -> None:
    phones = set(
        conn.execute(
            text(
                "SELECT phone FROM head UNION SELECT phone FROM member "
                "UNION SELECT phone FROM grid_officer"
            )
        ).scalars()
    )
    places = " ".join(
        conn.execute(
            text(
                "SELECT name FROM compound UNION SELECT name FROM community UNION "
                "SELECT name FROM grid UNION SELECT name FROM station UNION SELECT name FROM street"
            )
        ).scalars()
    )
    # Full names (three characters and more: two may well be part of a place's name).
    names = {
        n
        for n in conn.execute(text("SELECT name FROM head UNION SELECT name FROM member")).scalars()
        if len(n) >= 3 and n not in places
    }
    assert names and phones
    community, grid = conn.execute(
        text("SELECT c.code, g.code FROM grid g JOIN community c ON c.id = g.community_id LIMIT 1")
    ).one()
    for path in (
        "/maps/command-centre",
        "/maps/command-centre?lang=en&screen=big",
        f"/maps/communities/{community}",
        f"/maps/grids/{grid}",
    ):
        page = client.get(path).text
        assert [p for p in phones if p in page] == [], path
        assert [n for n in names if n in page] == [], path
