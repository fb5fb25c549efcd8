"""Households ended (never deleted) or moved through the domain: history kept, heads
living there step down, the communities touched re-assigned."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

from geo_api.errors import ConflictError, InvalidInputError, NotFoundError
from geo_api.rosters import households
from geo_api.rosters.change import today
from tests.rosters_helpers import a_unit_head, broken, current_head, one

HISTORY = (
    "SELECT head_id, valid_to IS NOT NULL AS closed, household_address FROM assignment "
    "WHERE household_id = :h ORDER BY id"
)


def a_covered_household(conn: Connection) -> tuple[int, int]:
    """A household with a unit head that is no one's home as a head."""
    row = one(
        conn,
        """SELECT a.household_id, a.head_id FROM assignment a WHERE a.valid_to IS NULL
           AND NOT EXISTS (SELECT 1 FROM head hd WHERE hd.household_id = a.household_id)
           ORDER BY a.household_id LIMIT 1""",
    )
    return int(row[0]), int(row[1])


def test_end_keeps_the_row_and_who_covered_it_until_when(conn: Connection) -> None:
    household, head = a_covered_household(conn)
    address = one(conn, "SELECT address FROM household WHERE id = :h", h=household)[0]
    change = households.end(conn, household, by="网格员王", reason="搬离本市")
    assert change.action == "ended" and change.run is not None
    row = one(conn, "SELECT ended_on, ended_reason, ended_by FROM household WHERE id = :h",
              h=household)  # fmt: skip
    assert row == (today(conn), "搬离本市", "网格员王")
    history = conn.execute(text(HISTORY), {"h": household}).all()
    assert history[-1] == (head, True, address)
    assert current_head(conn, household) is None
    assert broken(conn) == {}
    with pytest.raises(ConflictError, match="moved out"):
        households.end(conn, household, by="o", reason="again")


def test_ending_a_heads_home_retires_the_head(conn: Connection) -> None:
    head = a_unit_head(conn)
    change = households.end(conn, head.household_id, by="o", reason="去世")
    assert head.id in change.ended_heads  # with any building or compound head living there
    left = one(conn, "SELECT left_on, left_reason FROM head WHERE id = :h", h=head.id)
    assert left[0] == today(conn) and "去世" in left[1]
    assert not conn.execute(
        text("SELECT 1 FROM assignment WHERE head_id = :h AND valid_to IS NULL"), {"h": head.id}
    ).first()
    assert broken(conn) == {}


def test_a_room_left_is_free_for_the_next_household(conn: Connection) -> None:
    household, _ = a_covered_household(conn)
    unit, room = one(conn, "SELECT unit_id, room FROM household WHERE id = :h", h=household)
    households.end(conn, household, by="o", reason="卖房")
    conn.execute(
        text(
            "INSERT INTO household (unit_id, room, persons, address, geom) "
            "SELECT unit_id, room, 2, address, geom FROM household WHERE id = :h"
        ),
        {"h": household},
    )
    assert one(conn, "SELECT count(*) FROM household WHERE unit_id = :u AND room = :r",
               u=unit, r=room)[0] == 2  # fmt: skip


def test_move_within_the_city(conn: Connection) -> None:
    household, head = a_covered_household(conn)
    old_address, old_community = one(
        conn,
        """SELECT h.address, cp.community_id FROM household h JOIN unit u ON u.id = h.unit_id
           JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
           WHERE h.id = :h""",
        h=household,
    )
    unit, community = one(
        conn,
        """SELECT u.id, cp.community_id FROM unit u JOIN building b ON b.id = u.building_id
           JOIN compound cp ON cp.id = b.compound_id WHERE cp.community_id <> :c
           ORDER BY u.id LIMIT 1""",
        c=old_community,
    )
    change = households.relocate(conn, household, unit, "9901", by="网格员王")
    assert change.communities == sorted({old_community, community})
    now = one(conn, "SELECT unit_id, room, address FROM household WHERE id = :h", h=household)
    assert now[:2] == (unit, "9901") and now[2].endswith("9901室")
    history = conn.execute(text(HISTORY), {"h": household}).all()
    assert (head, True, old_address) in history
    new_head = current_head(conn, household)
    if new_head is not None:
        assert new_head != head
    assert broken(conn) == {}
    with pytest.raises(ConflictError, match="already lives"):
        households.relocate(conn, household, unit, "9901", by="o")


def test_refusals_name_the_value(conn: Connection) -> None:
    household, _ = a_covered_household(conn)
    with pytest.raises(NotFoundError, match="household 999999"):
        households.end(conn, 999_999, by="o", reason="r")
    with pytest.raises(NotFoundError, match="unit 999999"):
        households.relocate(conn, household, 999_999, "1", by="o")
    taken = one(conn, "SELECT unit_id, room FROM household WHERE id <> :h ORDER BY id LIMIT 1",
                h=household)  # fmt: skip
    with pytest.raises(ConflictError, match="already has a household"):
        households.relocate(conn, household, taken[0], taken[1], by="o")
    with pytest.raises(InvalidInputError, match="persons"):
        households.update(conn, household, by="o", persons=0)
    households.update(conn, household, by="o", persons=5)
    assert one(conn, "SELECT persons FROM household WHERE id = :h", h=household)[0] == 5


def test_deleting_a_household_keeps_its_history(conn: Connection) -> None:
    household, head = a_covered_household(conn)
    conn.execute(text("DELETE FROM household WHERE id = :h"), {"h": household})
    history = conn.execute(text(HISTORY), {"h": household}).all()
    assert history and history[-1][:2] == (head, True) and history[-1][2]


def test_a_head_is_never_deleted_with_their_home(conn: Connection) -> None:
    head = a_unit_head(conn)
    with pytest.raises(Exception, match="fk_head_household_id_household"), conn.begin_nested():
        conn.execute(text("DELETE FROM household WHERE id = :h"), {"h": head.household_id})
    with pytest.raises(Exception, match="fk_assignment_head_id_head"), conn.begin_nested():
        conn.execute(text("DELETE FROM head WHERE id = :h"), {"h": head.id})


def test_an_ended_household_cannot_be_given_a_head(conn: Connection) -> None:
    from geo_api.assign.manual import move_household

    household, head = a_covered_household(conn)
    households.end(conn, household, by="o", reason="搬离")
    with pytest.raises(InvalidInputError, match="moved out"):
        move_household(conn, household, head, by="o")
