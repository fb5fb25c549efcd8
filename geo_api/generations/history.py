"""History stays consistent across generations: an assignment is valid only inside
its head's term and while its household and its head are in the same community,
the community of each date (the generation in force then).

Days are China's: a generation is in force from the start of its ``valid_from`` day
to the start of its ``valid_to`` day; a head's term from the start of its
``appointed_on`` day to the end of its ``left_on`` day. Where a household lived is
its unit now (moves are not versioned), so the community check reads the
household's present compound in each generation.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo_api.generations.areas import BY_TABLE, areas_sql
from geo_api.generations.store import current, generations

# Each head's compound (the place they serve, whatever its level), by head id.
HEAD_COMPOUND = """
    SELECT hd.id, pc.id AS compound_id, pc.code, pc.community_id
    FROM head hd LEFT JOIN unit hu ON hu.id = hd.unit_id
    LEFT JOIN building hb ON hb.id = coalesce(hd.building_id, hu.building_id)
    JOIN compound pc ON pc.id = coalesce(hd.compound_id, hb.compound_id)
"""
# Each household's compound.
HOUSEHOLD_COMPOUND = """
    SELECT h.id, cp.id AS compound_id, cp.code, cp.community_id
    FROM household h JOIN unit u ON u.id = h.unit_id
    JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
"""
CHINA_DAY = "(CAST({d} AS timestamp) AT TIME ZONE 'Asia/Shanghai')"


@dataclass(frozen=True)
class Inconsistency:
    """One assignment valid where it may not be."""

    assignment_id: int
    household_id: int
    head_id: int
    why: str

    def message(self) -> str:
        """One line naming it."""
        return (
            f"assignment {self.assignment_id} (household {self.household_id}, head "
            f"{self.head_id}): {self.why}"
        )


def inconsistencies(conn: Connection, limit: int = 1000) -> list[Inconsistency]:
    """Assignments valid outside their head's term, or while household and head were
    in different communities in the generation in force (at most ``limit``)."""
    found = [
        Inconsistency(int(r.id), int(r.household_id), int(r.head_id), str(r.why))
        for r in conn.execute(
            text(f"""
                SELECT a.id, a.household_id, a.head_id,
                       CASE WHEN a.valid_from < {CHINA_DAY.format(d="hd.appointed_on")}
                            THEN 'starts before the head was appointed (' || hd.appointed_on || ')'
                            ELSE 'ends after the head left (' || hd.left_on || ')' END AS why
                FROM assignment a JOIN head hd ON hd.id = a.head_id
                WHERE a.valid_from < {CHINA_DAY.format(d="hd.appointed_on")}
                   OR (hd.left_on IS NOT NULL AND coalesce(a.valid_to, 'infinity') >
                       {CHINA_DAY.format(d="hd.left_on + 1")})
                ORDER BY a.id LIMIT :limit
            """),  # noqa: S608
            {"limit": limit},
        )
    ]
    now = current(conn).id
    for gen in generations(conn):
        if gen.pending or gen.valid_from is None or len(found) >= limit:
            continue
        compound = areas_sql(BY_TABLE["compound"], gen, now)
        grid = areas_sql(BY_TABLE["grid"], gen, now)
        places = (
            f"SELECT c.code, g.parent_code AS community FROM ({compound}) c "  # noqa: S608
            f"LEFT JOIN ({grid}) g ON g.code = c.parent_code"
        )
        sql = f"""
            WITH places AS ({places})
            SELECT a.id, a.household_id, a.head_id, hp.community AS home, pp.community AS serves
            FROM assignment a
            JOIN ({HOUSEHOLD_COMPOUND}) hh ON hh.id = a.household_id
            JOIN ({HEAD_COMPOUND}) hc ON hc.id = a.head_id
            LEFT JOIN places hp ON hp.code = hh.code
            LEFT JOIN places pp ON pp.code = hc.code
            WHERE a.valid_from < coalesce({CHINA_DAY.format(d=":to")}, 'infinity')
              AND coalesce(a.valid_to, 'infinity') > {CHINA_DAY.format(d=":from")}
              AND a.valid_to IS DISTINCT FROM a.valid_from
              AND hp.community IS DISTINCT FROM pp.community
            ORDER BY a.id LIMIT :limit
        """  # noqa: S608
        params = {"gen": gen.id, "from": gen.valid_from, "to": gen.valid_to, "limit": limit}
        for r in conn.execute(text(sql), params):
            why = (
                f"in generation {gen.name!r} the household is in community {r.home} but the "
                f"head serves in {r.serves}"
            )
            found.append(Inconsistency(int(r.id), int(r.household_id), int(r.head_id), why))
    return found[:limit]
