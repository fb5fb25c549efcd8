"""Shared reads for the roster tests: the store's invariants and handy rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

# Each returns the rows that break one invariant; all must be empty.
INVARIANTS = {
    "a current household with two current heads": """
        SELECT household_id FROM assignment WHERE valid_to IS NULL
        GROUP BY household_id HAVING count(*) > 1""",
    "an ended household with a current head": """
        SELECT a.household_id FROM assignment a JOIN household h ON h.id = a.household_id
        WHERE a.valid_to IS NULL AND h.ended_on IS NOT NULL""",
    "a household covered by a head who left": """
        SELECT a.household_id FROM assignment a JOIN head hd ON hd.id = a.head_id
        WHERE a.valid_to IS NULL AND hd.left_on IS NOT NULL AND hd.left_on <= china_today()""",
    "a head over their maximum": """
        SELECT hd.id FROM head_effective hd JOIN assignment a ON a.head_id = hd.id
        WHERE a.valid_to IS NULL GROUP BY hd.id, hd.max_capacity
        HAVING count(*) > hd.max_capacity""",
    "overlapping history of a household": """
        SELECT x.household_id FROM assignment x JOIN assignment y
          ON x.household_id = y.household_id AND x.id < y.id
        WHERE tstzrange(x.valid_from, coalesce(x.valid_to, 'infinity'), '[)')
           && tstzrange(y.valid_from, coalesce(y.valid_to, 'infinity'), '[)')""",
    "overlapping terms of a head at one place": """
        SELECT x.id FROM head x JOIN head y ON x.id < y.id AND x.role = y.role
          AND x.household_id = y.household_id
          AND coalesce(x.unit_id, x.building_id, x.compound_id)
            = coalesce(y.unit_id, y.building_id, y.compound_id)
        WHERE daterange(x.appointed_on, x.left_on, '[)')
              && daterange(y.appointed_on, y.left_on, '[)')
          AND x.appointed_on < coalesce(x.left_on, 'infinity')
          AND y.appointed_on < coalesce(y.left_on, 'infinity')""",
    "an assignment crossing a community": """
        SELECT a.household_id FROM assignment a
        JOIN household h ON h.id = a.household_id JOIN unit u ON u.id = h.unit_id
        JOIN building b ON b.id = u.building_id JOIN compound c ON c.id = b.compound_id
        JOIN head hd ON hd.id = a.head_id JOIN unit hu ON hu.id = hd.unit_id
        JOIN building hb ON hb.id = hu.building_id JOIN compound hc ON hc.id = hb.compound_id
        WHERE a.valid_to IS NULL AND c.community_id <> hc.community_id""",
    "overlapping covers of a place at one level": """
        SELECT x.id FROM place_cover x JOIN place_cover y ON x.id < y.id AND x.level = y.level
          AND coalesce(x.building_id, x.compound_id, x.grid_id)
            = coalesce(y.building_id, y.compound_id, y.grid_id)
        WHERE tstzrange(x.valid_from, coalesce(x.valid_to, 'infinity'), '[)')
           && tstzrange(y.valid_from, coalesce(y.valid_to, 'infinity'), '[)')""",
}


def broken(conn: Connection) -> dict[str, list[Any]]:
    """The invariants that do not hold, with a few rows that break each."""
    out = {}
    for name, sql in INVARIANTS.items():
        rows = conn.execute(text(sql + " LIMIT 5")).scalars().all()
        if rows:
            out[name] = list(rows)
    return out


def one(conn: Connection, sql: str, **params: Any) -> Any:
    """The first row of a query (which must give one)."""
    return conn.execute(text(sql), params).one()


def a_unit_head(conn: Connection, covering: int = 2) -> Any:
    """A serving unit head with at least ``covering`` households, and their community."""
    return one(
        conn,
        """SELECT hd.id, hd.household_id, hd.unit_id, cp.community_id, cp.id AS compound_id
           FROM active_head hd JOIN unit u ON u.id = hd.unit_id
           JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
           WHERE hd.role = 'unit' AND (SELECT count(*) FROM assignment a
                 WHERE a.head_id = hd.id AND a.valid_to IS NULL) >= :n
           ORDER BY hd.id LIMIT 1""",
        n=covering,
    )


def a_household_without_head_role(conn: Connection, unit_id: int) -> int:
    """A current household of a unit that is no one's home as a head."""
    return int(
        one(
            conn,
            """SELECT h.id FROM household h WHERE h.unit_id = :u AND h.ended_on IS NULL
               AND NOT EXISTS (SELECT 1 FROM head hd WHERE hd.household_id = h.id)
               ORDER BY h.id LIMIT 1""",
            u=unit_id,
        )[0]
    )


def current_head(conn: Connection, household_id: int) -> int | None:
    """The unit head covering a household now, or None."""
    row = conn.execute(
        text("SELECT head_id FROM assignment WHERE household_id = :h AND valid_to IS NULL"),
        {"h": household_id},
    ).first()
    return None if row is None else int(row[0])
