"""Alliance units and agreements, the categories, and the three lists with their
checkpoints: the domain over the store, every change in the audit log."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.party.categories import add_category, category_id, rename_category, retire_category
from geo_api.party.lists import add_demand, add_resource, set_demand_status, withdraw_resource
from geo_api.party.projects import (
    add_milestone,
    add_project,
    checkpoint_date,
    checkpoint_report,
    complete_milestone,
    set_project_status,
)
from geo_api.party.units import add_unit, end_agreement, list_units, sign_agreement, update_unit

YEAR = 2024


def _place(conn: Connection) -> tuple[str, str, float, float]:
    """The first community's code, its street's code, and a point inside it."""
    row = conn.execute(
        text("""SELECT c.code, s.code AS street, ST_X(ST_PointOnSurface(c.geom)) AS lon,
                       ST_Y(ST_PointOnSurface(c.geom)) AS lat
                FROM community c JOIN street s ON s.id = c.street_id ORDER BY c.id LIMIT 1""")
    ).one()
    return row.code, row.street, row.lon, row.lat


def _audited(conn: Connection, action: str) -> list[str]:
    return list(
        conn.execute(
            text("SELECT records FROM audit_log WHERE action = :a ORDER BY id"), {"a": action}
        ).scalars()
    )


def test_categories_are_editable_and_retired_ones_refused(conn: Connection) -> None:
    """Add, rename, retire: a retired category stays on its items, new ones refuse it."""
    made = add_category(conn, "legal", "法律援助", "Legal aid")
    assert category_id(conn, "法律援助") == made["id"]
    assert rename_category(conn, "legal", name_en="Legal help")["name_en"] == "Legal help"
    with pytest.raises(InvalidInputError, match="exists already"):
        add_category(conn, "legal", "法律", "Law")
    retire_category(conn, "legal")
    with pytest.raises(InvalidInputError, match="retired"):
        category_id(conn, "legal")
    assert category_id(conn, "legal", for_new=False) == made["id"]
    with pytest.raises(InvalidInputError, match="unknown"):
        category_id(conn, "astrology")
    assert _audited(conn, "category retire") == [f"list_category:{made['id']}"]


def test_units_and_agreements(conn: Connection) -> None:
    """A unit signs with a street, is listed under it while in force, and leaves by
    ending the agreement; contacts are masked unless revealed; bad input is named."""
    community, street, lon, lat = _place(conn)
    unit = add_unit(
        conn,
        "侯马市农商银行",
        "bank",
        contact_name="王建国",
        contact_phone="139 0357 1234",
        lon=lon,
        lat=lat,
    )
    assert unit["contact_phone"] == "13903571234"
    with pytest.raises(InvalidInputError, match="contact_phone"):
        add_unit(conn, "某单位", "bank", contact_phone="12345")
    with pytest.raises(InvalidInputError, match="unit kind 'bakery'"):
        add_unit(conn, "某面包店", "bakery")
    with pytest.raises(InvalidInputError, match="exists already"):
        add_unit(conn, "侯马市农商银行", "bank")
    signed = sign_agreement(conn, unit["id"], street=street, signed_on="2024-01-15")
    with pytest.raises(InvalidInputError, match="in force"):
        sign_agreement(conn, unit["id"], street=street, signed_on="2024-02-01")
    listed = [u for u in list_units(conn, street=street) if u["id"] == unit["id"]]
    assert len(listed) == 1
    assert listed[0]["contact_name"] == "王*国"
    assert listed[0]["contact_phone"] == "139****1234"
    assert list_units(conn, community=community) == []
    with pytest.raises(InvalidInputError, match="before it was signed"):
        end_agreement(conn, signed["id"], "2023-12-31")
    ended = end_agreement(conn, signed["id"], "2024-06-30")
    assert ended["ended_on"] == date(2024, 6, 30)
    assert unit["id"] not in {u["id"] for u in list_units(conn, street=street)}
    assert update_unit(conn, unit["id"], {"kind": "state_firm"})["kind"] == "state_firm"
    with pytest.raises(NotFoundError):
        sign_agreement(conn, 10**8, street=street)
    assert _audited(conn, "agreement end") == [f"alliance_agreement:{signed['id']}"]


def test_lists_and_the_project_year(conn: Connection) -> None:
    """A demand met by a project through the checkpoints: milestones due on 03-31,
    06-30 and 12-31, a late one reported, done meets the demand."""
    community, _, lon, lat = _place(conn)
    cid = conn.execute(
        text("SELECT id FROM community WHERE code = :c"), {"c": community}
    ).scalar_one()
    unit = add_unit(conn, "侯马市人民医院", "hospital", lon=lon, lat=lat)
    resource = add_resource(
        conn,
        year=YEAR,
        title="义诊队",
        kind="team",
        category="health",
        unit_id=unit["id"],
        capacity=2,
        quantity=12,
        measure="次",
    )
    assert (resource["lon"], resource["lat"]) == pytest.approx((lon, lat))  # the unit's place
    with pytest.raises(InvalidInputError, match="unit or by a member"):
        add_resource(conn, year=YEAR, title="x", kind="team", category="health")
    with pytest.raises(InvalidInputError, match="urgency 5"):
        add_demand(
            conn,
            year=YEAR,
            title="x",
            category="elderly",
            community=community,
            lon=lon,
            lat=lat,
            urgency=5,
        )
    demand = add_demand(
        conn,
        year=YEAR,
        title="老人体检",
        category="elderly",
        community=community,
        lon=lon,
        lat=lat,
        urgency=3,
        raised_by="居委会",
    )
    with pytest.raises(InvalidInputError, match="cannot become met"):
        set_demand_status(conn, demand["id"], "met")
    project = add_project(
        conn,
        year=YEAR,
        title="银龄健康",
        community_id=cid,
        demand_id=demand["id"],
        resources=[(resource["id"], 120.0)],
    )
    assert [m["due_on"] for m in project["milestones"]] == [
        checkpoint_date(YEAR, c) for c in ("start", "mid", "end")
    ]
    with pytest.raises(InvalidInputError, match="not open"):
        add_project(conn, year=YEAR, title="again", community_id=cid, demand_id=demand["id"])
    project = add_milestone(conn, project["id"], "中期回访", "mid", "2024-05-15")
    first = project["milestones"][0]
    project = complete_milestone(conn, first["id"], "2024-03-20")
    assert project["status"] == "underway"
    report = checkpoint_report(conn, YEAR, "mid", cid)
    assert report["milestones_due"] == 3 and report["milestones_done"] == 1
    assert [p["id"] for p in report["late"]] == [project["id"]]
    done = set_project_status(conn, project["id"], "done")
    assert done["status"] == "done"
    assert (
        conn.execute(
            text("SELECT status FROM party_demand WHERE id = :id"), {"id": demand["id"]}
        ).scalar_one()
        == "met"
    )
    with pytest.raises(InvalidInputError, match="cannot become underway"):
        set_project_status(conn, project["id"], "underway")
    withdraw_resource(conn, resource["id"], "2024-07-01")
    with pytest.raises(InvalidInputError, match="not offered"):
        add_project(
            conn, year=YEAR, title="y", community_id=cid, resources=[(resource["id"], None)]
        )
    # Once, for this project (other tests' CLI runs commit projects of their own).
    mine = f"party_project:{project['id']}"
    assert [r for r in _audited(conn, "project add") if mine in r.split(",")] == [mine]
