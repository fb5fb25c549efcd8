"""The party-building routes: roles, masking and audit of unit contacts, officers
held to their community, matches proposed and accepted, bad input named."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

YEAR = 2024


def _spots(conn: Connection) -> list[tuple[float, float, str]]:
    rows = conn.execute(
        text("""SELECT ST_X(ST_PointOnSurface(cp.geom)), ST_Y(ST_PointOnSurface(cp.geom)), c.code
                FROM compound cp JOIN community c ON c.id = cp.community_id ORDER BY cp.id""")
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def test_unit_contacts_by_role(client: TestClient, keys: dict[str, str], conn: Connection) -> None:
    """Command sees masks, admins in full (audited), planners no contacts at all and
    may not write."""
    lon, lat, community = _spots(conn)[0]
    made = client.post(
        "/units",
        json={
            "name": "侯马市供电公司",
            "kind": "state_firm",
            "contact_name": "李晓东",
            "contact_phone": "13812345678",
            "lon": lon,
            "lat": lat,
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["contact_phone"] == "138****5678"
    unit_id = made.json()["id"]
    signed = client.post(f"/units/{unit_id}/agreements", json={"community": community})
    assert signed.status_code == 201, signed.text
    admin = client.get(f"/units/{unit_id}", headers={"X-API-Key": keys["admin"]})
    assert admin.json()["contact_name"] == "李晓东"
    rows = (
        conn.execute(
            text("SELECT records FROM audit_log WHERE role = 'admin' AND action = :a"),
            {"a": f"GET /units/{unit_id}"},
        )
        .scalars()
        .all()
    )
    assert rows == [f"alliance_unit:{unit_id}"]
    planner = client.get("/units", headers={"X-API-Key": keys["planner"]})
    assert planner.status_code == 200
    listed = [u for u in planner.json() if u["id"] == unit_id]
    assert listed and "contact_name" not in listed[0] and "contact_phone" not in listed[0]
    refused = client.post(
        "/units", json={"name": "x", "kind": "bank"}, headers={"X-API-Key": keys["planner"]}
    )
    assert refused.status_code == 403
    bad = client.post("/units", json={"name": "某厂", "kind": "factory"})
    assert bad.status_code == 422 and "factory" in bad.json()["detail"]


def test_officers_write_in_their_community_only(
    client: TestClient, keys: dict[str, str], conn: Connection
) -> None:
    """An officer enters a demand in their community; another community's is refused."""
    spots = _spots(conn)
    officer = {"X-API-Key": keys["officer"]}
    own = spots[0][2]
    other = next(s for s in spots if s[2] != own)
    body = {"year": YEAR, "title": "楼道照明", "category": "safety", "urgency": 3}
    ok = client.post(
        "/demands",
        json={
            **body,
            "community": own,
            "lon": spots[0][0],
            "lat": spots[0][1],
            "raised_by": "张三",
        },
        headers=officer,
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["raised_by"] == "张三"
    no = client.post(
        "/demands",
        json={**body, "community": other[2], "lon": other[0], "lat": other[1]},
        headers=officer,
    )
    assert no.status_code == 403
    seen = client.get("/demands", params={"year": YEAR}).json()
    assert [d["raised_by"] for d in seen if d["id"] == ok.json()["id"]] == ["张*"]
    theirs = client.get("/demands", params={"year": YEAR}, headers=officer).json()
    assert {d["community"] for d in theirs} == {own}


def test_matches_proposed_and_accepted(client: TestClient, conn: Connection) -> None:
    """GET /matches proposes; POST /matches/accept makes the project, 201."""
    spots = _spots(conn)
    unit = client.post(
        "/units",
        json={
            "name": "侯马市图书馆",
            "kind": "institution",
            "lon": spots[1][0],
            "lat": spots[1][1],
        },
    ).json()
    resource = client.post(
        "/resources",
        json={
            "year": YEAR,
            "title": "阅读角",
            "kind": "venue",
            "category": "culture",
            "unit_id": unit["id"],
            "capacity": 1,
        },
    ).json()
    demand = client.post(
        "/demands",
        json={
            "year": YEAR,
            "title": "少儿阅读",
            "category": "culture",
            "community": spots[0][2],
            "lon": spots[0][0],
            "lat": spots[0][1],
        },
    ).json()
    answer = client.get("/matches", params={"year": YEAR, "reach_m": 5000})
    assert answer.status_code == 200, answer.text
    pairs = {(p["demand"]["id"], p["resource"]["id"]) for p in answer.json()["proposals"]}
    assert (demand["id"], resource["id"]) in pairs
    made = client.post(
        "/matches/accept",
        json={"demand_id": demand["id"], "resource_ids": [resource["id"]], "reach_m": 5000},
    )
    assert made.status_code == 201, made.text
    assert made.json()["resources"][0]["distance_m"] > 0
    again = client.post(
        "/matches/accept", json={"demand_id": demand["id"], "resource_ids": [resource["id"]]}
    )
    assert again.status_code == 422 and "not open" in again.json()["detail"]
    report = client.get("/projects/checkpoint", params={"year": YEAR, "at": "end"}).json()
    assert report["milestones_due"] >= 3
