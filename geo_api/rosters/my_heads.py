"""An officer's heads: each head serving in their area, with their load and the gaps
around them (over target, units and buildings without a head, households without a
unit head), so the day starts with whom to call about what.

Heads whose term has ended (left_on today or before) are not listed, and households
that moved out (ended_on) count as nobody's to cover.

"Around" a head is the place they answer for: a unit head's unit (households) and
building (units), a building head's building, a compound head's compound; the
buildings without a head are counted in the head's compound, whatever their role.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo_api.catalogue.scope import Area
from geo_api.lookup.heads import HEAD_COLUMNS
from geo_api.privacy import mask_name, mask_phone
from geo_api.rosters.area import ROLE_TITLES, place_label

# Every active head of the area, with its place and the gaps of its unit, building and
# compound; the area is a community, or one grid of it (:grid).
HEADS_SQL = f"""
WITH compounds AS MATERIALIZED (
    SELECT cp.id, cp.name FROM compound cp
    WHERE cp.community_id = :community AND (CAST(:grid AS int) IS NULL OR cp.grid_id = :grid)),
units AS MATERIALIZED (
    SELECT u.id AS unit_id, b.id AS building_id, b.compound_id,
           NOT EXISTS (SELECT 1 FROM active_head hd
                       WHERE hd.role = 'unit' AND hd.unit_id = u.id) AS headless,
           (SELECT count(*) FROM household h WHERE h.unit_id = u.id AND h.ended_on IS NULL
              AND NOT EXISTS (SELECT 1 FROM assignment a
                              WHERE a.valid_to IS NULL AND a.household_id = h.id)) AS unassigned
    FROM compounds cp JOIN building b ON b.compound_id = cp.id
    JOIN unit u ON u.building_id = b.id),
buildings AS (
    SELECT building_id, compound_id, count(*) FILTER (WHERE headless) AS headless_units,
           sum(unassigned) AS unassigned
    FROM units GROUP BY building_id, compound_id),
headless_buildings AS (
    SELECT b.id, b.compound_id FROM compounds cp JOIN building b ON b.compound_id = cp.id
    WHERE NOT EXISTS (SELECT 1 FROM active_head hd
                      WHERE hd.role = 'building' AND hd.building_id = b.id)
      AND NOT EXISTS (SELECT 1 FROM place_cover pc JOIN active_head hd ON hd.id = pc.head_id
                      WHERE pc.level = 'building' AND pc.valid_to IS NULL
                        AND pc.building_id = b.id)),
compound_gaps AS (
    SELECT cp.id AS compound_id,
           coalesce((SELECT sum(headless_units) FROM buildings b
                     WHERE b.compound_id = cp.id), 0) AS headless_units,
           coalesce((SELECT sum(unassigned) FROM buildings b
                     WHERE b.compound_id = cp.id), 0) AS unassigned,
           (SELECT count(*) FROM headless_buildings hb
            WHERE hb.compound_id = cp.id) AS headless_buildings
    FROM compounds cp)
SELECT {HEAD_COLUMNS}, hd.consent_public,
       cp.id AS compound_id, cp.name AS compound, b.number AS building_number,
       b.label AS building_label, u.number AS unit_number,
       CASE hd.role WHEN 'unit' THEN (SELECT unassigned FROM units WHERE unit_id = u.id)
                    WHEN 'building' THEN bg.unassigned ELSE cg.unassigned END AS unassigned,
       CASE hd.role WHEN 'compound' THEN cg.headless_units
                    ELSE bg.headless_units END AS headless_units,
       cg.headless_buildings
FROM (SELECT e.*, h.consent_public FROM head_effective e JOIN head h ON h.id = e.id
      WHERE e.left_on IS NULL OR e.left_on > china_today()) hd
LEFT JOIN unit u ON u.id = hd.unit_id
LEFT JOIN building b ON b.id = coalesce(u.building_id, hd.building_id)
JOIN compounds cp ON cp.id = coalesce(b.compound_id, hd.compound_id)
LEFT JOIN buildings bg ON bg.building_id = b.id
JOIN compound_gaps cg ON cg.compound_id = cp.id
ORDER BY cp.name, cp.id, CASE hd.role WHEN 'compound' THEN 0 WHEN 'building' THEN 1 ELSE 2 END,
         b.number, u.number, hd.id
"""  # noqa: S608 - constant fragments; every value is bound


@dataclass(frozen=True)
class HeadGaps:
    """What is missing around a head."""

    over_target: bool  # covers more households than they should
    over_maximum: bool  # covers more than they ever may
    households_without_head: int  # in their unit (unit heads), building or compound
    units_without_head: int  # in their building (compound heads: their compound)
    buildings_without_head: int  # in their compound


@dataclass(frozen=True)
class MyHead:
    """A head of the area as an officer works with them."""

    id: int
    role: str
    title: str  # 小区长, 楼长, 单元长
    name: str
    phone: str
    place: str  # 水岸明珠3号楼2单元
    compound_id: int
    load: int
    capacity: int
    max_capacity: int
    consent_public: bool
    gaps: HeadGaps


def heads_in_area(conn: Connection, area: Area, reveal: bool = False) -> list[MyHead]:
    """Every head serving in ``area`` now, compound by compound, compound heads first;
    names and phones masked unless ``reveal`` (whose reads the caller audits)."""
    rows = conn.execute(
        text(HEADS_SQL), {"community": area.community_id, "grid": area.grid_id}
    ).all()
    return [
        MyHead(
            id=r.id,
            role=r.role,
            title=ROLE_TITLES[r.role],
            name=r.name if reveal else mask_name(r.name),
            phone=r.phone if reveal else mask_phone(r.phone),
            place=place_label(r.compound, r.building_number, r.building_label, r.unit_number),
            compound_id=r.compound_id,
            load=int(r.load),
            capacity=int(r.capacity),
            max_capacity=int(r.max_capacity),
            consent_public=bool(r.consent_public),
            gaps=HeadGaps(
                over_target=r.load > r.capacity,
                over_maximum=r.load > r.max_capacity,
                households_without_head=int(r.unassigned or 0),
                units_without_head=int(r.headless_units or 0),
                buildings_without_head=int(r.headless_buildings or 0),
            ),
        )
        for r in rows
    ]


def as_dicts(heads: list[MyHead]) -> list[dict[str, Any]]:
    """The heads as plain dicts (the API's answer)."""
    return [asdict(h) for h in heads]
