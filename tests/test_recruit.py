"""Recruiting: the fewest new unit heads among members and volunteers (set cover)."""

from __future__ import annotations

import math

import pandas as pd
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from geo_api.assign.engine import run_assignment
from geo_api.assign.recruit import propose_recruits, solve_cover


def test_a_known_answer_two_heads_in_reach_none_beyond() -> None:
    # Units 1 (20 households left out) and 2 (10) in compound 7; target 18: two heads
    # at least. Candidates: a and b in compound 7, c in compound 7 too, d far away.
    need = pd.DataFrame(
        {
            "unit": [1, 2],
            "compound": [7, 7],
            "left_out": [20, 10],
            "over_target": [0, 0],
            "target": [18, 18],
            "x": [0.0, 40.0],
            "y": [0.0, 0.0],
        }
    )
    people = pd.DataFrame(
        {
            "household": [101, 102, 103, 104],
            "compound": [7, 7, 7, 8],
            "x": [0.0, 40.0, 500.0, 5_000.0],
            "y": [0.0, 0.0, 0.0, 0.0],
        }
    )
    chosen, optimal = solve_cover(need, people, reach_m=300.0)
    assert optimal
    heads = {person: covers for person, covers in chosen}
    assert len(heads) == 2 and 104 not in heads
    assert sum(n for covers in heads.values() for n in covers.values()) == 18 + 10 + 2 == 30
    assert all(sum(covers.values()) <= 18 for covers in heads.values())
    # The least walking among the fewest: the two who live at the units.
    assert set(heads) == {101, 102}


def test_nobody_in_reach_leaves_households_out_but_reported() -> None:
    need = pd.DataFrame(
        {
            "unit": [1],
            "compound": [7],
            "left_out": [5],
            "over_target": [0],
            "target": [18],
            "x": [0.0],
            "y": [0.0],
        }
    )
    people = pd.DataFrame({"household": [9], "compound": [8], "x": [900.0], "y": [0.0]})
    assert solve_cover(need, people, reach_m=300.0) == ([], True)


def test_proposals_for_a_compound_whose_heads_all_left(conn: Connection) -> None:
    compound = conn.execute(text("SELECT min(id) FROM compound")).scalar_one()
    in_compound = (
        "SELECT h.id FROM household h JOIN unit u ON u.id = h.unit_id "
        "JOIN building b ON b.id = u.building_id WHERE b.compound_id = :c"
    )
    conn.execute(
        text(
            "UPDATE head SET left_on = china_today() WHERE role = 'unit' "
            f"AND household_id IN ({in_compound})"
        ),
        {"c": compound},
    )
    # Every third household there offers to serve.
    conn.execute(
        text(f"UPDATE household SET volunteer = (id % 3 = 0) WHERE id IN ({in_compound})"),
        {"c": compound},
    )
    run_assignment(conn)
    code = conn.execute(
        text(
            "SELECT cm.code FROM community cm JOIN compound cp ON cp.community_id = cm.id "
            "WHERE cp.id = :c"
        ),
        {"c": compound},
    ).scalar_one()
    report = propose_recruits(conn, community=code)
    assert report.left_out_before > 0 and report.over_target_before == 0
    assert report.left_out_after == 0
    # Every left-out household is in a unit of the compound, and the fewest heads
    # that can hold them at 18 each cover them all.
    assert report.optimal and len(report.proposals) == math.ceil(report.left_out_before / 18)
    assert all(p.households <= 18 for p in report.proposals)
    covered_units = {u for p in report.proposals for u in p.covers}
    units_of_compound = set(
        conn.execute(
            text(
                "SELECT u.id FROM unit u JOIN building b ON b.id = u.building_id "
                "WHERE b.compound_id = :c"
            ),
            {"c": compound},
        ).scalars()
    )
    assert covered_units <= units_of_compound
    assert sum(p.households for p in report.proposals) == report.left_out_before
    volunteers = set(
        conn.execute(text("SELECT id FROM household WHERE volunteer")).scalars()
    ) | set(conn.execute(text("SELECT household_id FROM member")).scalars())
    assert {p.household_id for p in report.proposals} <= volunteers


def test_recruits_endpoint_and_unknown_community(client: TestClient, conn: Connection) -> None:
    conn.execute(
        text(
            "UPDATE head SET left_on = china_today() WHERE role = 'unit' AND id IN "
            "(SELECT min(id) FROM head WHERE role = 'unit' GROUP BY unit_id LIMIT 5)"
        )
    )
    conn.execute(text("UPDATE household SET volunteer = true WHERE id % 7 = 0"))
    run_assignment(conn)
    response = client.get("/recruits", params={"reach_m": 500})
    assert response.status_code == 200
    body = response.json()
    assert body["left_out_before"] > 0 and body["proposals"]
    assert body["left_out_after"] < body["left_out_before"]
    first = body["proposals"][0]
    assert first["households"] == sum(first["covers"].values())
    assert client.get("/recruits", params={"community": "999999999999"}).status_code == 404
    assert client.get("/recruits", params={"community": "12"}).status_code == 422
