"""Integrity checks the schema cannot express: children that fall outside their parent."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, text

# (child table, child label column, parent table, join condition on c (child) and p (parent))
PAIRS = [
    ("community", "c.code", "street", "p.id = c.street_id"),
    ("grid", "c.code", "community", "p.id = c.community_id"),
    ("compound", "c.code", "grid", "p.id = c.grid_id"),
    ("building", "c.number::text", "compound", "p.id = c.compound_id"),
    ("unit", "c.number::text", "building", "p.id = c.building_id"),
    ("household", "c.room", "unit", "p.id = c.unit_id"),
]
# Coordinates pass through reprojection and unions: ignore slivers below this.
TOLERANCE_M2 = 1.0
TOLERANCE_M = 0.5


@dataclass(frozen=True)
class OutsideParent:
    """A child whose geometry is not covered by its parent's."""

    table: str
    id: int
    label: str
    parent_table: str
    parent_id: int
    outside: float  # m² outside for areas, metres away for points

    def message(self) -> str:
        """A sentence naming the child, its parent and by how much it is out."""
        unit = "m away" if self.table == "household" else "m² outside"
        # Named as people know them (a code, a number), not by the store's ids.
        return (
            f"{self.table} {self.label} lies outside its {self.parent_table}: "
            f"{self.outside:,.1f} {unit}"
        )


def children_outside_parents(
    conn: Connection, tables: Collection[str] | None = None
) -> list[OutsideParent]:
    """Every child (community … household) not covered by its parent, with the amount;
    only children of ``tables`` when given."""
    found: list[OutsideParent] = []
    for child, label, parent, join in PAIRS:
        if tables is not None and child not in tables:
            continue
        if child == "household":
            amount = "ST_Distance(c.geom::geography, p.geom::geography)"
            tolerance = TOLERANCE_M
        else:
            amount = "ST_Area(ST_Difference(c.geom, p.geom)::geography)"
            tolerance = TOLERANCE_M2
        # Table names come from PAIRS above, never from input.
        sql = f"""
            SELECT c.id, {label} AS label, p.id AS parent_id, {amount} AS outside
            FROM {child} c JOIN {parent} p ON {join}
            WHERE NOT ST_CoveredBy(c.geom, p.geom)
        """  # noqa: S608
        for row in conn.execute(text(sql)):
            if row.outside > tolerance:
                found.append(
                    OutsideParent(child, row.id, row.label, parent, row.parent_id, row.outside)
                )
    return found
