"""The officer's day over HTTP: /me/heads (heads, loads and the gaps around them),
/me/changes (what changed in the area) and heads' consent to the placards."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo_api.auth.keys import create_key
from geo_api.catalogue.scope import Area
from geo_api.clock import CHINA
from geo_api.importer.run import ImportRejectedError, import_file
from geo_api.privacy import mask_name
from geo_api.rosters import heads as heads_domain
from geo_api.rosters import households as households_domain
from geo_api.rosters.change_sources import SOURCES
from geo_api.rosters.changes import MAX_PAGE, as_dict, changes_in_area
from geo_api.rosters.consent import note_consents, set_consent
from geo_api.rosters.record import Who

OFFICER_COMMUNITY = """SELECT c.id, c.code FROM compound cp
    JOIN community c ON c.id = cp.community_id ORDER BY cp.id LIMIT 1"""
# The unit heads of the officer's community who cover households, most loaded first.
UNIT_HEADS = """
SELECT hd.id, hd.name, hd.phone, hd.unit_id, u.building_id, count(a.id) AS load
FROM head hd JOIN unit u ON u.id = hd.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id
JOIN assignment a ON a.head_id = hd.id AND a.valid_to IS NULL
WHERE hd.role = 'unit' AND cp.community_id = :c AND hd.left_on IS NULL
GROUP BY hd.id, u.building_id ORDER BY count(a.id) DESC, hd.id"""


def officer(keys: dict[str, str]) -> dict[str, str]:
    return {"X-API-Key": keys["officer"]}


def audit_records(engine: Engine, key_name: str, action: str) -> set[str]:
    with engine.connect() as db:
        row = db.execute(
            text("SELECT records FROM audit_log WHERE key_name = :k AND action = :a "
                 "ORDER BY id DESC LIMIT 1"),
            {"k": key_name, "a": action},
        ).first()  # fmt: skip
    return set(row.records.split(",")) if row else set()


def by_id(answer: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {h["id"]: h for h in answer["heads"]}


def test_an_officer_gets_their_heads_in_full_and_audited(
    client: TestClient, keys: dict[str, str], conn: Connection, engine: Engine
) -> None:
    community = conn.execute(text(OFFICER_COMMUNITY)).first()
    assert community is not None
    answer = client.get("/me/heads", headers=officer(keys))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["community"] == community.code
    in_area = dict(
        conn.execute(
            text("""SELECT hd.id, hd.name FROM active_head hd
                    LEFT JOIN unit u ON u.id = hd.unit_id
                    LEFT JOIN building b ON b.id = coalesce(u.building_id, hd.building_id)
                    JOIN compound cp ON cp.id = coalesce(b.compound_id, hd.compound_id)
                    WHERE cp.community_id = :c"""),
            {"c": community.id},
        ).all()
    )
    heads = by_id(body)
    assert set(heads) == set(in_area) and heads
    assert all(heads[i]["name"] == in_area[i] for i in heads)  # in full, to call them
    unit = conn.execute(text(UNIT_HEADS), {"c": community.id}).first()
    assert unit is not None
    mine = heads[unit.id]
    assert mine["load"] == unit.load and mine["title"] == "单元长"
    assert "号楼" in mine["place"] and mine["place"].endswith("单元")
    assert audit_records(engine, "test officer", "GET /me/heads") == {f"head:{i}" for i in heads}


def test_the_command_centre_names_a_community_and_sees_masks(
    client: TestClient, keys: dict[str, str], conn: Connection
) -> None:
    missing = client.get("/me/heads")
    assert missing.status_code == 422 and "community" in missing.json()["detail"]
    community = conn.execute(text(OFFICER_COMMUNITY)).first()
    assert community is not None
    masked = client.get("/me/heads", params={"community": community.code}).json()
    names = dict(conn.execute(text("SELECT id, name FROM head")).all())
    assert masked["heads"] and all(h["name"] == mask_name(names[h["id"]]) for h in masked["heads"])
    other = conn.execute(
        text("SELECT code FROM community WHERE id <> :c ORDER BY id LIMIT 1"),
        {"c": community.id},
    ).scalar_one()
    refused = client.get("/me/heads", params={"community": other}, headers=officer(keys))
    assert refused.status_code == 403 and other in refused.json()["detail"]
    planner = client.get("/me/heads", headers={"X-API-Key": keys["planner"]})
    assert planner.status_code == 403


def test_gaps_around_a_head_follow_the_store(
    client: TestClient, keys: dict[str, str], conn: Connection
) -> None:
    community = conn.execute(text(OFFICER_COMMUNITY)).first()
    assert community is not None
    heads = conn.execute(text(UNIT_HEADS), {"c": community.id}).all()
    first = heads[0]
    # Another unit head of the same building, who stays, sees the building's gaps.
    neighbour = next((h for h in heads[1:] if h.building_id == first.building_id), None)
    before = by_id(client.get("/me/heads", headers=officer(keys)).json())
    # The households of the first head lose their head, and the head steps down.
    conn.execute(
        text("UPDATE assignment SET valid_to = now() WHERE head_id = :h AND valid_to IS NULL"),
        {"h": first.id},
    )
    conn.execute(text("UPDATE head SET left_on = china_today() WHERE id = :h"), {"h": first.id})
    after = by_id(client.get("/me/heads", headers=officer(keys)).json())
    assert first.id not in after
    building_heads = [
        h for h in after.values()
        if h["role"] == "building" and before[h["id"]]["place"] in before[first.id]["place"]
    ]  # fmt: skip
    others_in_unit = conn.execute(
        text("SELECT count(*) FROM active_head WHERE role = 'unit' AND unit_id = :u"),
        {"u": first.unit_id},
    ).scalar_one()
    for h in building_heads:
        gaps, was = h["gaps"], before[h["id"]]["gaps"]
        assert gaps["households_without_head"] == was["households_without_head"] + first.load
        assert gaps["units_without_head"] == was["units_without_head"] + (others_in_unit == 0)
    if neighbour is not None:
        assert after[neighbour.id]["gaps"]["units_without_head"] == before[neighbour.id]["gaps"][
            "units_without_head"
        ] + (others_in_unit == 0)


def test_a_head_over_target_and_maximum(
    client: TestClient, keys: dict[str, str], conn: Connection
) -> None:
    community = conn.execute(text(OFFICER_COMMUNITY)).first()
    assert community is not None
    head = conn.execute(text(UNIT_HEADS), {"c": community.id}).first()
    assert head is not None and head.load >= 2
    seen = by_id(client.get("/me/heads", headers=officer(keys)).json())[head.id]
    assert not seen["gaps"]["over_maximum"]
    conn.execute(
        text("UPDATE head SET capacity = :t, max_capacity = :m WHERE id = :h"),
        {"h": head.id, "t": head.load - 1, "m": head.load - 1},
    )
    seen = by_id(client.get("/me/heads", headers=officer(keys)).json())[head.id]
    assert seen["gaps"]["over_target"] and seen["gaps"]["over_maximum"]
    assert (seen["capacity"], seen["max_capacity"]) == (head.load - 1, head.load - 1)


def test_changes_list_a_move_and_a_head_leaving_newest_first(
    client: TestClient, keys: dict[str, str], conn: Connection
) -> None:
    community = conn.execute(text(OFFICER_COMMUNITY)).first()
    assert community is not None
    started = conn.execute(text("SELECT now()")).scalar_one()
    heads = conn.execute(text(UNIT_HEADS), {"c": community.id}).all()
    source, target = heads[0], heads[-1]
    household = conn.execute(
        text("SELECT household_id FROM assignment WHERE head_id = :h AND valid_to IS NULL "
             "ORDER BY household_id LIMIT 1"),
        {"h": source.id},
    ).scalar_one()  # fmt: skip
    since = {"since": started.isoformat()}
    before = client.get("/me/changes", params=since, headers=officer(keys)).json()
    # Terms are kept by the day: a head appointed earlier today is listed, nothing else.
    assert {c["kind"] for c in before["items"]} <= {"head_appointed"}, before["items"]
    moved = client.put(
        f"/households/{household}/head",
        json={"head_id": target.id, "lock": True, "by": "回访"},
        headers=officer(keys),
    )
    assert moved.status_code == 200, moved.text
    conn.execute(text("UPDATE head SET left_on = china_today() WHERE id = :h"), {"h": heads[1].id})
    answer = client.get("/me/changes", params=since, headers=officer(keys))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    kinds = {(c["kind"], c["ref"]) for c in body["items"]}
    assert ("household_assigned", f"household:{household}") in kinds
    assert ("head_left", f"head:{heads[1].id}") in kinds
    assign = next(c for c in body["items"] if c["kind"] == "household_assigned")
    assert assign["who"] == "test officer: 回访"
    assert f"单元长{target.id}" in assign["what"] and f"原为单元长{source.id}" in assign["what"]
    assert assign["place"] and assign["place"].endswith("单元")
    times = [c["at"] for c in body["items"]]
    assert times == sorted(times, reverse=True) and body["total"] == len(body["items"])
    # Paged: one at a time, the same entries in the same order.
    pages = [
        client.get("/me/changes", params={**since, "limit": 1, "offset": i},
                   headers=officer(keys)).json()["items"][0]
        for i in range(body["total"])
    ]  # fmt: skip
    assert pages == body["items"]


def test_changes_default_to_a_week_and_refuse_a_bad_since(
    client: TestClient, keys: dict[str, str], conn: Connection
) -> None:
    community = conn.execute(text(OFFICER_COMMUNITY)).first()
    assert community is not None
    # The test city's assignment run is recent: its households were all assigned this week.
    week = client.get("/me/changes", params={"limit": 5}, headers=officer(keys)).json()
    assert week["total"] > 0 and len(week["items"]) == 5
    kinds = {c["kind"] for c in week["items"]}
    assert kinds <= {"assignment_run", "household_assigned", "place_covered", "head_appointed"}
    for bad in ("yesterday", "2026-13-01", "2026-12-01T25:00"):
        refused = client.get("/me/changes", params={"since": bad}, headers=officer(keys))
        assert refused.status_code == 422 and "since" in refused.json()["detail"], bad
        assert bad in refused.json()["detail"]
    future = client.get("/me/changes", params={"since": "2999-01-01"}, headers=officer(keys))
    assert future.status_code == 200 and future.json()["total"] == 0
    needs = client.get("/me/changes")
    assert needs.status_code == 422 and "community" in needs.json()["detail"]
    by_code = client.get("/me/changes", params={"community": community.code, "limit": 5})
    assert by_code.status_code == 200 and by_code.json()["total"] == week["total"]


def test_consent_is_set_within_the_officers_area(
    client: TestClient, keys: dict[str, str], conn: Connection
) -> None:
    community = conn.execute(text(OFFICER_COMMUNITY)).first()
    assert community is not None
    head = conn.execute(text(UNIT_HEADS), {"c": community.id}).first()
    assert head is not None
    said = client.put(
        f"/heads/{head.id}/consent", json={"consent_public": True}, headers=officer(keys)
    )
    assert said.status_code == 200, said.text
    assert said.json() == {"id": head.id, "role": "unit", "consent_public": True}
    stored = conn.execute(text("SELECT consent_public FROM head WHERE id = :h"), {"h": head.id})
    assert stored.scalar_one() is True
    assert by_id(client.get("/me/heads", headers=officer(keys)).json())[head.id]["consent_public"]
    # The change is in the audit log with who made it, and when (the route's write
    # shares the test's transaction: read it there).
    action = "consent yes (PUT /heads/consent)"
    count = text(
        "SELECT count(*), max(at), string_agg(key_name || ' ' || records, ';') "
        "FROM audit_log WHERE action = :a"
    )
    noted, at, said = conn.execute(count, {"a": action}).one()
    assert noted == 1 and at is not None and said == f"test officer head:{head.id}"
    again = client.put(
        f"/heads/{head.id}/consent", json={"consent_public": True}, headers=officer(keys)
    )
    assert again.status_code == 200
    assert conn.execute(count, {"a": action}).one()[0] == 1  # no change, no row
    outside = conn.execute(
        text("""SELECT hd.id FROM head hd JOIN unit u ON u.id = hd.unit_id
                JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
                WHERE cp.community_id <> :c ORDER BY hd.id LIMIT 1"""),
        {"c": community.id},
    ).scalar_one()
    refused = client.put(
        f"/heads/{outside}/consent", json={"consent_public": True}, headers=officer(keys)
    )
    assert refused.status_code == 403
    assert client.put("/heads/999999/consent", json={"consent_public": True}).status_code == 404
    planner = client.put(
        f"/heads/{head.id}/consent",
        json={"consent_public": False},
        headers={"X-API-Key": keys["planner"]},
    )
    assert planner.status_code == 403


def test_the_heads_import_reads_consent(conn: Connection, tmp_path: Path) -> None:
    rows = (
        conn.execute(
            text("""SELECT CASE hd.role WHEN 'unit' THEN '单元长' WHEN 'building' THEN '楼长'
                       ELSE '小区长' END AS 角色, hd.name AS 姓名, hd.phone AS 电话,
                       home.address AS 地址, hd.id
                FROM head hd JOIN household home ON home.id = hd.household_id
                WHERE hd.role = 'unit' ORDER BY hd.id LIMIT 3""")
        )
        .mappings()
        .all()
    )
    frame = pd.DataFrame([{k: r[k] for k in ("角色", "姓名", "电话", "地址")} for r in rows])
    frame["同意公示"] = ["是", "否", "yes"]
    path = tmp_path / "三长.csv"
    frame.to_csv(path, index=False)
    report = import_file(conn, "heads", path)
    assert report.landed.updated == 2, report
    consent = dict(conn.execute(text("SELECT id, consent_public FROM head")).all())
    assert [consent[r["id"]] for r in rows] == [True, False, True]
    # Every change is handed on for the audit log (the CLI and the route write it).
    assert report.diff is not None
    assert report.diff.consent == {rows[0]["id"]: True, rows[2]["id"]: True}
    # What the route and the CLI write of them: one row per answer, naming the heads.
    note_consents(conn, Who("cli:test"), report.diff.consent, "import heads 三长.csv")
    noted = conn.execute(
        text("SELECT key_name, action, records FROM audit_log "
             "WHERE action LIKE 'consent %' AND key_name = 'cli:test'")
    ).all()  # fmt: skip
    heads = ",".join(f"head:{i}" for i in sorted(rows[n]["id"] for n in (0, 2)))
    assert [tuple(r) for r in noted] == [("cli:test", "consent yes (import heads 三长.csv)", heads)]
    # A roster without the column keeps what was recorded.
    frame.drop(columns="同意公示").to_csv(path, index=False)
    import_file(conn, "heads", path)
    consent = dict(conn.execute(text("SELECT id, consent_public FROM head")).all())
    assert [consent[r["id"]] for r in rows] == [True, False, True]
    frame["同意公示"] = ["是", "也许", "否"]
    frame.to_csv(path, index=False)
    with pytest.raises(ImportRejectedError) as refused:
        import_file(conn, "heads", path)
    assert "同意公示 '也许'" in str(refused.value)


def test_a_grid_officer_s_day_is_their_grid(
    client: TestClient, conn: Connection, engine: Engine
) -> None:
    grid = conn.execute(
        text("""SELECT g.id, g.code, g.community_id FROM grid g
                WHERE EXISTS (SELECT 1 FROM compound cp WHERE cp.grid_id = g.id)
                ORDER BY (SELECT count(*) FROM grid o WHERE o.community_id = g.community_id) DESC,
                         g.id LIMIT 1""")
    ).first()
    assert grid is not None
    with engine.begin() as committed:
        key = create_key(committed, f"day officer {grid.code}", "officer", grid=grid.code)
    mine = {"X-API-Key": key}
    # Its community's other grids first: the compounds an officer of the community sees.
    compounds = dict(
        conn.execute(
            text("SELECT id, grid_id FROM compound ORDER BY community_id <> :c, id"),
            {"c": grid.community_id},
        ).all()
    )
    body = client.get("/me/heads", headers=mine).json()
    assert body["grid_id"] == grid.id and body["heads"]
    assert {compounds[h["compound_id"]] for h in body["heads"]} == {grid.id}
    other = next(c for c, g in compounds.items() if g != grid.id)
    assert client.get(f"/placards/compound/{other}", headers=mine).status_code == 403
    changes = client.get("/me/changes", params={"limit": 500}, headers=mine).json()
    community = client.get("/me/changes", params={"limit": 1}, headers={"X-API-Key": key}).json()
    assert changes["grid_id"] == grid.id and community["total"] == changes["total"]
    places = {c["place"] for c in changes["items"] if c["kind"] == "household_assigned"}
    names = {
        n
        for (n,) in conn.execute(
            text("SELECT name FROM compound WHERE grid_id = :g"), {"g": grid.id}
        ).all()
    }
    assert places and all(any(p.startswith(n) for n in names) for p in places)


def _events(conn: Connection, area: Area, since: datetime) -> dict[str, dict[str, Any]]:
    """Every change of the area since a moment, by (kind, ref)."""
    total, page = changes_in_area(conn, area, since, limit=MAX_PAGE)
    assert total <= MAX_PAGE, "the test's window holds one page"
    return {f"{c.kind} {c.ref}": as_dict(c) for c in page}


def test_the_day_lists_terms_households_rosters_and_party_work(conn: Connection) -> None:
    """Heads appointed, retired and moved; households ended and relocated; consent;
    officers and members; projects and activities: each in its area only."""
    mine, other = conn.execute(
        text("SELECT id, code FROM community c WHERE EXISTS (SELECT 1 FROM compound cp "
             "WHERE cp.community_id = c.id) ORDER BY id LIMIT 2")
    ).all()  # fmt: skip
    area, elsewhere = Area(mine.id, mine.code), Area(other.id, other.code)
    # Today: terms and rosters are kept by the day.
    since = datetime.combine(
        conn.execute(text("SELECT china_today()")).scalar_one(), time(), tzinfo=CHINA
    )
    heads = conn.execute(text(UNIT_HEADS), {"c": mine.id}).all()
    retiring, moving = heads[0].id, heads[1].id
    heads_domain.retire(conn, retiring, by="张科长", reason="身体原因", reassign_now=False)
    # A unit of the area, and a household of it, each without a head of its own yet.
    unit, household = conn.execute(
        text("""SELECT u.id, min(h.id) FROM unit u JOIN building b ON b.id = u.building_id
                JOIN compound cp ON cp.id = b.compound_id JOIN household h ON h.unit_id = u.id
                WHERE cp.community_id = :c AND h.ended_on IS NULL
                  AND NOT EXISTS (SELECT 1 FROM head hd WHERE hd.household_id = h.id)
                  AND u.id <> (SELECT unit_id FROM head WHERE id = :m)
                GROUP BY u.id ORDER BY u.id LIMIT 1"""),
        {"c": mine.id, "m": moving},
    ).one()
    appointed = heads_domain.appoint(
        conn, "unit", unit, household, by="李书记", name="王五", phone="13800138000",
        reassign_now=False,
    ).head_id  # fmt: skip
    # A head may serve a unit they do not live in if they volunteered.
    conn.execute(
        text("UPDATE household SET volunteer = true WHERE id = "
             "(SELECT household_id FROM head WHERE id = :h)"),
        {"h": moving},
    )  # fmt: skip
    moved = heads_domain.move(conn, moving, unit, by="李书记", reassign_now=False).head_id
    leaving = conn.execute(
        text("""SELECT h.id FROM household h JOIN unit u ON u.id = h.unit_id
                JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
                WHERE cp.community_id = :c AND h.ended_on IS NULL
                  AND NOT EXISTS (SELECT 1 FROM head hd WHERE hd.household_id = h.id)
                ORDER BY h.id DESC LIMIT 2"""),
        {"c": mine.id},
    ).all()
    households_domain.end(conn, leaving[0].id, by="王干事", reason="搬离本市", reassign_now=False)
    arriving = conn.execute(
        text("""SELECT h.id FROM household h JOIN unit u ON u.id = h.unit_id
                JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
                JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
                WHERE cp.community_id = :c AND h.ended_on IS NULL
                  AND NOT EXISTS (SELECT 1 FROM head hd WHERE hd.household_id = h.id)
                ORDER BY h.id LIMIT 1"""),
        {"c": other.id},
    ).scalar_one()
    households_domain.relocate(conn, arriving, unit, "9901", by="王干事", reassign_now=False)
    set_consent(conn, Who("test officer", "officer"), appointed, True)
    officer = conn.execute(
        text("""UPDATE grid_officer SET appointed_on = china_today(), changed_at = now(),
                       changed_by = '街道组织办' WHERE id = (SELECT min(id) FROM grid_officer
                                                   WHERE community_id = :c) RETURNING id"""),
        {"c": mine.id},
    ).scalar_one()
    # A member of the community (one registered for the test: the small city may have
    # none there) leaves today.
    member = conn.execute(
        text("""INSERT INTO member (name, phone, community_id, registered_on, status)
                VALUES ('离开党员', '13600000002', :c, '2025-03-01', 'serving') RETURNING id"""),
        {"c": mine.id},
    ).scalar_one()
    conn.execute(
        text("""UPDATE member SET left_on = china_today(), left_reason = '迁出',
                       changed_at = now(), changed_by = '王干事' WHERE id = :m"""),
        {"m": member},
    )
    project = conn.execute(
        text("INSERT INTO party_project (year, title, community_id, created_by) "
             "VALUES (2026, '楼道照明', :c, '李书记') RETURNING id"),
        {"c": mine.id},
    ).scalar_one()  # fmt: skip
    activity = conn.execute(
        text("INSERT INTO activity (title, community_id, starts_at) "
             "VALUES ('义诊', :c, now() - interval '1 minute') RETURNING id"),
        {"c": mine.id},
    ).scalar_one()  # fmt: skip
    seen = _events(conn, area, since)
    assert seen[f"head_left head:{retiring}"]["who"] == "张科长"
    assert "身体原因" in seen[f"head_left head:{retiring}"]["what"]
    assert seen[f"head_appointed head:{appointed}"]["who"] == "李书记"
    assert f"单元长{moving}" in seen[f"head_moved head:{moved}"]["what"]
    assert f"单元长{moved}" in seen[f"head_moved_away head:{moving}"]["what"]
    assert f"head_appointed head:{moved}" not in seen  # a move is not an appointment
    assert seen[f"head_consent head:{appointed}"]["who"] == "test officer"
    ended = seen[f"household_ended household:{leaving[0].id}"]
    assert ended["who"] == "王干事" and "搬离本市" in ended["what"]
    assert f"household_relocated household:{arriving}" in seen
    assert seen[f"officer_appointed officer:{officer}"]["who"] == "街道组织办"
    assert "迁出" in seen[f"member_left member:{member}"]["what"]
    assert seen[f"project_created project:{project}"]["who"] == "李书记"
    assert f"activity_held activity:{activity}" in seen
    citywide = ("assignment_run", "household_assigned", "household_unassigned", "place_")
    mine_only = {k for k in seen if not k.startswith(citywide)}
    assert not mine_only & set(_events(conn, elsewhere, since))


def test_every_source_of_the_day_reads_an_index(conn: Connection) -> None:
    """No source reads a whole table of history: each finds its rows through an index
    (the planner is told to avoid sequential scans where it has a choice)."""
    area = conn.execute(text(OFFICER_COMMUNITY)).first()
    assert area is not None
    since = datetime(2026, 12, 1, tzinfo=UTC)
    params = {"community": area.id, "grid": None, "since": since, "n": 10}
    conn.execute(text("SET LOCAL enable_seqscan = off"))
    history = ("assignment", "head", "household", "place_cover", "audit_log", "member",
               "grid_officer", "party_project", "activity")  # fmt: skip
    for source in SOURCES:
        plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {source.sql}"), params))
        scanned = [t for t in history if f"Seq Scan on {t} " in plan]
        assert not scanned, (source.name, scanned, plan)


def test_my_heads_leave_out_retired_heads_and_ended_households(
    client: TestClient, keys: dict[str, str], conn: Connection
) -> None:
    community = conn.execute(text(OFFICER_COMMUNITY)).first()
    assert community is not None
    heads = conn.execute(text(UNIT_HEADS), {"c": community.id}).all()
    kept, retiring = heads[0], heads[1]
    # One of the kept head's households loses its cover: it is a gap around the head.
    household = conn.execute(
        text("UPDATE assignment SET valid_to = now() WHERE id = (SELECT min(id) FROM "
             "assignment WHERE head_id = :h AND valid_to IS NULL) RETURNING household_id"),
        {"h": kept.id},
    ).scalar_one()  # fmt: skip
    before = by_id(client.get("/me/heads", headers=officer(keys)).json())
    gaps = before[kept.id]["gaps"]["households_without_head"]
    assert gaps >= 1 and retiring.id in before
    heads_domain.retire(conn, retiring.id, by="张科长", reason="身体原因", reassign_now=False)
    # The household moves out: nobody's to cover any more.
    conn.execute(
        text("UPDATE household SET ended_on = china_today(), ended_reason = '搬离本市' "
             "WHERE id = :h"),
        {"h": household},
    )  # fmt: skip
    after = by_id(client.get("/me/heads", headers=officer(keys)).json())
    assert retiring.id not in after and kept.id in after
    assert after[kept.id]["gaps"]["households_without_head"] == gaps - 1
