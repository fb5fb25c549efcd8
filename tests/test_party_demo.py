"""The demo city's party building: the report's figures, deterministic, capacities
respected, and the planted open demands and late projects."""

from __future__ import annotations

from sqlalchemy import Connection, text

from geo_api.demo.party import YEAR, plant_party
from geo_api.party.projects import checkpoint_report


def _snapshot(conn: Connection) -> list[tuple[object, ...]]:
    return [
        tuple(r)
        for r in conn.execute(
            text("""SELECT u.name, u.kind, a.signed_on, ST_AsText(u.geom)
                    FROM alliance_unit u JOIN alliance_agreement a ON a.unit_id = u.id
                    ORDER BY u.name""")
        )
    ]


def test_the_reports_figures(conn: Connection) -> None:
    """72 units on 路东街道; 130 resources, 101 demands, 125 projects in 2021."""
    per_street = dict(
        conn.execute(
            text("""SELECT s.name, count(*) FROM alliance_agreement a
                    JOIN street s ON s.id = a.street_id GROUP BY s.name""")
        ).all()
    )
    assert per_street["路东街道"] == 72
    counts = [
        conn.execute(text(f"SELECT count(*) FROM {t} WHERE year = :y"), {"y": YEAR}).scalar_one()
        for t in ("party_resource", "party_demand", "party_project")
    ]
    assert counts == [130, 101, 125]


def test_capacities_hold_and_gaps_are_planted(conn: Connection) -> None:
    """No resource serves more projects than its capacity; some demands stay open,
    some projects are late at mid-year."""
    over = conn.execute(
        text("""SELECT count(*) FROM (SELECT r.id FROM party_resource r
                JOIN project_resource pr ON pr.resource_id = r.id
                GROUP BY r.id, r.capacity HAVING count(*) > r.capacity) x""")
    ).scalar_one()
    assert over == 0
    open_demands = conn.execute(
        text("SELECT count(*) FROM party_demand WHERE status = 'open'")
    ).scalar_one()
    assert 0 < open_demands < 101
    assert checkpoint_report(conn, YEAR, "mid")["late"]


def test_planting_is_deterministic(conn: Connection) -> None:
    """Planting again on the same city gives the same units, places and dates."""
    before = _snapshot(conn)
    conn.execute(
        text(
            "TRUNCATE party_project, party_resource, party_demand, "
            "alliance_agreement, project_resource, project_milestone CASCADE"
        )
    )
    plant_party(conn)
    assert _snapshot(conn) == before
