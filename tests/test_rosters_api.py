"""Roster changes over HTTP: heads and households, held to the caller's area, recorded
in the audit log, and never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from tests.rosters_helpers import a_household_without_head_role, broken, one

OFFICERS_COMMUNITY = (
    "SELECT cp.community_id FROM compound cp ORDER BY cp.id LIMIT 1"  # as in conftest
)
HEAD_IN = """
SELECT hd.id, hd.household_id, hd.unit_id FROM active_head hd JOIN unit u ON u.id = hd.unit_id
JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
WHERE hd.role = 'unit' AND {} cp.community_id = ({})
  AND EXISTS (SELECT 1 FROM assignment a WHERE a.head_id = hd.id AND a.valid_to IS NULL)
ORDER BY hd.id LIMIT 1
"""


def head_inside(conn: Connection, inside: bool = True) -> tuple[int, int, int]:
    """A covering unit head inside (or outside) the officer's community."""
    row = one(conn, HEAD_IN.format("" if inside else "NOT", OFFICERS_COMMUNITY))
    return int(row[0]), int(row[1]), int(row[2])


def audit(conn: Connection, action: str) -> list[tuple[str, str]]:
    rows = conn.execute(
        text("SELECT key_name, records FROM audit_log WHERE action = :a ORDER BY id"),
        {"a": action},
    )
    return [(r[0], r[1]) for r in rows]


def test_command_centre_retires_a_head_anywhere(client: TestClient, conn: Connection) -> None:
    head, _, _ = head_inside(conn, inside=False)
    answer = client.delete(f"/heads/{head}", params={"reason": "搬走了"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["action"] == "retired" and body["head_id"] == head
    assert body["run"]["communities"] == body["communities"] and len(body["communities"]) == 1
    assert "moved" in body["run"] and "added" in body["run"]
    left = one(conn, "SELECT left_reason, left_by FROM head WHERE id = :h", h=head)
    assert left == ("搬走了", "test command")
    assert audit(conn, f"DELETE /heads/{head}") == [("test command", f"head:{head}")]
    again = client.delete(f"/heads/{head}", params={"reason": "again"})
    assert again.status_code == 409 and "stepped down" in again.json()["detail"]
    assert broken(conn) == {}


def test_officers_only_within_their_area(
    client: TestClient, conn: Connection, keys: dict[str, str]
) -> None:
    officer = {"X-API-Key": keys["officer"]}
    outside, _, _ = head_inside(conn, inside=False)
    refused = client.delete(f"/heads/{outside}", params={"reason": "x"}, headers=officer)
    assert refused.status_code == 403 and "outside your area" in refused.json()["detail"]
    inside, _, unit = head_inside(conn)
    assert client.delete(f"/heads/{inside}", params={"reason": "x"}, headers=officer).is_success
    neighbour = a_household_without_head_role(conn, unit)
    made = client.post(
        "/heads",
        json={"role": "unit", "place_id": unit, "household_id": neighbour, "name": "李四",
              "phone": "13800000000", "by": "入户走访"},
        headers=officer,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    new = made.json()["head_id"]
    assert one(conn, "SELECT appointed_by FROM head WHERE id = :h", h=new)[0] == (
        "test officer: 入户走访"
    )
    planner = {"X-API-Key": keys["planner"]}
    assert (
        client.delete(f"/heads/{new}", params={"reason": "x"}, headers=planner).status_code == 403
    )
    assert broken(conn) == {}


def test_move_and_capacity_through_put(client: TestClient, conn: Connection) -> None:
    head, household, unit = head_inside(conn)
    conn.execute(text("UPDATE household SET volunteer = true WHERE id = :h"), {"h": household})
    target = one(
        conn,
        """SELECT u2.id FROM unit u JOIN building b ON b.id = u.building_id
           JOIN unit u2 ON u2.building_id IN (SELECT id FROM building WHERE compound_id =
                b.compound_id) WHERE u.id = :u AND u2.id <> :u ORDER BY u2.id LIMIT 1""",
        u=unit,
    )[0]
    moved = client.put(f"/heads/{head}", json={"place_id": target})
    assert moved.status_code == 200, moved.text
    assert moved.json()["action"] == "moved" and moved.json()["ended_heads"] == [head]
    new = moved.json()["head_id"]
    capped = client.put(f"/heads/{new}", json={"capacity": 2, "max_capacity": 3})
    assert capped.status_code == 200 and capped.json()["run"] is not None
    bad = client.put(f"/heads/{new}", json={"capacity": 9, "max_capacity": 3})
    assert bad.status_code == 422 and "3" in bad.json()["detail"]
    assert broken(conn) == {}


def test_households_end_and_move(client: TestClient, conn: Connection) -> None:
    _, _, unit = head_inside(conn)
    household = a_household_without_head_role(conn, unit)
    moved = client.put(f"/households/{household}", json={"unit_id": unit, "room": "8808"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["action"] == "relocated"
    assert client.put(f"/households/{household}", json={"persons": 4}).status_code == 200
    ended = client.delete(f"/households/{household}", params={"reason": "搬离"})
    assert ended.status_code == 200 and ended.json()["action"] == "ended"
    assert one(conn, "SELECT ended_reason FROM household WHERE id = :h", h=household)[0] == "搬离"
    assert audit(conn, f"DELETE /households/{household}")[0][1] == f"household:{household}"
    gone = client.delete(f"/households/{household}", params={"reason": "again"})
    assert gone.status_code == 409
    assert broken(conn) == {}


def test_an_ended_household_says_when_and_until_when_it_was_covered(
    client: TestClient, conn: Connection, keys: dict[str, str]
) -> None:
    _, _, unit = head_inside(conn)
    household = a_household_without_head_role(conn, unit)
    covered_by = one(
        conn, "SELECT head_id FROM assignment WHERE household_id = :h AND valid_to IS NULL",
        h=household,
    )[0]  # fmt: skip
    ended = client.delete(
        f"/households/{household}", params={"reason": "搬离本市"},
        headers={"X-API-Key": keys["officer"]},
    )  # fmt: skip
    assert ended.status_code == 200, ended.text
    until = one(
        conn, "SELECT max(valid_to) FROM assignment WHERE household_id = :h", h=household
    )[0]  # fmt: skip
    # Its officer sees it in full: when it ended, why, and who covered it until when.
    seen = client.get(f"/households/{household}", headers={"X-API-Key": keys["officer"]})
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["ended_on"] and body["ended_reason"] == "搬离本市" and not body["masked"]
    assert body["unit_head"]["id"] == covered_by
    assert body["unit_head"]["until"] is not None
    assert body["unit_head"]["until"][:19] == until.isoformat()[:19]
    # The command centre sees the same, masked.
    masked = client.get(f"/households/{household}").json()
    assert masked["masked"] and masked["ended_reason"] == "搬离本市"
    assert masked["address"] != body["address"] and masked["unit_head"]["until"]
    assert "*" in masked["unit_head"]["name"]
    # A household living here says it has not ended.
    living = client.get(f"/households/{a_household_without_head_role(conn, unit)}").json()
    assert living["ended_on"] is None and living["ended_reason"] is None
    assert living["unit_head"] is None or living["unit_head"]["until"] is None


def test_bad_requests_are_named_never_500(client: TestClient, conn: Connection) -> None:
    head, household, unit = head_inside(conn)
    cases = [
        ("delete", "/heads/999999", {"params": {"reason": "x"}}, 404),
        ("delete", f"/heads/{head}", {}, 422),  # no reason
        ("delete", f"/heads/{head}", {"params": {"reason": "x", "on": "1999-01-01"}}, 422),
        ("post", "/heads", {"json": {"role": "mayor", "place_id": 1, "household_id": 1}}, 422),
        (
            "post",
            "/heads",
            {"json": {"role": "unit", "place_id": 999999, "household_id": household}},
            404,
        ),
        (
            "post",
            "/heads",
            {
                "json": {
                    "role": "unit",
                    "place_id": unit,
                    "household_id": household,
                    "name": "张三",
                    "phone": "13800000000",
                }
            },
            409,
        ),
        ("put", f"/heads/{head}", {"json": {"phone": "not a phone"}}, 422),
        ("put", "/households/999999", {"json": {"persons": 2}}, 404),
        ("put", f"/households/{household}", {"json": {"unit_id": unit}}, 422),
        ("put", f"/households/{household}", {"json": {}}, 422),
        ("delete", "/households/999999", {"params": {"reason": "x"}}, 404),
    ]
    for method, url, kwargs, status in cases:
        answer = getattr(client, method)(url, **kwargs)
        assert answer.status_code == status, (method, url, answer.status_code, answer.text)
        assert answer.json()["detail"]
