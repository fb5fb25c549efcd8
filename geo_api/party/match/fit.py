"""How well a resource's category fits a demand's: the same category fits fully; a
related one (a health team for an elderly-care demand) fits at a cost."""

from __future__ import annotations

from sqlalchemy import Connection, text

# Categories whose resources can serve another's demands, both ways.
RELATED = (
    ("elderly", "health"),
    ("elderly", "disability"),
    ("elderly", "volunteering"),
    ("children", "education"),
    ("children", "culture"),
    ("environment", "property"),
    ("environment", "volunteering"),
    ("safety", "mediation"),
    ("safety", "property"),
    ("employment", "education"),
    ("disability", "health"),
    ("disability", "volunteering"),
    ("culture", "education"),
)
# A related category costs as much as this many metres more of walking: as much as
# the default reach, so a same-category resource in reach is always preferred.
RELATED_PENALTY_M = 1000.0
SAME_FIT, RELATED_FIT = 1.0, 0.5


def fit_pairs(conn: Connection) -> tuple[list[int], list[int], list[float]]:
    """(demand category, resource category, fit) for every pair that fits at all,
    as three lists for SQL's unnest: each category with itself, and the related."""
    ids = {
        str(code): int(i)
        for code, i in conn.execute(text("SELECT code, id FROM list_category")).all()
    }
    wanted: list[int] = []
    offered: list[int] = []
    fits: list[float] = []
    for i in ids.values():
        wanted.append(i)
        offered.append(i)
        fits.append(SAME_FIT)
    for a, b in RELATED:
        if a in ids and b in ids:
            for x, y in ((a, b), (b, a)):
                wanted.append(ids[x])
                offered.append(ids[y])
                fits.append(RELATED_FIT)
    return wanted, offered, fits


def arc_cost(metres: float, fit: float) -> float:
    """What a demand-resource pair costs the assignment: metres, plus the penalty of
    a related category."""
    return metres + (0.0 if fit >= SAME_FIT else RELATED_PENALTY_M)
