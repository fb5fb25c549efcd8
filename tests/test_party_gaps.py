"""The four party gap types: each found on a planted case, absent on a clean one; and
they reach /gaps, the stored gaps and the OGC gap points."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from geo_api.demo.city import City
from geo_api.gaps import stored
from geo_api.gaps.finder import find_gaps
from geo_api.gaps.stored import select_gaps
from geo_api.party.service.common import this_year

PARTY = [
    "demand_past_checkpoint",
    "community_without_alliance",
    "project_behind_milestones",
    "members_inactive",
]


def no_lists(conn: Connection) -> None:
    """Start from no lists and no agreements (the test city carries the demo's, late
    ones planted among them), in the test's rolled-back transaction."""
    conn.execute(
        text("""DELETE FROM project_resource; DELETE FROM project_milestone;
                UPDATE activity SET project_id = NULL; DELETE FROM party_project;
                DELETE FROM party_demand; DELETE FROM alliance_agreement""")
    )


def refs(gaps: gpd.GeoDataFrame, kind: str) -> set[int]:
    return set(gaps.loc[gaps["type"] == kind, "ref_id"].astype(int))


def community(conn: Connection, n: int = 0) -> tuple[int, int]:
    """The id and street of the n-th community."""
    row = conn.execute(
        text("SELECT id, street_id FROM community ORDER BY id OFFSET :n LIMIT 1"), {"n": n}
    ).one()
    return int(row[0]), int(row[1])


def demand(conn: Connection, community_id: int, year: int, due: str, status: str = "open") -> int:
    return int(
        conn.execute(
            text("""INSERT INTO party_demand (year, title, category_id, community_id, due, status,
                                              urgency, geom)
                    SELECT :y, '加装电梯', (SELECT id FROM list_category WHERE code = 'elderly'),
                           c.id, :due, :status, 2, ST_PointOnSurface(c.geom)
                    FROM community c WHERE c.id = :c RETURNING id"""),
            {"y": year, "c": community_id, "due": due, "status": status},
        ).scalar_one()
    )


def test_a_demand_open_past_its_checkpoint_is_a_gap(conn: Connection) -> None:
    no_lists(conn)
    cid, _ = community(conn)
    year = this_year()
    late = demand(conn, cid, year - 1, "end")  # last year's end is past
    met = demand(conn, cid, year - 1, "end", status="met")
    coming = demand(conn, cid, year + 1, "start")  # next year's start is not yet
    gaps = find_gaps(conn, types=["demand_past_checkpoint"])
    assert refs(gaps, "demand_past_checkpoint") == {late}
    assert met not in refs(gaps, "demand_past_checkpoint")
    assert coming not in refs(gaps, "demand_past_checkpoint")
    row = gaps.iloc[0]
    assert row["geometry"].geom_type == "Point" and "年末" in row["detail"]


def test_a_community_without_an_active_agreement_is_a_gap(conn: Connection) -> None:
    no_lists(conn)
    cid, street = community(conn)
    other, _ = community(conn, 1)
    unit = conn.execute(
        text(
            "INSERT INTO alliance_unit (name, kind) VALUES ('侯马市供电公司', 'state_firm') "
            "RETURNING id"
        )
    ).scalar_one()
    before = refs(
        find_gaps(conn, types=["community_without_alliance"]), "community_without_alliance"
    )
    assert {cid, other} <= before  # no agreement anywhere yet
    conn.execute(
        text("""INSERT INTO alliance_agreement (unit_id, community_id, signed_on)
                VALUES (:u, :c, :d)"""),
        {"u": unit, "c": cid, "d": date(2021, 1, 1)},
    )
    # One ended last year does not count.
    conn.execute(
        text("""INSERT INTO alliance_agreement (unit_id, community_id, signed_on, ended_on)
                VALUES (:u, :c, :s, :e)"""),
        {"u": unit, "c": other, "s": date(2020, 1, 1), "e": date(2021, 1, 1)},
    )
    after = refs(
        find_gaps(conn, types=["community_without_alliance"]), "community_without_alliance"
    )
    assert cid not in after and other in after
    # A street's agreement covers every community of the street.
    conn.execute(
        text("INSERT INTO alliance_agreement (unit_id, street_id, signed_on) VALUES (:u, :s, :d)"),
        {"u": unit, "s": street, "d": date(2021, 1, 1)},
    )
    street_wide = refs(
        find_gaps(conn, types=["community_without_alliance"]), "community_without_alliance"
    )
    same_street = set(
        conn.execute(text("SELECT id FROM community WHERE street_id = :s"), {"s": street}).scalars()
    )
    assert not same_street & street_wide


def test_a_project_behind_its_milestones_is_a_gap(conn: Connection) -> None:
    no_lists(conn)
    cid, _ = community(conn)
    year = this_year()
    need = demand(conn, cid, year, "end", status="matched")

    def project(status: str) -> int:
        return int(
            conn.execute(
                text("""INSERT INTO party_project (year, title, demand_id, community_id, status)
                        VALUES (:y, '老旧小区加装电梯', :d, :c, :s) RETURNING id"""),
                {"y": year, "d": need, "c": cid, "s": status},
            ).scalar_one()
        )

    behind, on_time, finished = project("underway"), project("underway"), project("done")
    for p, done in ((behind, None), (on_time, date(2000, 1, 1)), (finished, None)):
        conn.execute(
            text("""INSERT INTO project_milestone (project_id, title, checkpoint, due_on, done_on)
                    VALUES (:p, '完成施工', 'start', make_date(:y - 1, 3, 31), :done)"""),
            {"p": p, "y": year, "done": done},
        )
    gaps = find_gaps(conn, types=["project_behind_milestones"])
    assert refs(gaps, "project_behind_milestones") == {behind}
    point = conn.execute(
        text("SELECT ST_AsText(geom) FROM party_demand WHERE id = :d"), {"d": need}
    ).scalar_one()
    assert gaps.iloc[0]["geometry"].wkt.replace(" ", "") == point.replace(" ", "")
    assert gaps.iloc[0]["severity"] == "high"  # more than 90 days late


def test_the_planted_inactive_community_is_found_and_no_other(conn: Connection, city: City) -> None:
    gaps = find_gaps(conn, types=["members_inactive"])
    assert refs(gaps, "members_inactive") == set(city.planted["members_inactive"])
    (planted,) = city.planted["members_inactive"]
    # Everyone checks in once this year: the gap closes.
    act = conn.execute(
        text("""INSERT INTO activity (title, community_id, starts_at)
                VALUES ('全员活动', :c, now() - interval '1 hour') RETURNING id"""),
        {"c": planted},
    ).scalar_one()
    conn.execute(
        text("""INSERT INTO activity_member (activity_id, member_id, checked_in_at)
                SELECT :a, id, now() FROM member WHERE community_id = :c"""),
        {"a": act, "c": planted},
    )
    assert find_gaps(conn, types=["members_inactive"]).pipe(refs, "members_inactive") == set()


def test_members_registered_this_year_are_not_counted_inactive(conn: Connection) -> None:
    conn.execute(text("DELETE FROM activity_member"))
    conn.execute(text("UPDATE member SET registered_on = make_date(:y, 1, 2)"), {"y": this_year()})
    assert find_gaps(conn, types=["members_inactive"]).empty


def test_party_gaps_reach_the_api_the_store_and_ogc(
    conn: Connection, client: TestClient, city: City
) -> None:
    stored = select_gaps(conn, types=PARTY)
    assert set(city.planted["members_inactive"]) == refs(stored, "members_inactive")
    answer = client.get("/gaps", params={"type": "members_inactive"})
    assert answer.status_code == 200, answer.text
    found = answer.json()["features"]
    assert [f["properties"]["ref_id"] for f in found] == city.planted["members_inactive"]
    assert found[0]["geometry"]["type"] == "Point"
    items = client.get("/ogc/collections/gap_points/items", params={"limit": 1000})
    assert items.status_code == 200, items.text
    kinds = {f["properties"]["type"] for f in items.json()["features"]}
    assert "members_inactive" in kinds


def test_the_demo_service_makes_most_members_active(conn: Connection, city: City) -> None:
    """About 60% of members check in this year outside the planted community, and every
    check-in was paid its points."""
    year = this_year()
    planted = city.planted["members_inactive"]
    active, members = conn.execute(
        text("""SELECT count(DISTINCT am.member_id) FILTER (WHERE am.checked_in_at >=
                           make_timestamptz(:y, 1, 1, 0, 0, 0, 'Asia/Shanghai')),
                       (SELECT count(*) FROM member WHERE community_id IS NOT NULL
                          AND community_id <> ALL(:p))
                FROM activity_member am JOIN member m ON m.id = am.member_id
                WHERE m.community_id <> ALL(:p)"""),
        {"y": year, "p": planted},
    ).one()
    assert 0.45 <= active / members <= 0.75
    unpaid = conn.execute(
        text("""SELECT count(*) FROM activity_member am WHERE am.checked_in_at IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM points_entry e WHERE e.member_id = am.member_id
                                AND e.activity_id = am.activity_id AND e.action = 'checked_in')""")
    ).scalar_one()
    assert unpaid == 0


def test_stored_gaps_are_found_again_on_a_new_day_with_no_change_of_data(
    conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint passing or a new year makes gaps without a change of the data: the
    stored gaps are China's day's, found again the next day."""
    calls: list[date] = []

    def counted(*args: Any, **kwargs: Any) -> gpd.GeoDataFrame:
        calls.append(stored.today())
        return find_gaps(*args, **kwargs)

    monkeypatch.setattr(stored, "find_gaps", counted)
    first = stored.city_gaps(conn)
    stored.city_gaps(conn)
    assert len(calls) <= 1  # found once a day (or stored by an earlier test today)
    tomorrow = stored.today() + timedelta(days=1)
    monkeypatch.setattr(stored, "today", lambda: tomorrow)
    again = stored.city_gaps(conn)
    assert calls[-1] == tomorrow
    assert len(again) == len(first)  # the same data: the same gaps, found anew
