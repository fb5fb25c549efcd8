"""Members' service through the domain: the four steps and their points, once each;
exchanges never below zero; records, totals and year-end summaries."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo_api.auth.roles import Caller
from geo_api.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from geo_api.party.service.activities import (
    ActivityIn,
    cancel_activity,
    create_activity,
    list_activities,
    update_activity,
)
from geo_api.party.service.common import this_year
from geo_api.party.service.points import balance, exchange, rule_points, set_rule
from geo_api.party.service.records import community_totals, member_record
from geo_api.party.service.steps import (
    check_in,
    check_in_by_code,
    give_feedback,
    notify,
    receive,
    register,
)
from geo_api.party.service.yearend import community_summaries, member_summaries, write_table
from tests.cli_run import Run


def first_community(conn: Connection) -> tuple[int, str]:
    """The first community with at least three members (the tests take up to three)."""
    row = conn.execute(
        text("""SELECT c.id, c.code FROM community c
                JOIN member m ON m.community_id = c.id
                GROUP BY c.id, c.code HAVING count(*) >= 3 ORDER BY c.id LIMIT 1""")
    ).one()
    return int(row[0]), str(row[1])


def members_of(conn: Connection, community_id: int, n: int = 3) -> list[int]:
    """The community's first members, their calls and points record emptied (the demo
    city's service gave them some already)."""
    ids = list(
        conn.execute(
            text("SELECT id FROM member WHERE community_id = :c ORDER BY id LIMIT :n"),
            {"c": community_id, "n": n},
        ).scalars()
    )
    conn.execute(text("DELETE FROM points_entry WHERE member_id = ANY(:ids)"), {"ids": ids})
    conn.execute(text("DELETE FROM activity_member WHERE member_id = ANY(:ids)"), {"ids": ids})
    return ids


def activity(conn: Connection, code: str, hours_ago: float = 1.0) -> int:
    starts = datetime.now(UTC) - timedelta(hours=hours_ago)
    made = create_activity(
        conn, ActivityIn("环境整治志愿服务", code, starts, place="小区广场"), None
    )
    return int(made["id"])


def entries(conn: Connection, member_id: int, action: str) -> list[int]:
    return list(
        conn.execute(
            text("SELECT points FROM points_entry WHERE member_id = :m AND action = :a"),
            {"m": member_id, "a": action},
        ).scalars()
    )


def test_the_four_steps_earn_the_default_points_once(conn: Connection) -> None:
    cid, code = first_community(conn)
    member = members_of(conn, cid, 1)[0]
    act = activity(conn, code)
    sent = notify(conn, act, None, None)
    everyone = conn.execute(
        text("SELECT count(*) FROM member WHERE community_id = :c"), {"c": cid}
    ).scalar_one()
    assert sent["notified"] == everyone
    assert notify(conn, act, None, None)["notified"] == 0  # the second notice changes nothing
    got = receive(conn, act, member, None)
    assert got["points"] == 1, got
    first = check_in(conn, act, member, None)
    assert first == {**first, "done": True, "points": 5}
    again = check_in(conn, act, member, None)
    assert again["done"] is False and again["points"] == 0
    assert entries(conn, member, "checked_in") == [5]
    assert give_feedback(conn, act, member, "活动组织得很好", None)["points"] == 2
    assert give_feedback(conn, act, member, "再说一遍", None)["points"] == 0
    stored = conn.execute(
        text("SELECT feedback FROM activity_member WHERE activity_id = :a AND member_id = :m"),
        {"a": act, "m": member},
    ).scalar()
    assert stored == "活动组织得很好"
    assert register(conn, member, None)["done"] is True
    assert register(conn, member, None)["done"] is False
    assert balance(conn, member) == 10 + 1 + 5 + 2
    audited = conn.execute(
        text("SELECT count(*) FROM audit_log WHERE records = :r AND action LIKE :a"),
        {"r": f"member:{member}", "a": f"%activity:{act}"},
    ).scalar_one()
    assert audited == 3  # received, checked in, feedback


def test_a_community_rule_overrides_the_city_default(conn: Connection) -> None:
    cid, code = first_community(conn)
    assert rule_points(conn, cid, "checked_in") == 5
    set_rule(conn, code, "checked_in", 8)
    assert rule_points(conn, cid, "checked_in") == 8
    member = members_of(conn, cid, 1)[0]
    act = activity(conn, code)
    assert check_in(conn, act, member, None)["points"] == 8
    with pytest.raises(InvalidInputError, match="points of a rule"):
        set_rule(conn, code, "checked_in", -3)


def test_steps_out_of_order_are_refused_with_a_reason(conn: Connection) -> None:
    cid, code = first_community(conn)
    member = members_of(conn, cid, 1)[0]
    act = activity(conn, code)
    with pytest.raises(InvalidInputError, match="not sent the notice"):
        receive(conn, act, member, None)
    with pytest.raises(InvalidInputError, match="did not check in"):
        give_feedback(conn, act, member, "好", None)
    with pytest.raises(InvalidInputError, match="in the future"):
        check_in(conn, act, member, None, datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(NotFoundError, match="no member has the id 999999"):
        check_in(conn, act, 999_999, None)
    with pytest.raises(NotFoundError, match="no activity"):
        check_in(conn, 999_999, member, None)
    early = activity(conn, code, hours_ago=-30)  # starts tomorrow
    with pytest.raises(InvalidInputError, match="before activity"):
        check_in(conn, early, member, None)


def test_a_member_checks_in_with_their_own_code(conn: Connection) -> None:
    cid, code = first_community(conn)
    member = members_of(conn, cid, 1)[0]
    act = activity(conn, code)
    notify(conn, act, [member], None)
    own = conn.execute(
        text("SELECT code FROM activity_member WHERE activity_id = :a AND member_id = :m"),
        {"a": act, "m": member},
    ).scalar_one()
    assert check_in_by_code(conn, act, own, None)["member_id"] == member
    with pytest.raises(InvalidInputError, match="6 digits"):
        check_in_by_code(conn, act, "12ab", None)
    wrong = "000000" if own != "000000" else "111111"
    with pytest.raises(NotFoundError, match="has the code"):
        check_in_by_code(conn, act, wrong, None)


def test_a_cancelled_activity_takes_no_more_steps(conn: Connection) -> None:
    cid, code = first_community(conn)
    member, other = members_of(conn, cid, 2)
    act = activity(conn, code)
    check_in(conn, act, member, None)
    cancelled = cancel_activity(conn, act, None)
    assert cancelled["cancelled_at"] is not None
    with pytest.raises(ConflictError, match="cancelled"):
        check_in(conn, act, other, None)
    assert entries(conn, member, "checked_in") == [5]  # what was earned stays


def test_update_keeps_the_community_and_checks_values(conn: Connection) -> None:
    _, code = first_community(conn)
    act = activity(conn, code)
    later = datetime.now(UTC) + timedelta(days=2)
    changed = update_activity(conn, act, ActivityIn("助老送餐", code, later), None)
    assert changed["title"] == "助老送餐" and changed["starts_at"] == later
    with pytest.raises(InvalidInputError, match="before starts_at"):
        update_activity(conn, act, ActivityIn("x", code, later, later - timedelta(hours=1)), None)
    with pytest.raises(InvalidInputError, match="needs a time zone"):
        naive = datetime(2026, 5, 1, 9)  # noqa: DTZ001 - no zone on purpose
        create_activity(conn, ActivityIn("x", code, naive), None)
    with pytest.raises(NotFoundError, match="community"):
        create_activity(conn, ActivityIn("x", "999999999999", later), None)
    assert any(a["id"] == act for a in list_activities(conn, code, None, None))


def test_an_officer_is_held_to_their_community(conn: Connection) -> None:
    cid, code = first_community(conn)
    other = conn.execute(
        text("SELECT id, code FROM community WHERE id <> :c ORDER BY id LIMIT 1"), {"c": cid}
    ).one()
    officer = Caller(1, "officer", "officer", community_id=int(other[0]), community_code=other[1])
    act = activity(conn, code)
    with pytest.raises(ForbiddenError, match="outside your area"):
        check_in(conn, act, members_of(conn, cid, 1)[0], officer)
    with pytest.raises(ForbiddenError):
        create_activity(conn, ActivityIn("x", code, datetime.now(UTC)), officer)


def test_exchange_never_goes_below_zero(conn: Connection) -> None:
    cid, _ = first_community(conn)
    member = members_of(conn, cid, 1)[0]
    register(conn, member, None)
    held = balance(conn, member)
    assert held == 10
    spent = exchange(conn, member, 4, "兑换洗衣液", None)
    assert spent["balance"] == 6
    with pytest.raises(ConflictError, match="has 6 points: 7 cannot"):
        exchange(conn, member, 7, None, None)
    with pytest.raises(InvalidInputError, match="points to exchange"):
        exchange(conn, member, 0, None, None)
    assert balance(conn, member) == 6
    assert entries(conn, member, "exchange") == [-4]


def test_record_totals_and_year_end(conn: Connection, tmp_path: Path) -> None:
    cid, code = first_community(conn)
    year = this_year()
    a, b = members_of(conn, cid, 2)
    # Both registered last year, so both count as registered this year.
    conn.execute(
        text("UPDATE member SET registered_on = make_date(:y - 1, 3, 1) WHERE id = ANY(:ids)"),
        {"y": year, "ids": [a, b]},
    )
    act = activity(conn, code)
    notify(conn, act, [a, b], None)
    check_in(conn, act, a, None)
    give_feedback(conn, act, a, "好", None)
    register(conn, a, None)
    exchange(conn, a, 3, None, None)
    before = community_totals(conn, code, year, None)
    record = member_record(conn, a, year, None, reveal=False)
    assert record["balance"] == 10 + 5 + 2 - 3
    assert record["exchanged"] == 3
    assert record["steps"] == {"called": 1, "received": 0, "checked_in": 1, "feedback": 1}
    assert "*" in record["member"]["name"] and "****" in record["member"]["phone"]
    assert record["entries"][0]["action"] == "exchange"
    check_in(conn, act, b, None)
    after = community_totals(conn, code, year, None)
    assert after["active"] == before["active"] + 1
    assert after["check_ins"] == before["check_ins"] + 1
    assert after["points_earned"] == before["points_earned"] + 5
    summary = member_summaries(conn, year, code, None, reveal=True)
    row = summary.set_index("member_id").loc[a]
    assert (row["checked_in"], row["feedback"], row["balance"]) == (1, 1, 14)
    out = tmp_path / "年度总结.xlsx"
    assert write_table(summary, out) == len(summary)
    back = pd.read_excel(out)
    assert list(back["member_id"]) == list(summary["member_id"])
    csv = tmp_path / "communities.csv"
    communities = community_summaries(conn, year, None)
    write_table(communities, csv)
    assert code in set(pd.read_csv(csv, dtype={"code": str})["code"])
    with pytest.raises(InvalidInputError, match=r"\.csv or \.xlsx"):
        write_table(summary, tmp_path / "x.pdf")


# --- the API -------------------------------------------------------------------------


def test_api_steps_records_and_exchange(
    conn: Connection, client: TestClient, keys: dict[str, str]
) -> None:
    officer = {"X-API-Key": keys["officer"]}
    code = client.get("/communities", headers=officer).json()[0]["code"]
    cid = conn.execute(text("SELECT id FROM community WHERE code = :c"), {"c": code}).scalar_one()
    member = members_of(conn, cid, 1)[0]
    starts = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    made = client.post(
        "/activities",
        json={"title": "义诊进社区", "community": code, "starts_at": starts},
        headers=officer,
    )
    assert made.status_code == 201, made.text
    act = made.json()["id"]
    assert client.post(f"/activities/{act}/notify", json={}, headers=officer).json()["notified"]
    path = f"/activities/{act}/members/{member}"
    assert client.post(f"{path}/received", headers=officer).json()["points"] == 1
    first = client.post(f"{path}/checkin", json={}, headers=officer).json()
    second = client.post(f"{path}/checkin", json={}, headers=officer).json()
    assert (first["points"], second["points"], second["done"]) == (5, 0, False)
    answer = client.post(f"{path}/feedback", json={"text": "很好"}, headers=officer)
    assert answer.json()["points"] == 2
    full = client.get(f"/members/{member}/points", headers=officer).json()
    assert full["balance"] == 8 and "*" not in full["member"]["name"]
    masked = client.get(f"/members/{member}/points").json()  # the command centre
    assert "****" in masked["member"]["phone"]
    too_much = client.post(f"/members/{member}/exchange", json={"points": 9}, headers=officer)
    assert too_much.status_code == 409 and "has 8 points" in too_much.json()["detail"]
    spent = client.post(f"/members/{member}/exchange", json={"points": 8}, headers=officer)
    assert spent.json()["balance"] == 0
    totals = client.get(f"/communities/{code}/service", headers=officer).json()
    assert totals["check_ins"] >= 1
    sheet = client.get("/yearend/members", params={"f": "xlsx"}, headers=officer)
    assert sheet.status_code == 200
    table = pd.read_excel(io.BytesIO(sheet.content))
    assert set(table["community_code"].astype(str)) == {code}
    assert client.get("/yearend/members", headers={"X-API-Key": keys["planner"]}).status_code == 403


def test_api_refuses_bad_input_and_other_areas(
    conn: Connection, client: TestClient, keys: dict[str, str]
) -> None:
    officer = {"X-API-Key": keys["officer"]}
    own = client.get("/communities", headers=officer).json()[0]["code"]
    other = conn.execute(
        text("SELECT code FROM community WHERE code <> :c ORDER BY id LIMIT 1"), {"c": own}
    ).scalar_one()
    starts = datetime.now(UTC).isoformat()
    outside = client.post(
        "/activities", json={"title": "x", "community": other, "starts_at": starts}, headers=officer
    )
    assert outside.status_code == 403
    bad = client.post(
        "/activities",
        json={"title": "x", "community": own, "starts_at": "2026-05-01T09:00:00"},
        headers=officer,
    )
    assert bad.status_code == 422 and "time zone" in bad.json()["detail"]
    assert client.post("/activities/99999/members/1/checkin", json={}).status_code == 404
    assert client.get("/activities", headers={"X-API-Key": keys["planner"]}).status_code == 403


# --- the CLI -------------------------------------------------------------------------


def test_cli_activity_steps_points_and_yearend(engine: Engine, run: Run, tmp_path: Path) -> None:
    # Committed by the CLI: nothing is deleted from the shared city but what it adds.
    with engine.connect() as conn:
        cid, code = first_community(conn)
        member = conn.execute(
            text("SELECT min(id) FROM member WHERE community_id = :c"), {"c": cid}
        ).scalar_one()
    act = None
    before = tmp_path / "before.csv"
    assert run("yearend", "--out", str(before), "--community", code)[0] == 0
    summary = pd.read_csv(before, dtype={"community_code": str}).set_index("member_id")
    checked_before = int(summary.loc[member, "checked_in"]) if member in summary.index else 0
    try:
        starts = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        status, shown, _ = run(
            "activities", "create", "平安巡逻", "--community", code, "--starts", starts
        )
        assert status == 0, shown
        with engine.connect() as conn:
            act = conn.execute(text("SELECT max(id) FROM activity")).scalar_one()
        assert run("activities", "notify", str(act), "--member", str(member))[0] == 0
        status, shown, _ = run("activities", "checkin", str(act), str(member))
        assert status == 0 and "5" in shown and "活动签到" in shown
        status, shown, _ = run("activities", "checkin", str(act), str(member), "--lang", "en")
        assert "recorded" in shown and "no" in shown  # the second check-in pays nothing
        status, _, err = run("points", "exchange", str(member), "100000")
        assert status == 1 and err.startswith("错误:") and "100000 cannot" in err
        status, shown, _ = run("points", "record", str(member), "--lang", "en")
        assert status == 0 and "balance" in shown and "checked_in" in shown
        out = tmp_path / "yearend.csv"
        assert run("yearend", "--out", str(out), "--community", code)[0] == 0
        summary = pd.read_csv(out, dtype={"community_code": str})
        # The demo's own activities checked this member in already: one more now.
        checked = int(summary.set_index("member_id").loc[member, "checked_in"])
        assert checked == checked_before + 1
        status, _, err = run("yearend", "--out", str(tmp_path / "x.pdf"))
        assert status == 1 and ".csv or .xlsx" in err
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM points_entry WHERE activity_id = :a"), {"a": act})
            conn.execute(text("DELETE FROM activity WHERE id = :a"), {"a": act})
