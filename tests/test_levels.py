"""The engine beyond the unit: capacities per community and head, the grid level,
buildings, compounds and grids covered, bad heads refused (communities solved on a
Dask cluster: tests/test_batch.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from geo_api.assign.engine import LOCK_KEY, run_assignment
from geo_api.assign.move_in import move_in
from geo_api.errors import BusyError, InvalidInputError
from geo_api.lookup.heads import head_detail
from geo_api.lookup.households import household_chain
from geo_api.lookup.point import lookup_point
from geo_api.rosters.heads import appoint

CURRENT = "FROM assignment a WHERE a.valid_to IS NULL"
LOADS = """
SELECT hd.id, hd.capacity, hd.max_capacity, count(a.id) AS load
FROM head_effective hd JOIN unit u ON u.id = hd.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id
LEFT JOIN assignment a ON a.head_id = hd.id AND a.valid_to IS NULL
WHERE hd.role = 'unit' AND cp.community_id = :c
GROUP BY hd.id, hd.capacity, hd.max_capacity
"""


def busiest_community(conn: Connection) -> int:
    return int(
        conn.execute(
            text(
                "SELECT cp.community_id FROM household h JOIN unit u ON u.id = h.unit_id "
                "JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id "
                "GROUP BY cp.community_id ORDER BY count(*) DESC, cp.community_id LIMIT 1"
            )
        ).scalar_one()
    )


def test_a_community_setting_applies_to_its_heads_unless_a_head_overrides_it(
    conn: Connection,
) -> None:
    community = busiest_community(conn)
    conn.execute(
        text("UPDATE community SET unit_head_target = 10, unit_head_max = 12 WHERE id = :c"),
        {"c": community},
    )
    special = conn.execute(
        text("SELECT min(id) FROM (" + LOADS + ") x"), {"c": community}
    ).scalar_one()
    conn.execute(
        text("UPDATE head SET capacity = 20, max_capacity = 30 WHERE id = :id"), {"id": special}
    )
    run_assignment(conn, solver="flow")
    loads = conn.execute(text(LOADS), {"c": community}).all()
    for head in loads:
        expected = (20, 30) if head.id == special else (10, 12)
        assert (head.capacity, head.max_capacity) == expected
        assert head.load <= head.max_capacity
    # Other communities keep the default 18/25.
    other = conn.execute(
        text(
            "SELECT DISTINCT capacity, max_capacity FROM head_effective hd "
            "JOIN unit u ON u.id = hd.unit_id JOIN building b ON b.id = u.building_id "
            "JOIN compound cp ON cp.id = b.compound_id WHERE hd.role = 'unit' "
            "AND cp.community_id <> :c"
        ),
        {"c": community},
    ).all()
    assert other == [(18, 25)]


def test_a_head_target_above_the_community_maximum_is_refused(conn: Connection) -> None:
    head = conn.execute(text("SELECT min(id) FROM head WHERE role = 'unit'")).scalar_one()
    conn.execute(text("UPDATE head SET capacity = 30 WHERE id = :id"), {"id": head})
    with pytest.raises(InvalidInputError, match=f"head {head} should cover 30 but may cover at"):
        run_assignment(conn)


def test_a_head_with_no_location_is_refused(conn: Connection) -> None:
    head, home = conn.execute(
        text("SELECT id, household_id FROM head WHERE role = 'unit' ORDER BY id LIMIT 1")
    ).one()
    conn.execute(
        text("UPDATE household SET geom = ST_GeomFromText('POINT EMPTY', 4326) WHERE id = :h"),
        {"h": home},
    )
    with pytest.raises(InvalidInputError, match=f"head {head} lives in household {home}"):
        run_assignment(conn)


def test_capacities_below_one_are_refused_by_the_store(conn: Connection) -> None:
    with pytest.raises(IntegrityError, match="ck_community_unit_head_target_positive"):
        conn.execute(text("UPDATE community SET unit_head_target = 0 WHERE id = 1"))


def add_phase_two(conn: Connection) -> int:
    """A new compound (二期) beside the first compound, in the same grid, with one
    building of one unit of 12 households and no heads yet; returns its id."""
    compound = conn.execute(
        text("""
        INSERT INTO compound (code, name, grid_id, community_id, geom)
        SELECT code || '9', name || '二期', grid_id, community_id, ST_Translate(geom, 0.002, 0)
        FROM compound WHERE id = (SELECT min(id) FROM compound) RETURNING id
    """)
    ).scalar_one()
    unit = conn.execute(
        text("""
        WITH b AS (
            INSERT INTO building (compound_id, number, floors, geom)
            SELECT :c, 1, 6, ST_Buffer(ST_PointOnSurface(geom), 0.0001, 'quad_segs=1')
            FROM compound WHERE id = :c RETURNING id, geom)
        INSERT INTO unit (building_id, number, geom) SELECT id, 1, geom FROM b RETURNING id
    """),
        {"c": compound},
    ).scalar_one()
    conn.execute(
        text("""
        INSERT INTO household (unit_id, room, persons, address, geom)
        SELECT :u, (100 + n)::text, 3, '二期1号楼1单元' || (100 + n) || '室',
               ST_PointOnSurface(u.geom)
        FROM unit u, generate_series(1, 12) n WHERE u.id = :u
    """),
        {"u": unit},
    )
    return int(compound)


@pytest.mark.parametrize("solver", ["greedy", "flow"])
def test_households_spill_to_another_compound_of_the_grid(conn: Connection, solver: str) -> None:
    """A compound with no unit heads yet is covered from the rest of its grid."""
    compound = add_phase_two(conn)
    conn.execute(text("UPDATE head SET capacity = 200, max_capacity = 200 WHERE role = 'unit'"))
    run_assignment(conn, solver=solver)
    rows = conn.execute(
        text("""
        SELECT a.reason, hc.id AS head_compound, hc.grid_id AS head_grid, mc.grid_id AS own_grid
        FROM assignment a JOIN household h ON h.id = a.household_id
        JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
        JOIN compound mc ON mc.id = b.compound_id
        JOIN head hd ON hd.id = a.head_id JOIN unit hu ON hu.id = hd.unit_id
        JOIN building hb ON hb.id = hu.building_id JOIN compound hc ON hc.id = hb.compound_id
        WHERE a.valid_to IS NULL AND mc.id = :c
    """),
        {"c": compound},
    ).all()
    households = conn.execute(
        text(
            "SELECT count(*) FROM household h JOIN unit u ON u.id = h.unit_id "
            "JOIN building b ON b.id = u.building_id WHERE b.compound_id = :c"
        ),
        {"c": compound},
    ).scalar_one()
    assert len(rows) == households > 0
    for row in rows:
        assert row.reason == "same_grid"
        assert row.head_compound != compound and row.head_grid == row.own_grid


def test_places_are_covered_by_their_own_then_the_nearest(conn: Connection) -> None:
    covers = conn.execute(
        text("""
        SELECT pc.level, pc.reason, pc.building_id, hb.compound_id = b.compound_id AS same,
               hd.building_id = pc.building_id AS own
        FROM place_cover pc JOIN building b ON b.id = pc.building_id
        JOIN head hd ON hd.id = pc.head_id JOIN building hb ON hb.id = hd.building_id
        WHERE pc.valid_to IS NULL AND pc.level = 'building'
    """)
    ).all()
    buildings = conn.execute(text("SELECT count(*) FROM building")).scalar_one()
    assert covers and len({c.building_id for c in covers}) == len(covers) <= buildings
    for cover in covers:
        assert cover.same  # a 片长 covers buildings of their own compound only
        assert cover.own == (cover.reason == "own")
    assert any(c.reason == "nearest" for c in covers)
    officers = conn.execute(
        text("""
        SELECT o.id, o.max_grids, count(*) AS grids, bool_and(g.community_id = o.community_id)
        FROM place_cover pc JOIN grid_officer o ON o.id = pc.officer_id
        JOIN grid g ON g.id = pc.grid_id WHERE pc.valid_to IS NULL GROUP BY o.id, o.max_grids
    """)
    ).all()
    assert officers and all(o.grids <= o.max_grids and o[3] for o in officers)


NEIGHBOUR_SQL = """
SELECT b.id AS building, min(h.id) AS household FROM head hd
JOIN building hb ON hb.id = hd.building_id
JOIN building b ON b.compound_id = hb.compound_id AND b.id <> hb.id
JOIN unit u ON u.building_id = b.id JOIN household h ON h.unit_id = u.id
WHERE hd.role = 'building' AND h.ended_on IS NULL
  AND NOT EXISTS (SELECT 1 FROM head o WHERE o.role = 'building' AND o.building_id = b.id)
GROUP BY b.id ORDER BY b.id LIMIT 1
"""


def test_a_rerun_changes_no_place_and_a_leaving_head_only_their_places(conn: Connection) -> None:
    # A compound with two building heads, so that one can leave and the other take over
    # (the test city may have one a compound: a second is appointed from a neighbour).
    spare = conn.execute(text(NEIGHBOUR_SQL)).first()
    if spare is not None:
        appoint(conn, "building", spare.building, spare.household, by="test", name="测试楼长",
                phone="13600000001", reassign_now=False)  # fmt: skip
    report = run_assignment(conn)
    assert [c.changed for c in report.places][1:] == [0, 0]  # compounds, grids: as they were
    report = run_assignment(conn)
    assert [c.changed for c in report.places] == [0, 0, 0]
    head, building = conn.execute(
        text("""
        SELECT hd.id, hd.building_id FROM head hd
        WHERE hd.role = 'building' AND EXISTS (
            SELECT 1 FROM head o JOIN building ob ON ob.id = o.building_id
            JOIN building b ON b.id = hd.building_id
            WHERE o.role = 'building' AND o.id <> hd.id AND ob.compound_id = b.compound_id)
        ORDER BY hd.id LIMIT 1
    """)
    ).one()
    # The buildings they cover now (counted before they leave: in one transaction every
    # run's closing time is the same now()).
    theirs = conn.execute(
        text(
            "SELECT count(*) FROM place_cover WHERE head_id = :id AND level = 'building' "
            "AND valid_to IS NULL"
        ),
        {"id": head},
    ).scalar_one()
    conn.execute(text("UPDATE head SET left_on = china_today() WHERE id = :id"), {"id": head})
    report = run_assignment(conn)
    changed = {c.level: c.changed for c in report.places}
    assert changed == {"building": theirs, "compound": 0, "grid": 0} and theirs >= 1
    new = conn.execute(
        text(
            "SELECT reason FROM place_cover WHERE building_id = :b AND valid_to IS NULL "
            "AND level = 'building'"
        ),
        {"b": building},
    ).scalar_one()
    assert new == "nearest"


def test_a_second_run_while_one_holds_the_lock_is_refused(conn: Connection, engine: Engine) -> None:
    with engine.connect() as other:
        other.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        with pytest.raises(BusyError, match="another assignment run is in progress"):
            run_assignment(conn)
        other.rollback()
    assert run_assignment(conn).moved == 0  # free again once the other ended


def test_a_household_moving_into_a_compound_with_no_heads_gets_one_of_its_grid(
    conn: Connection,
) -> None:
    compound = add_phase_two(conn)
    unit = conn.execute(
        text(
            "SELECT u.id FROM unit u JOIN building b ON b.id = u.building_id "
            "WHERE b.compound_id = :c"
        ),
        {"c": compound},
    ).scalar_one()
    conn.execute(text("UPDATE head SET capacity = 200, max_capacity = 200 WHERE role = 'unit'"))
    chain = move_in(conn, unit, "601", 2, by="社区民警")
    assert chain["unit_head"]["reason"] == "same_grid"


def test_a_building_with_no_head_shows_the_head_who_covers_it(conn: Connection) -> None:
    building, head = conn.execute(
        text("""
        SELECT pc.building_id, pc.head_id FROM place_cover pc
        WHERE pc.level = 'building' AND pc.reason = 'nearest' AND pc.valid_to IS NULL
        ORDER BY pc.building_id LIMIT 1
    """)
    ).one()
    household, lon, lat = conn.execute(
        text("""
        SELECT h.id, ST_X(ST_PointOnSurface(u.geom)), ST_Y(ST_PointOnSurface(u.geom))
        FROM household h JOIN unit u ON u.id = h.unit_id WHERE u.building_id = :b
        ORDER BY h.id LIMIT 1
    """),
        {"b": building},
    ).one()
    chain = household_chain(conn, household)
    assert [h["id"] for h in chain["building_heads"]] == [head]
    found = lookup_point(conn, lon, lat)
    assert head in [h["id"] for h in found["heads"] if h["role"] == "building"]
    # Their load and their pages count the households of both buildings.
    detail = head_detail(conn, head, limit=500)
    both = conn.execute(
        text("""
        SELECT count(*) FROM household h JOIN unit u ON u.id = h.unit_id
        WHERE u.building_id IN (:b, (SELECT building_id FROM head WHERE id = :h))
    """),
        {"b": building, "h": head},
    ).scalar_one()
    page = detail["households"]
    assert detail["load"] == both == page["total"] == len(page["items"])
    assert building in {
        conn.execute(
            text(
                "SELECT u.building_id FROM household h JOIN unit u ON u.id = h.unit_id "
                "WHERE h.id = :h"
            ),
            {"h": item["id"]},
        ).scalar_one()
        for item in page["items"]
    }
