"""Any sequence of appointments, retirements, moves and household changes keeps the
invariants (hypothesis): each household at most one current head, no head over their
maximum, history intervals never overlapping, nothing lost; and the incremental runs
leave the city as a full run would (a full run after them moves nobody)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, text

from geo_api.assign.engine import run_assignment
from geo_api.errors import ConflictError, InvalidInputError
from geo_api.rosters import heads, households
from geo_api.rosters.change import Change
from tests.rosters_helpers import broken

OPS = ("retire", "appoint", "move", "capacity", "end", "relocate")
PICK = " ORDER BY md5(x.id::text || :salt) LIMIT 1"
HEAD = "SELECT x.id FROM active_head x WHERE x.role = 'unit'"
# A current household of a unit that has no serving unit head from it.
HOME = """SELECT x.id, x.unit_id FROM household x WHERE x.ended_on IS NULL
          AND NOT EXISTS (SELECT 1 FROM head h WHERE h.household_id = x.id
                          AND h.left_on IS NULL)"""
# Another unit of the head's compound (the home's community, so a move is allowed).
UNIT_NEAR = """SELECT x.id FROM unit x JOIN building b ON b.id = x.building_id
               WHERE b.compound_id = (SELECT b2.compound_id FROM head h JOIN unit u2
                 ON u2.id = h.unit_id JOIN building b2 ON b2.id = u2.building_id
                 WHERE h.id = :head) AND x.id <> (SELECT unit_id FROM head WHERE id = :head)"""


def pick(conn: Connection, sql: str, salt: int, **params: Any) -> Any:
    return conn.execute(text(sql + PICK), {"salt": str(salt), **params}).first()


def apply(conn: Connection, op: str, salt: int) -> Change | None:
    """One roster change chosen by ``op`` on rows chosen by ``salt``; None if none fits."""
    head = pick(conn, HEAD, salt)
    home = pick(conn, HOME, salt)
    if op == "retire" and head:
        return heads.retire(conn, head.id, by="hypothesis", reason="op")
    if op == "appoint" and home:
        return heads.appoint(conn, "unit", home.unit_id, home.id, by="hypothesis",
                             name="张三", phone="13800000000")  # fmt: skip
    if op == "move" and head:
        unit = pick(conn, UNIT_NEAR, salt, head=head.id)
        if unit:
            # Serving a unit they do not live in: recorded as a volunteer, as officers do.
            conn.execute(
                text("UPDATE household SET volunteer = true FROM head h "
                     "WHERE h.id = :head AND household.id = h.household_id"),
                {"head": head.id},
            )  # fmt: skip
            return heads.move(conn, head.id, unit.id, by="hypothesis")
    if op == "capacity" and head:
        return heads.update(conn, head.id, by="hypothesis", capacity=1 + salt % 5,
                            max_capacity=3 + salt % 20)  # fmt: skip
    if op == "end" and home:
        return households.end(conn, home.id, by="hypothesis", reason="op")
    if op == "relocate" and home:
        return households.relocate(conn, home.id, home.unit_id, f"R{salt}", by="hypothesis")
    return None


def history(conn: Connection) -> set[tuple[int, int, Any]]:
    rows = conn.execute(text("SELECT id, household_id, valid_from FROM assignment"))
    return {(r[0], r[1], r[2]) for r in rows}


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 10**6)), min_size=2, max_size=6)
)
def test_any_sequence_keeps_the_invariants(
    engine: Engine, city: object, steps: list[tuple[str, int]]
) -> None:
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            before = history(conn)
            heads_before = conn.execute(text("SELECT count(*) FROM head")).scalar_one()
            homes_before = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
            for op, salt in steps:
                try:
                    with conn.begin_nested():
                        change = apply(conn, op, salt)
                except (ConflictError, InvalidInputError):
                    continue  # a refused change leaves the store as it was
                assert broken(conn) == {}, (op, change)
                if change is not None and change.run is not None:
                    assert change.run.communities == change.communities
            # Nothing lost: every history row is still there, as are heads and households.
            after = history(conn)
            assert {(i, h) for i, h, _ in before} <= {(i, h) for i, h, _ in after}
            assert conn.execute(text("SELECT count(*) FROM head")).scalar_one() >= heads_before
            assert conn.execute(text("SELECT count(*) FROM household")).scalar_one() == (
                homes_before
            )
            # The incremental runs left what a full run would: it moves nobody.
            full = run_assignment(conn)
            assert (full.moved, full.added, full.dropped) == (0, 0, 0), steps
        finally:
            transaction.rollback()
