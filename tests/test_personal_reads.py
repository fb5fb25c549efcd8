"""Issue 20's personal data: every read of it is masked for the role or audited with
the records it returned; a grid officer sees their grid only."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo_api.assign.engine import run_assignment
from geo_api.auth.keys import create_key

NO_KEY = {"X-API-Key": ""}


def audit_rows(engine: Engine, key_name: str, action: str) -> list[Any]:
    with engine.connect() as db:
        return db.execute(
            text("""SELECT records FROM audit_log WHERE key_name = :k AND action = :a
                    ORDER BY id DESC"""),
            {"k": key_name, "a": action},
        ).all()


@pytest.fixture
def recruiting(conn: Connection) -> None:
    """Heads gone and volunteers about, so /recruits proposes some."""
    conn.execute(
        text(
            "UPDATE head SET left_on = china_today() WHERE role = 'unit' AND id IN "
            "(SELECT min(id) FROM head WHERE role = 'unit' GROUP BY unit_id LIMIT 5)"
        )
    )
    conn.execute(text("UPDATE household SET volunteer = true WHERE id % 7 = 0"))
    run_assignment(conn)


@pytest.mark.usefixtures("recruiting")
def test_recruits_mask_addresses_for_the_command_centre_and_audit_admins(
    client: TestClient, keys: dict[str, str], conn: Connection, engine: Engine
) -> None:
    addresses = dict(conn.execute(text("SELECT id, address FROM household")).all())
    masked = client.get("/recruits").json()["proposals"]
    assert masked
    for proposal in masked:
        full = addresses[proposal["household_id"]]
        assert proposal["address"] != full and proposal["address"].endswith("***")
        assert full.startswith(proposal["address"].removesuffix("***"))
    assert audit_rows(engine, "test command", "GET /recruits") == []
    full = client.get("/recruits", headers={"X-API-Key": keys["admin"]}).json()["proposals"]
    assert [p["address"] for p in full] == [addresses[p["household_id"]] for p in full]
    rows = audit_rows(engine, "test admin", "GET /recruits")
    assert rows and set(rows[0].records.split(",")) == {
        f"household:{p['household_id']}" for p in full
    }


def test_a_heads_page_audits_the_households_it_shows(
    client: TestClient, keys: dict[str, str], conn: Connection, engine: Engine
) -> None:
    head = conn.execute(
        text(
            "SELECT head_id FROM assignment WHERE valid_to IS NULL GROUP BY head_id "
            "HAVING count(*) > 3 ORDER BY head_id LIMIT 1"
        )
    ).scalar_one()
    page = client.get(
        f"/heads/{head}", params={"limit": 3, "offset": 1}, headers={"X-API-Key": keys["admin"]}
    ).json()
    shown = {f"household:{h['id']}" for h in page["households"]["items"]}
    assert len(shown) == 3
    records = set(audit_rows(engine, "test admin", f"GET /heads/{head}")[0].records.split(","))
    assert records == shown | {f"head:{head}"}


def test_a_grid_officer_sees_their_grid_only(
    client: TestClient, engine: Engine, conn: Connection
) -> None:
    grid, community = conn.execute(
        text("""SELECT g.code, c.code FROM compound cp JOIN grid g ON g.id = cp.grid_id
                JOIN community c ON c.id = cp.community_id ORDER BY cp.id LIMIT 1""")
    ).one()
    with engine.begin() as committed:
        key = create_key(committed, f"grid officer only {grid}", "officer", grid=grid)
    officer = {"X-API-Key": key}
    refused = client.get(f"/maps/communities/{community}", headers=officer)
    assert refused.status_code == 403 and f"/maps/grids/{grid}" in refused.json()["detail"]
    assert client.get(f"/maps/grids/{grid}", headers=officer).status_code == 200
    signed = client.post("/login", data={"key": key}, headers=NO_KEY, follow_redirects=False)
    assert signed.headers["location"] == f"/maps/grids/{grid}"
    with engine.begin() as committed:
        committed.execute(
            text("DELETE FROM api_key WHERE key_hash = encode(sha256(:k), 'hex')"),
            {"k": key.encode()},
        )


def test_the_command_centre_sees_covered_households_down_to_their_unit(
    client: TestClient, conn: Connection, engine: Engine
) -> None:
    """The command role sees masks, so its reads of households are masked, not audited."""
    head = conn.execute(
        text("SELECT head_id FROM assignment WHERE valid_to IS NULL ORDER BY head_id LIMIT 1")
    ).scalar_one()
    items = client.get(f"/heads/{head}").json()["households"]["items"]
    full = dict(conn.execute(text("SELECT id, address FROM household")).all())
    assert items and all(h["masked"] and h["room"] == "***" for h in items)
    for h in items:
        assert h["address"].endswith("***") and h["address"] != full[h["id"]]
    home = client.get(f"/households/{items[0]['id']}").json()
    assert home["masked"] and home["room"] == "***" and home["address"].endswith("***")
    assert audit_rows(engine, "test command", f"GET /heads/{head}") == []


def test_a_grid_officer_reads_no_household_of_another_grid_through_a_stand_in_head(
    client: TestClient, engine: Engine, conn: Connection
) -> None:
    """A building head standing in for a building of another grid (place_cover) covers
    its households too; a grid officer sees those masked, and they are not recorded."""
    own, other = conn.execute(
        text("""SELECT a.id, b.id FROM building a JOIN compound ca ON ca.id = a.compound_id
                JOIN compound cb ON cb.grid_id <> ca.grid_id
                JOIN building b ON b.compound_id = cb.id
                WHERE EXISTS (SELECT 1 FROM head WHERE role = 'building' AND building_id = a.id)
                ORDER BY a.id, b.id LIMIT 1""")
    ).one()
    head = conn.execute(
        text("SELECT min(id) FROM head WHERE role = 'building' AND building_id = :b"), {"b": own}
    ).scalar_one()
    conn.execute(
        text("UPDATE place_cover SET valid_to = now() WHERE building_id = :b AND valid_to IS NULL"),
        {"b": other},
    )
    conn.execute(
        text("""INSERT INTO place_cover (level, building_id, head_id, reason, distance_m)
                VALUES ('building', :b, :h, 'nearest', 100)"""),
        {"b": other, "h": head},
    )
    grid = conn.execute(
        text("""SELECT g.code FROM building b JOIN compound cp ON cp.id = b.compound_id
                JOIN grid g ON g.id = cp.grid_id WHERE b.id = :b"""),
        {"b": own},
    ).scalar_one()
    with engine.begin() as committed:
        key = create_key(committed, f"stand-in officer {grid}", "officer", grid=grid)
    try:
        page = client.get(
            f"/heads/{head}", params={"limit": 500}, headers={"X-API-Key": key}
        ).json()["households"]["items"]
        where = dict(
            conn.execute(
                text("SELECT h.id, u.building_id FROM household h JOIN unit u ON u.id = h.unit_id")
            ).all()
        )
        outside = [h for h in page if where[h["id"]] == other]
        inside = [h for h in page if where[h["id"]] == own]
        assert outside and inside
        assert all(h["masked"] and h["room"] == "***" for h in outside)
        assert not any(h["masked"] for h in inside)
        records = set(
            audit_rows(engine, f"stand-in officer {grid}", f"GET /heads/{head}")[0].records.split(
                ","
            )
        )
        assert records == {f"household:{h['id']}" for h in inside} | {f"head:{head}"}
    finally:
        with engine.begin() as committed:
            committed.execute(
                text("DELETE FROM api_key WHERE key_hash = encode(sha256(:k), 'hex')"),
                {"k": key.encode()},
            )
