"""Snapshots of the figures and gaps, their daily series (/stats, gridgov stats) and
the wall's live figures (/wall.json)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from rich.cells import cell_len
from sqlalchemy import Connection, Engine, text

from geo_api.figures import key_figures
from geo_api.gaps.finder import find_gaps
from geo_api.gaps.stored import city_gaps
from geo_api.privacy import mask_name, mask_phone
from geo_api.stats.series import changes, daily, today
from geo_api.stats.snapshot import snapshot
from geo_api.stats.wall import alerts, place_level, wall, worst_first
from tests.cli_run import Run


def _clear(conn: Connection) -> None:
    """No snapshot but the test's own (the table is shared; this is rolled back)."""
    conn.execute(text("DELETE FROM snapshot"))
    conn.execute(text("DELETE FROM open_gap"))


def _places(conn: Connection) -> dict[str, str]:
    """A street and a community of the test city that have households."""
    street, community = conn.execute(
        text(
            "SELECT s.code, c.code FROM community c JOIN street s ON s.id = c.street_id "
            "JOIN compound cp ON cp.community_id = c.id ORDER BY cp.id LIMIT 1"
        )
    ).one()
    return {"street": street, "community": community}


def _rows(conn: Connection, level: str) -> list[dict[str, object]]:
    return [
        dict(r)
        for r in conn.execute(
            text("SELECT * FROM snapshot WHERE level = :l ORDER BY code"), {"l": level}
        ).mappings()
    ]


def test_snapshot_matches_the_figures_and_gaps(conn: Connection) -> None:
    _clear(conn)
    written = snapshot(conn, force=True)
    streets = conn.execute(text("SELECT count(*) FROM street")).scalar_one()
    communities = conn.execute(text("SELECT count(*) FROM community")).scalar_one()
    assert written == 1 + streets + communities
    (city,) = _rows(conn, "city")
    truth = key_figures(conn)
    assert city["households"] == truth["households"]
    assert city["covered"] == truth["households_covered"]
    assert city["members"] == truth["members"]
    stations = ("city_stations", "street_stations", "community_stations", "outposts")
    assert city["stations"] == sum(truth[k] for k in stations)
    heads = ("compound_heads", "building_heads", "unit_heads")
    assert city["heads"] == sum(truth[k] for k in heads)
    gaps = city_gaps(conn)
    by_severity = Counter(gaps["severity"])
    assert city["gaps_high"] == by_severity["high"]
    assert city["gaps_medium"] == by_severity["medium"]
    assert city["gaps_low"] == by_severity["low"]
    by_type = Counter(gaps["type"])
    assert {k: sum(v.values()) for k, v in city["gaps"].items()} == dict(by_type)  # type: ignore[union-attr]
    # The streets add up to the city, the communities to their street.
    for key in ("households", "covered", "heads", "heads_over_target", "members"):
        assert sum(r[key] for r in _rows(conn, "street")) == city[key]  # type: ignore[misc]
        assert sum(r[key] for r in _rows(conn, "community")) == city[key]  # type: ignore[misc]
    over = conn.execute(
        text(
            "SELECT count(*) FROM active_head h WHERE h.role = 'unit' AND h.capacity < "
            "(SELECT count(*) FROM assignment a WHERE a.head_id = h.id AND a.valid_to IS NULL)"
        )
    ).scalar_one()
    assert city["heads_over_target"] == over
    # Every gap is remembered as open; a second snapshot of the same data is not taken.
    assert conn.execute(text("SELECT count(*) FROM open_gap")).scalar_one() == len(gaps)
    assert snapshot(conn) == 0


def test_heads_over_target_are_those_above_it_not_at_it(conn: Connection) -> None:
    """The card counts unit heads with more households than their target, as the
    head_over_capacity gap does: a head filled to exactly the target (most are, at
    about 18 households each) is where the assignment means them to be."""
    _clear(conn)
    set_targets = text(
        "UPDATE head h SET capacity = greatest(1, l.n - :over), "
        "max_capacity = greatest(h.max_capacity, l.n) "
        "FROM (SELECT a.head_id, count(*) AS n FROM assignment a WHERE a.valid_to IS NULL "
        "      GROUP BY a.head_id) l "
        "WHERE h.id = l.head_id AND h.role = 'unit' "
        "AND (:over = 0 OR h.id = ANY(CAST(:ids AS bigint[])))"
    )
    # Every unit head exactly at its target: none is over it.
    conn.execute(set_targets, {"over": 0, "ids": []})
    snapshot(conn, force=True)
    assert _rows(conn, "city")[0]["heads_over_target"] == 0
    assert find_gaps(conn, types=["head_over_capacity"]).empty
    # Three heads one household over their target: three over, and three gaps to match.
    three = (
        conn.execute(
            text(
                "SELECT head_id FROM assignment WHERE valid_to IS NULL GROUP BY head_id "
                "HAVING count(*) >= 2 ORDER BY head_id LIMIT 3"
            )
        )
        .scalars()
        .all()
    )
    conn.execute(set_targets, {"over": 1, "ids": list(three)})
    snapshot(conn, force=True)
    newest = conn.execute(
        text("SELECT heads_over_target FROM snapshot WHERE level = 'city' ORDER BY id DESC LIMIT 1")
    ).scalar_one()
    assert newest == 3 == len(find_gaps(conn, types=["head_over_capacity"]))


def test_a_move_shows_in_the_next_snapshot(conn: Connection) -> None:
    _clear(conn)
    snapshot(conn, force=True)
    covered = _rows(conn, "city")[0]["covered"]
    # A household loses its head: coverage falls by one in the next snapshot.
    conn.execute(
        text(
            "UPDATE assignment SET valid_to = now() WHERE id = "
            "(SELECT min(id) FROM assignment WHERE valid_to IS NULL)"
        )
    )
    snapshot(conn, force=True)
    newest = conn.execute(
        text("SELECT covered FROM snapshot WHERE level = 'city' ORDER BY id DESC LIMIT 1")
    ).scalar_one()
    assert newest == covered - 1  # type: ignore[operator]


def _backdate(conn: Connection, days: int, covered_delta: int) -> None:
    """Copy the newest city snapshot ``days`` back, with ``covered`` changed."""
    conn.execute(
        text(
            "INSERT INTO snapshot (taken_at, version, level, code, name, households, covered, "
            "heads, heads_over_target, members, stations, gaps_high, gaps_medium, gaps_low, gaps) "
            "SELECT taken_at - make_interval(days => :d), version, level, code, name, "
            "households, covered + :c, heads, heads_over_target, members, stations, "
            "gaps_high + 1, gaps_medium, gaps_low, gaps FROM snapshot "
            "WHERE level = 'city' ORDER BY taken_at DESC LIMIT 1"
        ),
        {"d": days, "c": covered_delta},
    )


def test_series_keeps_the_last_of_each_day_and_the_changes(conn: Connection) -> None:
    _clear(conn)
    snapshot(conn, force=True)
    code = _rows(conn, "city")[0]["code"]
    assert isinstance(code, str)
    _backdate(conn, 8, -40)  # last week
    _backdate(conn, 1, -10)  # yesterday
    day = today(conn)
    series = daily(conn, "city", code, day - timedelta(days=29), day)
    assert [row["day"] for row in series] == [
        (day - timedelta(days=n)).isoformat() for n in (8, 1, 0)
    ]
    assert [row["covered"] for row in series] == [
        series[2]["covered"] - 40,
        series[2]["covered"] - 10,
        series[2]["covered"],
    ]
    change = changes(conn, "city", code)
    assert change["day"]["covered"] == 10 and change["week"]["covered"] == 40
    assert change["day"]["gaps_high"] == -1
    # Two snapshots on one day: the series keeps the later.
    conn.execute(text("UPDATE snapshot SET covered = 0 WHERE level = 'city'"))
    snapshot(conn, force=True)
    again = daily(conn, "city", code, day, day)
    assert len(again) == 1 and again[0]["covered"] == change["figures"]["covered"] > 0


def test_wall_figures(conn: Connection) -> None:
    _clear(conn)
    snapshot(conn, force=True)
    shown = wall(conn)
    assert shown["place"]["level"] == "city"
    assert set(shown["cards"]) >= {"coverage", "without_head", "heads_over_target", "gaps_high"}
    households = shown["households"]
    assert (
        shown["cards"]["without_head"]["value"]
        == households - key_figures(conn)["households_covered"]
    )
    coverage = [r["coverage"] for r in shown["ranking"]["coverage"]]
    assert coverage == sorted(coverage)
    levels = {r["level"] for r in shown["ranking"]["coverage"]}
    assert levels == {"street", "community"}
    ranks = [{"high": 0, "medium": 1, "low": 2}[a["severity"]] for a in shown["alerts"]]
    assert ranks == sorted(ranks) and 0 < len(ranks) <= 12
    assert all(a["since"] and a["who"] for a in shown["alerts"])
    street = _places(conn)["street"]
    of_street = wall(conn, street)
    assert of_street["place"] == {
        "level": "street",
        "code": street,
        "name": of_street["place"]["name"],
    }
    assert {r["level"] for r in of_street["ranking"]["coverage"]} == {"community"}
    assert all(r["code"].startswith(street) for r in of_street["ranking"]["gaps"])
    # A community is ranked among its street's communities.
    community = _places(conn)["community"]
    of_community = wall(conn, community)
    codes = [r["code"] for r in of_community["ranking"]["coverage"]]
    assert community in codes and all(c.startswith(community[:9]) for c in codes)


def test_a_wall_alert_for_a_unit_without_head_names_its_building_head(
    conn: Connection,
) -> None:
    """The wall names who acts by the gaps' rule (geo_api.gaps.who_acts): a unit without
    a head is its building head's to settle, masked unless the caller reveals."""
    gaps = find_gaps(conn, types=["unit_without_head"])
    head = None
    for gap in gaps.itertuples():
        head = conn.execute(
            text(
                "SELECT hd.id, hd.name, hd.phone, c.code FROM unit u "
                "JOIN building b ON b.id = u.building_id "
                "JOIN compound cp ON cp.id = b.compound_id "
                "JOIN community c ON c.id = cp.community_id "
                "JOIN active_head hd ON hd.role = 'building' AND hd.building_id = b.id "
                "WHERE u.id = :u ORDER BY hd.id LIMIT 1"
            ),
            {"u": gap.ref_id},
        ).first()
        if head is not None:
            unit = gap.ref_id
            break
    assert head is not None, "the test city has a unit without a head under a building head"
    wanted = f"unit_without_head:unit:{unit}"
    masked = {a["id"]: a for a in alerts(conn, "community", head.code, limit=10_000)}
    assert masked[wanted]["who"] == {
        "role": "building",
        "id": head.id,
        "name": mask_name(head.name),
        "phone": mask_phone(head.phone),
    }
    full = {a["id"]: a for a in alerts(conn, "community", head.code, True, limit=10_000)}
    assert full[wanted]["who"] == {
        "role": "building",
        "id": head.id,
        "name": head.name,
        "phone": head.phone,
    }


def test_wall_json_masks_for_the_command_centre_and_audits_an_admin(
    client: TestClient, engine: Engine, keys: dict[str, str]
) -> None:
    masked = client.get("/wall.json").json()["alerts"]
    people = [a["who"] for a in masked if a["who"]["role"] not in ("community", "street")]
    assert people, "the city's worst gaps name people"
    assert all("*" in p["name"] and "*" in p["phone"] for p in people)
    with engine.connect() as reader:
        before = reader.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
    admin = {"X-API-Key": keys["admin"]}
    full = client.get("/wall.json", headers=admin).json()["alerts"]
    named = [a["who"] for a in full if a["who"]["role"] not in ("community", "street")]
    assert named and not any("*" in p["name"] for p in named)
    with engine.connect() as reader:
        rows = reader.execute(
            text("SELECT role, action, records FROM audit_log WHERE id > :b"), {"b": before}
        ).all()
    assert [(r.role, r.action) for r in rows] == [("admin", "GET /wall.json")]
    kinds = {"unit": "head", "building": "head", "compound": "head", "grid_officer": "officer"}
    assert set(rows[0].records.split(",")) == {f"{kinds[p['role']]}:{p['id']}" for p in named}


def test_place_level_names_a_bad_code() -> None:
    assert place_level(None) == "city" and place_level("141081001") == "street"
    with pytest.raises(Exception, match="'12ab'"):
        place_level("12ab")


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("level=province", "level"),
        ("level=community", "code"),
        ("level=street&code=12", "code"),
        ("from=2026-13-01", "from"),
        ("from=2026-12-07&to=2026-12-01", "from"),
        ("from=2020-01-01&to=2026-01-01", "days"),
    ],
)
def test_stats_refuses_bad_parameters(client: TestClient, query: str, word: str) -> None:
    answer = client.get(f"/stats?{query}")
    assert answer.status_code == 422, answer.text
    assert word in answer.text


def test_stats_of_a_community_and_officer_scope(
    client: TestClient, conn: Connection, keys: dict[str, str]
) -> None:
    _clear(conn)
    snapshot(conn, force=True)
    community = _places(conn)["community"]
    answer = client.get(f"/stats?level=community&code={community}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["code"] == community and len(body["days"]) == 1
    assert body["figures"]["households"] > 0
    assert client.get("/stats?level=community&code=999999999999").status_code == 404
    officer = {"X-API-Key": keys["officer"]}
    # The officer's key is for this same community (tests/conftest.py keys).
    assert (
        client.get(f"/stats?level=community&code={community}", headers=officer).status_code == 200
    )
    assert client.get("/stats", headers=officer).status_code == 403


def test_wall_json_is_small_and_versioned(client: TestClient) -> None:
    answer = client.get("/wall.json")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(answer.content) < 20_000
    assert isinstance(body["version"], int) and body["as_of"]
    assert len(body["trend"]["days"]) >= 1
    assert client.get("/wall.json?code=12ab").status_code == 422
    assert client.get("/wall.json", headers={"X-API-Key": "wrong"}).status_code == 401


def test_an_assignment_run_takes_a_snapshot(client: TestClient, engine: Engine) -> None:
    """The background task of a writing route snapshots the committed data (here the
    test city: the run itself is rolled back with the test)."""
    with engine.begin() as writer:
        writer.execute(text("DELETE FROM snapshot"))
    assert client.post("/assign").status_code == 200
    with engine.connect() as reader:
        taken = reader.execute(text("SELECT count(DISTINCT level) FROM snapshot")).scalar_one()
    assert taken == 3


def test_cli_stats_fits_80_columns(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run("stats", "snapshot", "--force")
    assert code == 0, err
    for lang in ("zh", "en"):
        code, out, err = run("stats", "--lang", lang)
        assert code == 0, err
        assert max(cell_len(line) for line in out.splitlines()) <= 80
        assert today_line(out)
    code, out, err = run("stats", "--level", "street", "--lang", "en")
    assert code == 1 and "code" in err


def today_line(out: str) -> bool:
    """Whether the table shows a row of a day (YYYY-MM-DD)."""
    import re

    return re.search(r"\d{4}-\d{2}-\d{2}", out) is not None


def test_alerts_take_turns_among_types_equally_severe_and_new() -> None:
    """The most severe first, then the newest; among gaps equally severe and new, each
    type in turn (its biggest first), so that 30 of one type do not fill the wall."""
    old, new = pd.Timestamp("2026-12-01 08:00"), pd.Timestamp("2026-12-07 08:00")
    rows = [("demand", "high", old, 0, i) for i in range(30)]
    rows += [("project", "high", old, 0, 100), ("walk", "medium", new, 250, 200)]
    rows += [("no_head", "high", new, 18, 300), ("no_head", "high", new, 36, 301)]
    rows += [("over", "low", new, 99, 400)]
    gaps = pd.DataFrame(rows, columns=["type", "severity", "since", "households", "ref_id"])
    order = worst_first(gaps)
    assert order["ref_id"].tolist()[:5] == [301, 300, 0, 100, 1]
    assert order["type"].tolist()[-2:] == ["walk", "over"]
    assert sorted(order["ref_id"]) == sorted(gaps["ref_id"])  # nothing lost
