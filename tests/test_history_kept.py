"""History is never deleted by a cascade (migration 0008): deleting a household, a
building, a compound or a grid closes its history and keeps what identifies it."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

# A household with a unit head now, whose home no head lives in (deleting a head's
# home is refused: the head's own history must stay, ON DELETE RESTRICT).
HOUSEHOLD_SQL = """
SELECT a.household_id, a.head_id, h.address FROM assignment a
JOIN household h ON h.id = a.household_id
WHERE a.valid_to IS NULL AND NOT EXISTS (SELECT 1 FROM head hd WHERE hd.household_id = h.id)
ORDER BY a.household_id LIMIT 1
"""
LOAD_SQL = "SELECT count(*) FROM assignment WHERE head_id = :h AND valid_to IS NULL"


def test_a_deleted_households_history_stays_closed_with_its_address(conn: Connection) -> None:
    household, head, address = conn.execute(text(HOUSEHOLD_SQL)).one()
    # An earlier entry too: a move by an officer, so the history has two.
    conn.execute(
        text("""INSERT INTO assignment (household_id, head_id, reason, distance_m,
                                        valid_from, valid_to, changed_by)
                VALUES (:hh, :h, 'manual', 1, now() - interval '30 days',
                        now() - interval '20 days', 'test')"""),
        {"hh": household, "h": head},
    )
    load = conn.execute(text(LOAD_SQL), {"h": head}).scalar_one()
    # Earlier tests that commit runs on the shared city may have left more entries.
    entries = conn.execute(
        text("SELECT count(*) FROM assignment WHERE household_id = :id"), {"id": household}
    ).scalar_one()
    assert entries >= 2
    conn.execute(text("DELETE FROM household WHERE id = :id"), {"id": household})
    kept = conn.execute(
        text("""SELECT head_id, valid_to IS NOT NULL AS closed, household_address
                FROM assignment WHERE household_id = :id ORDER BY valid_from"""),
        {"id": household},
    ).all()
    assert len(kept) == entries  # every entry kept, none dropped
    assert all(row.closed and row.household_address == address for row in kept)
    assert kept[-1].head_id == head and kept[0].head_id == head
    # The head no longer covers a household that is gone.
    assert conn.execute(text(LOAD_SQL), {"h": head}).scalar_one() == load - 1


def test_deleted_places_keep_who_covered_them(conn: Connection) -> None:
    compound, code = conn.execute(
        text("""INSERT INTO compound (code, name, grid_id, community_id, geom)
                SELECT code || 'X', name || '乙', grid_id, community_id, geom FROM compound
                ORDER BY id LIMIT 1 RETURNING id, code""")
    ).one()
    building = conn.execute(
        text("""INSERT INTO building (compound_id, number, floors, geom)
                SELECT :c, 99, floors, geom FROM building ORDER BY id LIMIT 1 RETURNING id"""),
        {"c": compound},
    ).scalar_one()
    grid, grid_code = conn.execute(
        text("""INSERT INTO grid (code, name, community_id, geom)
                SELECT left(code, 12) || '999', name || '乙', community_id, geom FROM grid
                ORDER BY id LIMIT 1 RETURNING id, code""")
    ).one()
    building_head = conn.execute(text("SELECT min(id) FROM head WHERE role = 'building'"))
    compound_head = conn.execute(text("SELECT min(id) FROM head WHERE role = 'compound'"))
    officer = conn.execute(text("SELECT min(id) FROM grid_officer")).scalar_one()
    covers = [
        ("building", "building_id", building, "head_id", building_head.scalar_one()),
        ("compound", "compound_id", compound, "head_id", compound_head.scalar_one()),
        ("grid", "grid_id", grid, "officer_id", officer),
    ]
    for level, column, place, who, whom in covers:
        conn.execute(
            text(f"""INSERT INTO place_cover (level, {column}, {who}, reason, distance_m)
                     VALUES (:level, :place, :who, 'nearest', 10)"""),  # names from the list above
            {"level": level, "place": place, "who": whom},
        )
    conn.execute(text("DELETE FROM compound WHERE id = :id"), {"id": compound})  # its building too
    conn.execute(text("DELETE FROM grid WHERE id = :id"), {"id": grid})
    kept = conn.execute(
        text("""SELECT level, coalesce(head_id, officer_id) AS who, place_label,
                       valid_to IS NOT NULL AS closed
                FROM place_cover WHERE building_id = :b OR compound_id = :c OR grid_id = :g
                ORDER BY level"""),
        {"b": building, "c": compound, "g": grid},
    ).all()
    assert [(row.level, row.who, row.place_label, row.closed) for row in kept] == [
        ("building", covers[0][4], f"{code}/99", True),
        ("compound", covers[1][4], code, True),
        ("grid", officer, grid_code, True),
    ]


def test_history_still_names_only_what_exists(conn: Connection) -> None:
    head = conn.execute(text("SELECT min(id) FROM head WHERE role = 'unit'")).scalar_one()
    with pytest.raises(IntegrityError, match="household 2147483647, which does not exist"):
        conn.execute(
            text("""INSERT INTO assignment (household_id, head_id, reason, distance_m)
                    VALUES (2147483647, :h, 'manual', 0)"""),
            {"h": head},
        )


def test_a_place_cover_names_only_a_place_that_exists(conn: Connection) -> None:
    head = conn.execute(text("SELECT min(id) FROM head WHERE role = 'building'")).scalar_one()
    with pytest.raises(IntegrityError, match="building 2147483647, which does not exist"):
        conn.execute(
            text("""INSERT INTO place_cover (level, building_id, head_id, reason, distance_m)
                    VALUES ('building', 2147483647, :h, 'nearest', 0)"""),
            {"h": head},
        )
