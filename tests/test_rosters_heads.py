"""Heads appointed, retired, moved and updated through the domain: terms kept, only the
communities touched re-assigned, the invariants held."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Connection, text

from geo_api.errors import ConflictError, InvalidInputError, NotFoundError
from geo_api.rosters import heads
from geo_api.rosters.change import today
from tests.rosters_helpers import (
    a_household_without_head_role,
    a_unit_head,
    broken,
    current_head,
    one,
)

COVERED = "SELECT household_id FROM assignment WHERE head_id = :h AND valid_to IS NULL"


def test_retire_reassigns_only_that_community(conn: Connection) -> None:
    head = a_unit_head(conn)
    covered = set(conn.execute(text(COVERED), {"h": head.id}).scalars())
    elsewhere = dict(
        conn.execute(
            text(
                """SELECT a.household_id, a.id FROM assignment a JOIN household h
                   ON h.id = a.household_id JOIN unit u ON u.id = h.unit_id JOIN building b
                   ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
                   WHERE a.valid_to IS NULL AND cp.community_id <> :c"""
            ),
            {"c": head.community_id},
        ).all()
    )
    change = heads.retire(conn, head.id, by="网格员王", reason="搬走了")
    assert change.action == "retired" and change.communities == [head.community_id]
    assert change.run is not None and change.run.communities == [head.community_id]
    assert change.run.moved + change.run.added >= len(covered) - change.run.unassigned
    assert not conn.execute(text(COVERED), {"h": head.id}).first()
    term = one(conn, "SELECT left_on, left_reason, left_by FROM head WHERE id = :h", h=head.id)
    assert term == (today(conn), "搬走了", "网格员王")
    # Other communities' assignments are the very same rows.
    after = dict(
        conn.execute(
            text(
                "SELECT household_id, id FROM assignment WHERE valid_to IS NULL "
                "AND household_id = ANY(:ids)"
            ),
            {"ids": list(elsewhere)},
        ).all()
    )
    assert after == elsewhere
    assert broken(conn) == {}


def test_retire_frees_locked_households(conn: Connection) -> None:
    head = a_unit_head(conn)
    conn.execute(text("UPDATE assignment SET locked = true WHERE head_id = :h"), {"h": head.id})
    heads.retire(conn, head.id, by="officer", reason="病休")
    assert not conn.execute(text(COVERED), {"h": head.id}).first()
    assert broken(conn) == {}


def test_retire_later_keeps_serving_until_then(conn: Connection) -> None:
    head = a_unit_head(conn)
    later = today(conn) + timedelta(days=7)
    change = heads.retire(conn, head.id, by="officer", reason="换届", on=later)
    assert change.run is None and change.notes
    assert conn.execute(text(COVERED), {"h": head.id}).first()


def test_retire_refusals_name_the_value(conn: Connection) -> None:
    head = a_unit_head(conn)
    with pytest.raises(NotFoundError, match="head 999999"):
        heads.retire(conn, 999_999, by="o", reason="r")
    with pytest.raises(InvalidInputError, match="reason"):
        heads.retire(conn, head.id, by="o", reason=" ")
    with pytest.raises(InvalidInputError, match="by"):
        heads.retire(conn, head.id, by="", reason="r")
    with pytest.raises(InvalidInputError, match="before"):
        heads.retire(conn, head.id, by="o", reason="r", on=date(1999, 1, 1))
    heads.retire(conn, head.id, by="o", reason="r")
    with pytest.raises(ConflictError, match="stepped down"):
        heads.retire(conn, head.id, by="o", reason="r")


def test_appoint_a_neighbour_takes_households(conn: Connection) -> None:
    head = a_unit_head(conn)
    heads.retire(conn, head.id, by="o", reason="搬走")
    neighbour = a_household_without_head_role(conn, head.unit_id)
    conn.execute(
        text("UPDATE household SET head_name = '李四', phone = '13800000000' WHERE id = :h"),
        {"h": neighbour},
    )
    change = heads.appoint(conn, "unit", head.unit_id, neighbour, by="网格员王")
    assert change.head_id is not None and change.run is not None
    row = one(
        conn,
        "SELECT name, phone, appointed_on, appointed_by FROM head WHERE id = :h",
        h=change.head_id,
    )
    assert row == ("李四", "13800000000", today(conn), "网格员王")
    assert current_head(conn, neighbour) == change.head_id
    assert broken(conn) == {}


def test_reappointing_the_same_person_is_a_new_term(conn: Connection) -> None:
    head = a_unit_head(conn)
    heads.retire(conn, head.id, by="o", reason="出差")
    again = heads.appoint(conn, "unit", head.unit_id, head.household_id, by="o", name="张三",
                          phone="13900000000")  # fmt: skip
    assert again.head_id != head.id
    terms = heads.terms(conn, household_id=head.household_id)
    assert [t["id"] for t in terms][:2] == [again.head_id, head.id]
    with pytest.raises(ConflictError, match="already has a serving unit head"):
        heads.appoint(conn, "unit", head.unit_id, head.household_id, by="o", name="张三",
                      phone="13900000000")  # fmt: skip


def test_appoint_refuses_strangers_and_bad_values(conn: Connection) -> None:
    head = a_unit_head(conn)
    other = one(
        conn,
        """SELECT h.id FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b
           ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
           WHERE cp.community_id <> :c ORDER BY h.id LIMIT 1""",
        c=head.community_id,
    )[0]
    with pytest.raises(InvalidInputError, match="another community"):
        heads.appoint(conn, "unit", head.unit_id, other, by="o", name="x", phone="13800000000")
    far = one(
        conn,
        """SELECT h.id FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b
           ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
           WHERE cp.community_id = :c AND h.unit_id <> :u AND NOT h.volunteer
           AND NOT EXISTS (SELECT 1 FROM member m WHERE m.household_id = h.id)
           ORDER BY h.id LIMIT 1""",
        c=head.community_id,
        u=head.unit_id,
    )[0]
    with pytest.raises(InvalidInputError, match="neither a volunteer"):
        heads.appoint(conn, "unit", head.unit_id, far, by="o", name="x", phone="13800000000")
    conn.execute(text("UPDATE household SET volunteer = true WHERE id = :h"), {"h": far})
    assert heads.appoint(conn, "unit", head.unit_id, far, by="o", name="x",
                         phone="13800000000").head_id  # fmt: skip
    with pytest.raises(InvalidInputError, match="role 'mayor'"):
        heads.appoint(conn, "mayor", 1, far, by="o")
    with pytest.raises(NotFoundError, match="unit 999999"):
        heads.appoint(conn, "unit", 999_999, far, by="o")
    with pytest.raises(InvalidInputError, match="phone"):
        heads.appoint(conn, "building", 1, far, by="o", name="x", phone="abc")
    with pytest.raises(InvalidInputError, match="below capacity"):
        heads.appoint(conn, "unit", head.unit_id, head.household_id, by="o", name="x",
                      phone="13800000000", capacity=10, max_capacity=5)  # fmt: skip


def test_move_ends_the_term_and_opens_one_at_the_new_place(conn: Connection) -> None:
    head = a_unit_head(conn)
    target = one(
        conn,
        """SELECT u.id FROM unit u JOIN building b ON b.id = u.building_id
           WHERE b.compound_id = :cp AND u.id <> :u ORDER BY u.id LIMIT 1""",
        cp=head.compound_id,
        u=head.unit_id,
    )[0]
    conn.execute(text("UPDATE household SET volunteer = true WHERE id = :h"),
                 {"h": head.household_id})  # fmt: skip
    change = heads.move(conn, head.id, target, by="网格员王")
    assert change.ended_heads == [head.id] and change.head_id != head.id
    new = one(conn, "SELECT unit_id, moved_from, left_on FROM head WHERE id = :h",
              h=change.head_id)  # fmt: skip
    assert new == (target, head.id, None)
    old = one(conn, "SELECT left_on, left_reason FROM head WHERE id = :h", h=head.id)
    assert old[0] == today(conn) and f"unit {target}" in old[1]
    assert broken(conn) == {}
    with pytest.raises(ConflictError, match="already serves"):
        heads.move(conn, change.head_id, target, by="o")


def test_update_capacity_reassigns_and_checks(conn: Connection) -> None:
    head = a_unit_head(conn, covering=3)
    change = heads.update(conn, head.id, by="o", capacity=1, max_capacity=1)
    assert change.run is not None
    assert len(conn.execute(text(COVERED), {"h": head.id}).all()) <= 1
    assert broken(conn) == {}
    change = heads.update(conn, head.id, by="o", name="王五", phone="13700000000")
    assert change.run is None
    assert one(conn, "SELECT name FROM head WHERE id = :h", h=head.id)[0] == "王五"
    with pytest.raises(InvalidInputError):
        heads.update(conn, head.id, by="o", capacity=5, follow_community=True)


OPEN_COVER = """SELECT head_id FROM place_cover WHERE level = :role AND {role}_id = :p
                AND valid_to IS NULL"""


def _cover(conn: Connection, role: str, place: int) -> list[int]:
    """The heads whose cover of a building or compound is open."""
    sql = OPEN_COVER.format(role=role)
    return [int(h) for h in conn.execute(text(sql), {"role": role, "p": place}).scalars()]


def _resident(conn: Connection, role: str, place: int) -> int:
    """A current household living in the building or compound, no one's home as a head."""
    return int(
        one(
            conn,
            f"""SELECT h.id FROM household h JOIN unit u ON u.id = h.unit_id
                JOIN building b ON b.id = u.building_id
                WHERE {"b.id" if role == "building" else "b.compound_id"} = :p
                  AND h.ended_on IS NULL
                  AND NOT EXISTS (SELECT 1 FROM head hd WHERE hd.household_id = h.id)
                ORDER BY h.id LIMIT 1""",
            p=place,
        )[0]
    )


@pytest.mark.parametrize("role", ["building", "compound"])
def test_building_and_compound_heads_open_and_close_their_covers(
    conn: Connection, role: str
) -> None:
    """楼长 and 小区长 through the domain: a retired one's cover closes, an appointed one's
    opens at their place, a moved 楼长's closes at the old place and opens at the new
    (the test city has one compound per community: a 小区长 has nowhere to move);
    covers never overlap per place and level."""
    # The places of each community: the head must have another to move to.
    places = (
        "SELECT b.id, cp.community_id FROM building b JOIN compound cp ON cp.id = b.compound_id"
        if role == "building"
        else "SELECT id, community_id FROM compound"
    )
    head = one(
        conn,
        f"""WITH p AS ({places})
            SELECT hd.id, hd.{role}_id AS place, p.community_id,
                   (SELECT min(o.id) FROM p o WHERE o.community_id = p.community_id
                      AND o.id <> p.id) AS other
            FROM active_head hd JOIN p ON p.id = hd.{role}_id
            WHERE hd.role = :role
            ORDER BY (SELECT count(*) FROM p o WHERE o.community_id = p.community_id) DESC,
                     hd.id LIMIT 1""",
        role=role,
    )
    assert head.id in _cover(conn, role, head.place)
    heads.retire(conn, head.id, by="网格员王", reason="搬走了")
    assert head.id not in _cover(conn, role, head.place)
    assert broken(conn) == {}
    household = _resident(conn, role, head.place)
    appointed = heads.appoint(conn, role, head.place, household, by="网格员王",
                              name="新头", phone="13800000000")  # fmt: skip
    assert _cover(conn, role, head.place) == [appointed.head_id]
    assert broken(conn) == {}
    if role == "compound":
        # The test city has one compound per community: nowhere for a 小区长 to move to.
        assert head.other is None
        return
    other = head.other
    conn.execute(text("UPDATE household SET volunteer = true WHERE id = :h"), {"h": household})
    moved = heads.move(conn, appointed.head_id, other, by="网格员王")
    assert appointed.head_id not in _cover(conn, role, head.place)
    assert _cover(conn, role, other) == [moved.head_id]
    closed = conn.execute(
        text("SELECT count(*) FROM place_cover WHERE head_id = :h AND valid_to IS NOT NULL"),
        {"h": appointed.head_id},
    ).scalar_one()
    assert closed >= 1
    assert broken(conn) == {}
