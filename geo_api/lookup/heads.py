"""Heads and the households they cover."""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict

from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.privacy import mask_address, mask_name, mask_phone, mask_room

MAX_PAGE = 500


class HeadSummary(TypedDict):
    """A head as an officer sees it (contacts masked)."""

    id: int
    role: str
    name: str
    phone: str
    capacity: int
    max_capacity: int
    load: int
    left_on: date | None


# The buildings (compounds) a building (compound) head covers: their own, and
# those the last run gave them for want of a head of their own (a 片长).
COVERED_PLACES = """(SELECT {own} UNION SELECT pc.{level}_id FROM place_cover pc
    WHERE pc.head_id = {head} AND pc.level = '{level}' AND pc.valid_to IS NULL)"""

# The households a head covers: a unit head's are assigned to them; a building
# or compound head covers every household of the buildings or compounds they cover.
_HOUSEHOLD_PAGE = """
SELECT h.id, h.address, h.room, h.persons, a.reason, a.distance_m, a.valid_from,
       cp.community_id, cp.grid_id
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id
LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
WHERE {scope} ORDER BY h.id LIMIT :limit OFFSET :offset
"""
COVERED_SQL = {
    "unit": _HOUSEHOLD_PAGE.format(scope="a.head_id = :id"),
    "building": _HOUSEHOLD_PAGE.format(
        scope="u.building_id IN "
        + COVERED_PLACES.format(own="CAST(:scope AS int)", level="building", head=":id")
    ),
    "compound": _HOUSEHOLD_PAGE.format(
        scope="b.compound_id IN "
        + COVERED_PLACES.format(own="CAST(:scope AS int)", level="compound", head=":id")
    ),
}

# Households a head covers now, by role (a head row aliased hd).
_BUILDINGS = COVERED_PLACES.format(own="hd.building_id", level="building", head="hd.id")
_COMPOUNDS = COVERED_PLACES.format(own="hd.compound_id", level="compound", head="hd.id")
HEAD_LOAD = f"""
    CASE hd.role
      WHEN 'unit' THEN (SELECT count(*) FROM assignment a
                        WHERE a.head_id = hd.id AND a.valid_to IS NULL)
      WHEN 'building' THEN (SELECT count(*) FROM household h JOIN unit u ON u.id = h.unit_id
                            WHERE u.building_id IN {_BUILDINGS} AND h.ended_on IS NULL)
      ELSE (SELECT count(*) FROM household h JOIN unit u ON u.id = h.unit_id
            JOIN building b ON b.id = u.building_id
            WHERE b.compound_id IN {_COMPOUNDS} AND h.ended_on IS NULL)
    END"""  # noqa: S608 - constant fragments
HEAD_COLUMNS = f"""
    hd.id, hd.role, hd.name, hd.phone, hd.capacity, hd.max_capacity, hd.left_on,
    {HEAD_LOAD} AS load
"""


# The heads serving a compound and a building now, as (rank, role, id), rank 0 for the
# compound's and 1 for the building's: the place's own head and whoever covers it for
# want of one (place_cover). Each arm is one index lookup, so joining active_head on id
# and role never scans the heads, as an OR over place_cover would.
SERVING_HEADS = """
SELECT 0 AS rank, 'compound' AS role, id FROM head
    WHERE role = 'compound' AND compound_id = {compound}
UNION SELECT 0, 'compound', head_id FROM place_cover
    WHERE level = 'compound' AND compound_id = {compound} AND valid_to IS NULL
UNION SELECT 1, 'building', id FROM head WHERE role = 'building' AND building_id = {building}
UNION SELECT 1, 'building', head_id FROM place_cover
    WHERE level = 'building' AND building_id = {building} AND valid_to IS NULL"""
# ... and the unit's head, rank 2.
SERVING_UNIT_HEAD = (
    "\nUNION SELECT 2, 'unit', id FROM head WHERE role = 'unit' AND unit_id = {unit}"
)
# The grid's officers serving now: its own, and whoever covers it for want of one
# (place_cover), its own first.
SERVING_OFFICERS = """
SELECT o.id, o.name, o.phone
FROM (SELECT id FROM grid_officer WHERE grid_id = {grid}
      UNION SELECT officer_id FROM place_cover
      WHERE level = 'grid' AND grid_id = {grid} AND valid_to IS NULL) serving
JOIN grid_officer o ON o.id = serving.id
WHERE o.left_on IS NULL OR o.left_on > china_today()
ORDER BY coalesce(o.grid_id = {grid}, false) DESC, o.id"""


class OfficerSummary(TypedDict):
    """A grid officer as an officer sees them (contacts masked)."""

    id: int
    name: str
    phone: str


def officer_summary(row: Any, reveal: bool = False) -> OfficerSummary:
    """An officer row (of SERVING_OFFICERS): contacts masked unless ``reveal``."""
    return OfficerSummary(
        id=row.id,
        name=row.name if reveal else mask_name(row.name),
        phone=row.phone if reveal else mask_phone(row.phone),
    )


# Where a head is shown on maps and in exports: inside the unit, building or
# compound they serve, never at their own home.
HEAD_PLACE_JOINS = """
    LEFT JOIN unit su ON su.id = hd.unit_id
    LEFT JOIN building sb ON sb.id = hd.building_id
    LEFT JOIN compound sc ON sc.id = hd.compound_id"""
HEAD_PLACE = "ST_PointOnSurface(coalesce(su.geom, sb.geom, sc.geom))"


def summary(row: Any, reveal: bool = False) -> HeadSummary:
    """A head row (selected with HEAD_COLUMNS): contacts masked unless ``reveal`` (for
    the roles that need them, whose reads are audited)."""
    return HeadSummary(
        id=row.id,
        role=row.role,
        name=row.name if reveal else mask_name(row.name),
        phone=row.phone if reveal else mask_phone(row.phone),
        capacity=row.capacity,
        max_capacity=row.max_capacity,
        load=row.load,
        left_on=row.left_on,
    )


def covered_household(row: Any, full: bool) -> dict[str, Any]:
    """A covered household as a page shows it: its address and room in full only when
    ``full``; otherwise down to its unit (``masked``), and not a read of personal data."""
    item = {k: row[k] for k in ("id", "persons", "reason", "distance_m", "valid_from")}
    if full:
        return {**item, "address": row["address"], "room": row["room"], "masked": False}
    return {**item, "address": mask_address(row["address"]), "room": mask_room(row["room"]),
            "masked": True}  # fmt: skip


def _inside(row: Any, area: tuple[int | None, int | None]) -> bool:
    """Whether a row (with community_id and grid_id) lies in an officer's area."""
    community, grid = area
    return (community is None or row["community_id"] == community) and (
        grid is None or row["grid_id"] == grid
    )


def head_detail(
    conn: Connection,
    head_id: int,
    limit: int = 100,
    offset: int = 0,
    reveal: bool = False,
    area: tuple[int | None, int | None] = (None, None),
) -> dict[str, Any]:
    """A head, where they serve, and a page of the households they cover.

    Households are shown in full only when ``reveal``, and then only those inside
    ``area`` (community id, grid id; None: any): a building or compound head may cover
    places of another grid (a 片长 standing in), which a grid officer must not read."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInputError(f"limit must be 1 to {MAX_PAGE} and offset at least 0")
    row = conn.execute(
        text(f"""
            SELECT {HEAD_COLUMNS}, hd.unit_id, hd.building_id, hd.compound_id,
                   coalesce(cu.community_id, cb.community_id, cc.community_id) AS community_id,
                   coalesce(cu.grid_id, cb.grid_id, cc.grid_id) AS grid_id,
                   coalesce(cu.name, cb.name, cc.name) AS compound_name,
                   coalesce(bu.number, bb.number) AS building_number, u.number AS unit_number
            FROM head_effective hd
            LEFT JOIN unit u ON u.id = hd.unit_id
            LEFT JOIN building bu ON bu.id = u.building_id
            LEFT JOIN compound cu ON cu.id = bu.compound_id
            LEFT JOIN building bb ON bb.id = hd.building_id
            LEFT JOIN compound cb ON cb.id = bb.compound_id
            LEFT JOIN compound cc ON cc.id = hd.compound_id
            WHERE hd.id = :id
        """),  # noqa: S608 - constant column list
        {"id": head_id},
    ).first()
    if row is None:
        raise NotFoundError(f"head {head_id} does not exist")
    page = text(COVERED_SQL[row.role])
    scope = row.building_id if row.role == "building" else row.compound_id
    params = {"id": head_id, "scope": scope, "limit": limit, "offset": offset}
    households = conn.execute(page, params).mappings().all()
    return {
        **summary(row, reveal),
        "community_id": row.community_id,
        "grid_id": row.grid_id,
        "serves": {
            "compound": row.compound_name,
            "building": row.building_number,
            "unit": row.unit_number,
        },
        "households": {
            "total": row.load,
            "limit": limit,
            "offset": offset,
            "items": [covered_household(h, reveal and _inside(h, area)) for h in households],
        },
    }
