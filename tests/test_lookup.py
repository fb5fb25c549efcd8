"""Lookup by point and head details, on the test city."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from sqlalchemy import Connection, text

from geo_api.assign.engine import run_assignment
from geo_api.errors import InvalidInputError, NotFoundError, OutsideCityError
from geo_api.lookup.heads import head_detail
from geo_api.lookup.households import household_chain
from geo_api.lookup.point import lookup_point


def test_a_household_point_finds_its_whole_chain(conn: Connection) -> None:
    row = conn.execute(
        text("""
        SELECT ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat, u.id AS unit, b.id AS building,
               cp.id AS compound, cp.grid_id AS grid, cp.community_id AS community,
               c.street_id AS street
        FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
        JOIN compound cp ON cp.id = b.compound_id JOIN community c ON c.id = cp.community_id
        WHERE EXISTS (SELECT 1 FROM head WHERE role = 'unit' AND unit_id = u.id)
        ORDER BY h.id LIMIT 1
    """)
    ).one()
    found = lookup_point(conn, row.lon, row.lat)
    for level in ("street", "community", "grid", "compound", "building", "unit"):
        assert found[level]["id"] == getattr(row, level), level
    roles = [h["role"] for h in found["heads"]]
    assert "unit" in roles and roles == sorted(roles, key=["compound", "building", "unit"].index)
    assert all("*" in h["name"] and "****" in h["phone"] for h in found["heads"])
    # The grid level's head is its officer (网格员): the same as the household's chain.
    home = conn.execute(
        text("SELECT h.id FROM household h WHERE h.unit_id = :u ORDER BY h.id LIMIT 1"),
        {"u": row.unit},
    ).scalar_one()
    officers = household_chain(conn, home)["grid_officers"]
    assert officers and found["grid_officers"] == officers


def test_a_point_between_compounds_has_no_compound(conn: Connection) -> None:
    lon, lat = conn.execute(
        text("""
        SELECT ST_X(p), ST_Y(p) FROM (
          SELECT ST_PointOnSurface(ST_Difference(g.geom, (SELECT ST_Union(geom) FROM compound)))
                 AS p FROM grid g ORDER BY g.id LIMIT 1) q
    """)
    ).one()
    found = lookup_point(conn, lon, lat)
    assert found["grid"] is not None and found["compound"] is None and found["heads"] == []


def test_outside_the_city(conn: Connection) -> None:
    with pytest.raises(OutsideCityError, match=r"\(116.4, 39.9\) lies outside"):
        lookup_point(conn, 116.4, 39.9)


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        (math.nan, 35.6, "not a finite number"),
        (200.0, 35.6, "not a WGS 84"),
        (35.6, 111.3, "swapped"),
    ],
)
def test_bad_coordinates(conn: Connection, lon: float, lat: float, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        lookup_point(conn, lon, lat)


def test_head_detail_pages_through_households(conn: Connection) -> None:
    head_id, load = conn.execute(
        text("""
        SELECT head_id, count(*) FROM assignment WHERE valid_to IS NULL
        GROUP BY head_id ORDER BY count(*) DESC LIMIT 1
    """)
    ).one()
    first = head_detail(conn, head_id, limit=5)
    rest = head_detail(conn, head_id, limit=500, offset=5)
    assert first["load"] == load == first["households"]["total"]
    ids = [h["id"] for h in first["households"]["items"] + rest["households"]["items"]]
    assert len(ids) == load == len(set(ids))


@pytest.mark.parametrize("role", ["building", "compound"])
def test_building_and_compound_heads_cover_their_households(conn: Connection, role: str) -> None:
    head_id, expected = conn.execute(
        text(f"""
        SELECT hd.id, count(h.id) FROM head hd
        JOIN building b ON (b.id = hd.building_id OR b.compound_id = hd.compound_id)
        JOIN unit u ON u.building_id = b.id JOIN household h ON h.unit_id = u.id
        WHERE hd.role = '{role}' GROUP BY hd.id ORDER BY hd.id LIMIT 1
    """)
    ).one()
    detail = head_detail(conn, head_id, limit=500)
    assert detail["load"] == expected == len(detail["households"]["items"])


def test_unknown_head_and_bad_paging(conn: Connection) -> None:
    with pytest.raises(NotFoundError, match="head 999999 does not exist"):
        head_detail(conn, 999_999)
    with pytest.raises(InvalidInputError, match="limit must be"):
        head_detail(conn, 1, limit=0)


def test_household_chain_now_and_in_the_past(conn: Connection) -> None:
    household, head = conn.execute(
        text(
            "SELECT household_id, head_id FROM assignment WHERE valid_to IS NULL "
            "AND reason = 'own_unit' ORDER BY household_id LIMIT 1"
        )
    ).one()
    now = household_chain(conn, household)
    assert now["unit_head"]["id"] == head and now["unit_head"]["reason"] == "own_unit"
    assert now["unit_head"]["until"] is None and "*" in now["unit_head"]["name"]
    assert len(now["compound_heads"]) <= 1 and now["address"].endswith("单元***")
    assert household_chain(conn, household, reveal=True)["address"].endswith("室")
    before = now["unit_head"]["since"] - timedelta(days=1)
    assert household_chain(conn, household, before)["unit_head"] is None
    # The head steps down; a new run moves the household; the past still knows.
    conn.execute(text("UPDATE head SET left_on = china_today() WHERE id = :id"), {"id": head})
    run_assignment(conn)
    after = household_chain(conn, household)
    assert after["unit_head"] is None or after["unit_head"]["id"] != head
    moment = (
        now["unit_head"]["since"]
        + (conn.execute(text("SELECT now()")).scalar_one() - now["unit_head"]["since"]) / 2
    )
    assert household_chain(conn, household, moment)["unit_head"]["id"] == head


def test_unknown_household(conn: Connection) -> None:
    with pytest.raises(NotFoundError, match="household 99999999 does not exist"):
        household_chain(conn, 99_999_999)
