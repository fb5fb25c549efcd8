"""Unit heads' target and maximum, set per community and per head, over the API and CLI."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from geo_api.assign.engine import run_assignment


def a_community(conn: Connection) -> tuple[int, str]:
    row = conn.execute(text("SELECT id, code FROM community ORDER BY id LIMIT 1")).one()
    return int(row.id), str(row.code)


def unit_head_of(conn: Connection, community: int) -> int:
    return int(
        conn.execute(
            text(
                "SELECT min(hd.id) FROM head hd JOIN unit u ON u.id = hd.unit_id "
                "JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id "
                "WHERE cp.community_id = :c"
            ),
            {"c": community},
        ).scalar_one()
    )


def test_a_community_setting_over_the_api_applies_at_the_next_run(
    client: TestClient, conn: Connection
) -> None:
    community, code = a_community(conn)
    answer = client.put(f"/communities/{code}/capacity", json={"target": 9, "maximum": 11})
    assert answer.status_code == 200, answer.text
    assert answer.json()["target"] == 9 and answer.json()["maximum"] == 11
    run_assignment(conn)
    loads = conn.execute(
        text("""
        SELECT hd.max_capacity, count(a.id) FROM head_effective hd
        JOIN unit u ON u.id = hd.unit_id JOIN building b ON b.id = u.building_id
        JOIN compound cp ON cp.id = b.compound_id
        LEFT JOIN assignment a ON a.head_id = hd.id AND a.valid_to IS NULL
        WHERE cp.community_id = :c GROUP BY hd.id, hd.max_capacity
    """),
        {"c": community},
    ).all()
    assert loads and all(cap == 11 and load <= 11 for cap, load in loads)


def test_bad_settings_are_refused_with_the_reason(client: TestClient, conn: Connection) -> None:
    community, code = a_community(conn)
    head = unit_head_of(conn, community)
    refused = client.put(f"/communities/{code}/capacity", json={"target": 20, "maximum": 10})
    assert refused.status_code == 422 and "maximum 10 is below target 20" in refused.text
    assert (
        client.put(f"/communities/{code}/capacity", json={"target": 0, "maximum": 3}).status_code
        == 422
    )
    missing = client.put("/communities/999999999999/capacity", json={"target": 5, "maximum": 6})
    assert missing.status_code == 404 and "999999999999" in missing.text
    # A head's own target above the community's maximum.
    clash = client.put(f"/heads/{head}/capacity", json={"target": 40})
    assert clash.status_code == 422 and f"head {head} would have target 40" in clash.text
    # Nothing was written by the refused calls.
    setting = conn.execute(
        text("SELECT unit_head_target, unit_head_max FROM community WHERE id = :c"),
        {"c": community},
    ).one()
    assert tuple(setting) == (18, 25)


def test_a_head_override_and_back_to_the_community(client: TestClient, conn: Connection) -> None:
    community, _ = a_community(conn)
    head = unit_head_of(conn, community)
    own = client.put(f"/heads/{head}/capacity", json={"target": 12, "maximum": 14})
    assert own.json() == {"head_id": head, "target": 12, "maximum": 14, "own_setting": True}
    back = client.put(f"/heads/{head}/capacity", json={})
    assert back.json() == {"head_id": head, "target": 18, "maximum": 25, "own_setting": False}


def test_a_maximum_below_the_locked_households_is_refused(
    client: TestClient, conn: Connection
) -> None:
    head, n = conn.execute(
        text(
            "SELECT head_id, count(*) FROM assignment WHERE valid_to IS NULL "
            "GROUP BY head_id HAVING count(*) >= 3 ORDER BY head_id LIMIT 1"
        )
    ).one()
    conn.execute(
        text("UPDATE assignment SET locked = true WHERE head_id = :h AND valid_to IS NULL"),
        {"h": head},
    )
    refused = client.put(f"/heads/{head}/capacity", json={"target": 1, "maximum": n - 1})
    assert refused.status_code == 422
    assert f"head {head} has {n} locked households" in refused.text
