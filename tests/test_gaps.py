"""The gap finder finds exactly the gaps the generator planted, and the real ones."""

from __future__ import annotations

import geopandas as gpd
import pytest
from sqlalchemy import Connection, text

from geo_api.assign.engine import run_assignment
from geo_api.demo.city import City
from geo_api.errors import InvalidInputError
from geo_api.gaps.finder import GAP_NAMES, find_gaps, summary


@pytest.fixture
def gaps(conn: Connection) -> gpd.GeoDataFrame:
    return find_gaps(conn)


def refs(gaps: gpd.GeoDataFrame, kind: str) -> set[int]:
    return set(gaps.loc[gaps["type"] == kind, "ref_id"].astype(int))


def test_planted_missing_heads_are_found_and_nothing_else(
    gaps: gpd.GeoDataFrame, city: City
) -> None:
    assert refs(gaps, "unit_without_head") == set(city.planted["units_without_head"])
    assert refs(gaps, "station_below_standard") == set(city.planted["small_community_stations"])


def test_places_nobody_covers_are_gaps(conn: Connection, city: City) -> None:
    """Before any run, every place without a head (officer) of its own is a gap; after
    one, only those that nobody nearby could take."""
    conn.execute(text("DELETE FROM place_cover"))
    before = find_gaps(conn)
    assert refs(before, "building_without_head") == set(city.planted["buildings_without_head"])
    assert refs(before, "compound_without_head") == set(city.planted["compounds_without_head"])
    assert refs(before, "grid_without_officer") == set(city.planted["grids_without_officer"])
    # Heads and officers with no room left: nothing can be covered by the nearest.
    conn.execute(text("UPDATE head SET max_capacity = capacity WHERE role <> 'unit'"))
    conn.execute(text("UPDATE head SET capacity = 1, max_capacity = 1 WHERE role <> 'unit'"))
    conn.execute(text("UPDATE grid_officer SET max_grids = 1"))
    run_assignment(conn)
    after = find_gaps(conn)
    assert refs(after, "building_without_head") == set(city.planted["buildings_without_head"])
    assert refs(after, "compound_without_head") == set(city.planted["compounds_without_head"])
    assert refs(after, "grid_without_officer") == set(city.planted["grids_without_officer"])
    conn.execute(text("UPDATE head SET capacity = 5000, max_capacity = 9000 WHERE role <> 'unit'"))
    conn.execute(text("UPDATE grid_officer SET max_grids = 3"))
    run_assignment(conn)
    covered = find_gaps(conn)
    # Left: only the places with nobody in their compound (building), community
    # (compound, grid) who could step in.
    alone = {
        "building_without_head": """SELECT b.id FROM building b WHERE b.id = ANY(:ids)
            AND NOT EXISTS (SELECT 1 FROM head hd JOIN building o ON o.id = hd.building_id
                            WHERE o.compound_id = b.compound_id)""",
        "compound_without_head": """SELECT cp.id FROM compound cp WHERE cp.id = ANY(:ids)
            AND NOT EXISTS (SELECT 1 FROM head hd JOIN compound o ON o.id = hd.compound_id
                            WHERE o.community_id = cp.community_id)""",
        "grid_without_officer": """SELECT g.id FROM grid g WHERE g.id = ANY(:ids)
            AND NOT EXISTS (SELECT 1 FROM grid_officer o WHERE o.community_id = g.community_id)""",
    }
    left = 0
    for kind, sql in alone.items():
        expected = set(conn.execute(text(sql), {"ids": list(refs(after, kind))}).scalars())
        assert refs(covered, kind) == expected, kind
        left += len(expected)
    assert left < sum(len(refs(after, kind)) for kind in alone)


def test_overloaded_stairwells_show_up(
    gaps: gpd.GeoDataFrame, conn: Connection, city: City
) -> None:
    heads = set(
        conn.execute(
            text("SELECT id FROM head WHERE role = 'unit' AND unit_id = ANY(:u)"),
            {"u": city.planted["overloaded_units"]},
        ).scalars()
    )
    assert heads and heads <= refs(gaps, "head_over_capacity")


def test_households_without_head_match_the_assignment(
    gaps: gpd.GeoDataFrame, conn: Connection
) -> None:
    uncovered = conn.execute(
        text("""
        SELECT count(*) FROM household h WHERE NOT EXISTS (
            SELECT 1 FROM assignment a WHERE a.household_id = h.id AND a.valid_to IS NULL)
    """)
    ).scalar_one()
    rows = gaps[gaps["type"] == "households_without_head"]
    assert uncovered > 0 and rows["households"].sum() == uncovered


def test_filters(conn: Connection, gaps: gpd.GeoDataFrame) -> None:
    one = find_gaps(conn, types=["compound_without_head"])
    assert set(one["type"]) == {"compound_without_head"}
    code = gaps["community_code"].iloc[0]
    assert set(find_gaps(conn, community=code)["community_code"]) == {code}
    assert set(find_gaps(conn, severity="high")["severity"]) == {"high"}
    assert gaps.crs.to_epsg() == 4326
    assert set(summary(gaps).columns) <= set(GAP_NAMES)


def test_unknown_type_is_named(conn: Connection) -> None:
    with pytest.raises(InvalidInputError, match="unknown gap type nope"):
        find_gaps(conn, types=["nope"])


def test_station_and_grid_gaps_are_found_when_planted(conn: Connection) -> None:
    quiet = find_gaps(
        conn, types=["community_without_station", "station_outside_community"], grid_limit=10**6
    )
    assert quiet.empty  # the generated city has a station in every community, inside it
    gone, moved = conn.execute(
        text("SELECT id, community_id FROM station WHERE tier = 'community' ORDER BY id LIMIT 2")
    ).all()
    conn.execute(text("DELETE FROM station WHERE id = :s"), {"s": gone.id})
    conn.execute(
        text("UPDATE station SET geom = ST_Translate(geom, 0.5, 0) WHERE id = :s"), {"s": moved.id}
    )
    found = find_gaps(conn)
    assert refs(found, "community_without_station") == {gone.community_id}
    assert refs(found, "station_outside_community") == {moved.id}
    sizes = dict(
        conn.execute(
            text(
                "SELECT cp.grid_id, count(*) FROM household h JOIN unit u ON u.id = h.unit_id "
                "JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id "
                "GROUP BY cp.grid_id"
            )
        ).all()
    )
    limit = sorted(sizes.values())[len(sizes) // 2]
    crowded = find_gaps(conn, types=["grid_over_households"], grid_limit=limit)
    assert refs(crowded, "grid_over_households") == {g for g, n in sizes.items() if n > limit}
    with pytest.raises(InvalidInputError, match="grid_limit"):
        find_gaps(conn, grid_limit=0)
