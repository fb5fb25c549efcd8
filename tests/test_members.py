"""Party members placed in the community where they live: by household, point, address."""

from __future__ import annotations

from sqlalchemy import Connection, text

from geo_api.assign.members import place_members
from geo_api.demo.city import City


def test_every_demo_member_is_placed_in_the_community_of_their_home(
    conn: Connection, city: City
) -> None:
    report = place_members(conn)
    by_address = int(city.members["household_id"].isna().sum())
    assert by_address > 0 and report.by_address == by_address
    assert report.by_household == len(city.members) - by_address
    assert report.unplaced == []
    # The written address is a home's address: its community is the member's.
    wrong = conn.execute(
        text("""
        SELECT m.id FROM member m JOIN household h ON h.address = m.address
        JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
        JOIN compound cp ON cp.id = b.compound_id
        WHERE m.placed_by = 'address' AND m.community_id IS DISTINCT FROM cp.community_id
    """)
    ).all()
    assert wrong == []
    total = conn.execute(text("SELECT count(*) FROM member")).scalar_one()
    assert sum(report.per_community.values()) == total


def test_a_point_places_a_member_and_an_odd_address_is_reported(conn: Connection) -> None:
    inside = conn.execute(
        text("""
        INSERT INTO member (name, phone, registered_on, geom, address)
        SELECT '李四', '13800001111', china_today(), ST_PointOnSurface(geom), '不详'
        FROM community WHERE id = 2 RETURNING id
    """)
    ).scalar_one()
    compound = "翠湖天地花园"
    conn.execute(text("UPDATE compound SET name = :n WHERE id = 1"), {"n": compound})
    typo = "翠湖天池花园"  # one character off
    misspelt, nowhere = (
        conn.execute(
            text(
                "INSERT INTO member (name, phone, registered_on, address) "
                "VALUES ('王五', :p, china_today(), :a) RETURNING id"
            ),
            {"a": address, "p": phone},
        ).scalar_one()
        for address, phone in (
            (f"{typo}9号楼1单元101室", "13800002222"),
            ("火星基地1号", "13800003333"),
        )
    )
    report = place_members(conn)
    placed = dict(
        conn.execute(
            text("SELECT id, community_id FROM member WHERE id = ANY(:ids)"),
            {"ids": [inside, misspelt, nowhere]},
        ).all()
    )
    assert placed[inside] == 2
    missing = {u.member_id: u for u in report.unplaced}
    assert set(missing) == {misspelt, nowhere}
    assert missing[misspelt].candidates[0][0] == compound
    assert missing[misspelt].reason == "no compound matches closely enough"
    assert missing[nowhere].candidates == []
    # Unplaced members are kept, never dropped.
    assert placed[misspelt] is None and placed[nowhere] is None
