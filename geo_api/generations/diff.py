"""What changes between two generations: areas added, removed and changed (name,
outline or parent), and the households, heads and grid officers whose community or
grid changes. Computed from the areas of each generation (areas.py), so it works
for a new generation before it is made current, and for any two past ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from geo_api.generations.areas import AREAS, BY_TABLE, areas_sql, reshaped
from geo_api.generations.history import HEAD_COMPOUND, HOUSEHOLD_COMPOUND
from geo_api.generations.store import Generation, current


@dataclass(frozen=True)
class AreaChange:
    """One area that differs: ``what`` is added, removed or the fields changed."""

    layer: str
    code: str
    name: str
    what: tuple[str, ...]


@dataclass(frozen=True)
class Move:
    """A household, head or officer whose community or grid changes (codes; None:
    in none of the generation's areas)."""

    kind: str  # household, head, officer
    id: int
    community_from: str | None
    community_to: str | None
    grid_from: str | None
    grid_to: str | None


@dataclass
class GenerationDiff:
    """Everything that differs from ``a`` to ``b``."""

    a: Generation
    b: Generation
    areas: list[AreaChange] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)

    def moved(self, kind: str) -> list[Move]:
        """The moves of one kind."""
        return [m for m in self.moves if m.kind == kind]

    def communities(self) -> set[str]:
        """Codes of the communities something moves out of or into."""
        found = {m.community_from for m in self.moves} | {m.community_to for m in self.moves}
        return {c for c in found if c is not None}

    def as_dict(self) -> dict[str, Any]:
        """For JSON answers."""
        return {
            "from": self.a.as_dict(),
            "to": self.b.as_dict(),
            "areas": [vars(c) | {"what": list(c.what)} for c in self.areas],
            "moves": {
                kind: [vars(m) for m in self.moved(kind)]
                for kind in ("household", "head", "officer")
            },
        }


def diff_generations(conn: Connection, a: Generation, b: Generation) -> GenerationDiff:
    """The areas and people that change from generation ``a`` to ``b``."""
    now = current(conn).id
    found = GenerationDiff(a, b)
    params = {"ga": a.id, "gb": b.id}
    for area in AREAS:
        sql = f"""
            SELECT coalesce(b.code, a.code) AS code, coalesce(b.name, a.name) AS name,
                   a.code IS NULL AS added, b.code IS NULL AS removed,
                   a.name IS DISTINCT FROM b.name AS renamed,
                   a.parent_code IS DISTINCT FROM b.parent_code AS reparented,
                   {reshaped("a.geom", "b.geom")} AS reshaped
            FROM ({areas_sql(area, a, now, "ga")}) a
            FULL JOIN ({areas_sql(area, b, now, "gb")}) b ON a.code = b.code
            WHERE a.code IS NULL OR b.code IS NULL OR a.name IS DISTINCT FROM b.name
               OR a.parent_code IS DISTINCT FROM b.parent_code OR {reshaped("a.geom", "b.geom")}
            ORDER BY 1
        """  # noqa: S608
        for row in conn.execute(text(sql), params):
            what: tuple[str, ...]
            if row.added:
                what = ("added",)
            elif row.removed:
                what = ("removed",)
            else:
                parent = f"{BY_TABLE[area.table].parent}" if row.reparented else ""
                what = tuple(
                    w
                    for w, on in (("name", row.renamed), (parent, row.reparented),
                                  ("outline", row.reshaped))
                    if on
                )  # fmt: skip
            found.areas.append(AreaChange(area.layer, str(row.code), str(row.name), what))
    found.moves = _moves(conn, a, b, now)
    return found


def _places(gen: Generation, now: int, param: str) -> str:
    """Each compound's grid and community in a generation, by code."""
    compound = areas_sql(BY_TABLE["compound"], gen, now, param)
    grid = areas_sql(BY_TABLE["grid"], gen, now, param)
    return (
        f"SELECT c.code, g.code AS grid, g.parent_code AS community FROM ({compound}) c "  # noqa: S608
        f"LEFT JOIN ({grid}) g ON g.code = c.parent_code"
    )


def _moves(conn: Connection, a: Generation, b: Generation, now: int) -> list[Move]:
    """Households, serving heads and serving officers whose community or grid differs."""
    places = f"pa AS ({_places(a, now, 'ga')}), pb AS ({_places(b, now, 'gb')})"
    grids = (
        f"ga AS ({areas_sql(BY_TABLE['grid'], a, now, 'ga')}), "
        f"gb AS ({areas_sql(BY_TABLE['grid'], b, now, 'gb')})"
    )
    differs = "(pa.community IS DISTINCT FROM pb.community OR pa.grid IS DISTINCT FROM pb.grid)"
    sql = f"""
        WITH {places}, {grids}
        SELECT 'household' AS kind, h.id, pa.community AS cf, pb.community AS ct,
               pa.grid AS gf, pb.grid AS gt
        FROM ({HOUSEHOLD_COMPOUND}) cp JOIN household h ON h.id = cp.id
        LEFT JOIN pa ON pa.code = cp.code LEFT JOIN pb ON pb.code = cp.code
        WHERE h.ended_on IS NULL AND {differs}
        UNION ALL
        SELECT 'head', h.id, pa.community, pb.community, pa.grid, pb.grid
        FROM ({HEAD_COMPOUND}) cp JOIN head h ON h.id = cp.id
        LEFT JOIN pa ON pa.code = cp.code LEFT JOIN pb ON pb.code = cp.code
        WHERE h.left_on IS NULL AND {differs}
        UNION ALL
        SELECT 'officer', o.id, coalesce(ga.parent_code, c.code), coalesce(gb.parent_code, c.code),
               ga.code, gb.code
        FROM grid_officer o JOIN community c ON c.id = o.community_id
        LEFT JOIN grid g ON g.id = o.grid_id
        LEFT JOIN ga ON ga.code = g.code LEFT JOIN gb ON gb.code = g.code
        WHERE o.left_on IS NULL AND g.id IS NOT NULL
          AND (ga.parent_code IS DISTINCT FROM gb.parent_code OR ga.code IS DISTINCT FROM gb.code)
        ORDER BY 1, 2
    """  # noqa: S608
    rows = conn.execute(text(sql), {"ga": a.id, "gb": b.id})
    return [Move(r.kind, int(r.id), r.cf, r.ct, r.gf, r.gt) for r in rows]
