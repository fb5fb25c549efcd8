"""Party members through the API and the CLI: registered (serving or retired, with a
workplace), changed, leaving; registrations by month and community."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo_api.clock import today
from tests.cli_run import Run

KEY = "X-API-Key"


@pytest.fixture
def columns() -> int:
    """The CLI's tables here must fit a plain 80-column terminal."""
    return 80


def _home(conn: Connection) -> tuple[int, str, str]:
    """A household of the officer key's community: (id, community code, address)."""
    row = conn.execute(
        text("""SELECT h.id, c.code, h.address FROM household h JOIN unit u ON u.id = h.unit_id
                JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
                JOIN community c ON c.id = cp.community_id
                WHERE cp.community_id = (SELECT community_id FROM compound ORDER BY id LIMIT 1)
                ORDER BY h.id LIMIT 1""")
    ).one()
    return int(row[0]), str(row[1]), str(row[2])


def test_register_change_and_leave_through_the_api(
    client: TestClient, conn: Connection, keys: dict[str, str]
) -> None:
    household, community, _ = _home(conn)
    officer = {KEY: keys["officer"]}
    body = {"name": "刘党员", "phone": "13612345678", "status": "在职",
            "workplace": "侯马市供电公司", "workplace_unit_id": 7,
            "registered_on": "2024-03-05", "household_id": household}  # fmt: skip
    made = client.post("/members", json=body, headers=officer)
    assert made.status_code == 201, made.text
    member = made.json()
    assert (member["status"], member["community_code"], member["placed_by"]) == (
        "serving", community, "household")  # fmt: skip
    assert member["name"] == "刘党员" and member["changed_by"] == "test officer"
    assert member["workplace_unit_id"] == 7
    # Retired, and the workplace goes; the command centre sees the member masked.
    changed = client.put(f"/members/{member['id']}", json={"status": "离退休", "workplace": None})
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "retired" and changed.json()["name"] == "刘*员"
    bad = client.put(f"/members/{member['id']}", json={"registered_on": "2999-01-01"})
    assert bad.status_code == 422 and "registered_on 2999-01-01: in the future" in bad.text
    early = client.delete(f"/members/{member['id']}", params={"left_on": "2020-01-01"})
    assert early.status_code == 422 and "before the registration" in early.text
    gone = client.delete(f"/members/{member['id']}", params={"reason": "迁出"}, headers=officer)
    assert gone.status_code == 200 and gone.json()["left_on"] == str(today())
    assert client.put(f"/members/{member['id']}", json={"name": "x"}).status_code == 422
    # Recorded: who did what.
    actions = conn.execute(
        text("SELECT key_name, action FROM audit_log WHERE records = :r ORDER BY id"),
        {"r": f"member:{member['id']}"},
    ).all()
    assert [tuple(a) for a in actions if not a.action.startswith("GET")] == [
        ("test officer", "member add"),
        ("test command", "member update: status, workplace"),
        ("test officer", f"member leave on {today()}"),
    ]
    # Where they live decides; nowhere at all is refused, naming what to give.
    nowhere = client.post("/members", json={"name": "无家", "phone": "13612345600"})
    assert nowhere.status_code == 422 and "where does the member live" in nowhere.text
    assert client.post("/members", json=body, headers={KEY: keys["planner"]}).status_code == 403


def test_an_officer_keeps_to_their_community(
    client: TestClient, conn: Connection, keys: dict[str, str]
) -> None:
    officer = {KEY: keys["officer"]}
    _, community, _ = _home(conn)
    far = conn.execute(
        text("""SELECT m.id, c.code FROM member m JOIN community c ON c.id = m.community_id
                WHERE c.code <> :c ORDER BY m.id LIMIT 1"""),
        {"c": community},
    ).one()
    assert client.get(f"/members/{far.id}", headers=officer).status_code == 403
    assert client.put(f"/members/{far.id}", json={"name": "x"}, headers=officer).status_code == 403
    elsewhere = {"name": "外社区", "phone": "13612340000", "community": far.code}
    assert client.post("/members", json=elsewhere, headers=officer).status_code == 403
    listed = client.get("/members", params={"community": far.code}, headers=officer)
    assert listed.status_code == 403
    mine = client.get("/members", headers=officer).json()["members"]
    assert mine and all(m["community_code"] == community for m in mine)
    assert "*" not in mine[0]["name"]  # officers see names in full, audited
    assert "*" in client.get("/members").json()["members"][0]["name"]


def test_registrations_by_month_and_community(
    client: TestClient, conn: Connection, keys: dict[str, str]
) -> None:
    _, community, _ = _home(conn)
    # Three registrations in a month nobody registered in: two serving, one retired.
    for k, status in enumerate(("serving", "serving", "retired")):
        client.post("/members", json={"name": f"报到{k}", "phone": f"1361000000{k}",
                                      "status": status, "registered_on": "2019-02-1" + str(k),
                                      "community": community})  # fmt: skip
    answer = client.get(
        "/members/registrations",
        params={"from": "2019-01", "to": "2019-03", "community": community},
        headers={KEY: keys["planner"]},  # counts only: planners too
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    stored = conn.execute(
        text("""SELECT count(*) FILTER (WHERE status = 'serving'), count(*) FROM member m
                JOIN community c ON c.id = m.community_id
                WHERE c.code = :c AND registered_on >= '2019-02-01'
                  AND registered_on < '2019-03-01'"""),
        {"c": community},
    ).one()  # fmt: skip
    february = [r for r in body["rows"] if r["month"] == "2019-02"]
    assert (
        february and february[0]["serving"] == stored[0] and february[0]["registered"] == stored[1]
    )
    assert february[0]["retired"] >= 1 and body["from"] == "2019-01" and body["to"] == "2019-03"
    assert body["totals"]["registered"] == sum(r["registered"] for r in body["rows"])
    bad = client.get("/members/registrations", params={"from": "2019-13"})
    assert bad.status_code == 422 and "from '2019-13': no such month" in bad.text
    backwards = client.get("/members/registrations", params={"from": "2020-01", "to": "2019-01"})
    assert backwards.status_code == 422 and "after to" in backwards.text
    # Every registration of the store is counted once over its months.
    first, last = conn.execute(
        text("SELECT min(registered_on), max(registered_on) FROM member")
    ).one()
    whole = client.get("/members/registrations",
                       params={"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}"}).json()  # fmt: skip
    total = conn.execute(text("SELECT count(*) FROM member")).scalar_one()
    assert whole["totals"]["registered"] == total


def test_members_from_the_command_line(run: Run, engine: Engine) -> None:
    with engine.connect() as c:
        _, community, address = _home(c)
    try:
        code, out, err = run("members", "add", "周党员", "13612349999", "--status", "离退休",
                             "--registered-on", "2023-06-01", "--address", address)  # fmt: skip
        assert code == 0, err
        assert "周党员" in out and "离退休" in out
        code, out, err = run("members", "registrations", "--from", "2023-06", "--to", "2023-06",
                             "--community", community)  # fmt: skip
        assert code == 0, err
        assert "2023-06" in out and "合计" in out
        assert all(len(line) <= 80 for line in out.splitlines())
        code, out, err = run("members", "registrations", "--from", "June")
        assert code == 1 and err.startswith("错误") and "YYYY-MM" in err
        with engine.connect() as c:
            member = c.execute(
                text("SELECT id, community_id IS NOT NULL, placed_by FROM member "
                     "WHERE phone = '13612349999'")
            ).one()  # fmt: skip
        assert member[1] and member[2] == "address"
        code, out, err = run("members", "leave", str(member.id), "--reason", "迁出", "--lang", "en")
        assert code == 0 and str(today()) in out, err
    finally:
        with engine.begin() as c:
            c.execute(text("DELETE FROM member WHERE phone = '13612349999'"))


def test_the_month_window_defaults_to_a_year() -> None:
    from geo_api.rosters.registrations import Registrations

    window = Registrations(date(2024, 1, 1), date(2025, 1, 1), [])
    assert window.last == date(2024, 12, 1)
