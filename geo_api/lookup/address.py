"""Lookup by Chinese address: the household (or unit) an officer names, and its heads.

The address is parsed (geo_api.address) and its compound matched against the
store's names, forgiving typos, dropped suffixes and zones (水岸明珠B区 finds a
compound 水岸明珠B区, or 水岸明珠; the zone is in ``parsed``). A lettered building
(12A号楼, A座, 3号楼B座) is matched on ``building.label``, a plain number on
``building.number`` among buildings without a label. When the compound is certain
and the building, unit and room exist, the answer is that household and its chain
of heads; when only part of it is known, the deepest place found and its heads;
otherwise the closest candidates, so that the officer can pick one. A compound
name shared by several communities is ambiguous unless the address names the
community.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo_api.address.match import match_address
from geo_api.address.parse import parse_address
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.lookup.households import household_chain
from geo_api.lookup.point import lookup_point

CERTAIN = 0.9  # a match at least this good, and clearly ahead of the next, is taken
COMPOUNDS = (
    "SELECT cp.id, cp.name, cp.community_id, cp.grid_id, c.name AS community "
    "FROM compound cp JOIN community c ON c.id = cp.community_id"
)
PLACE = """
SELECT b.id AS building_id, u.id AS unit_id, h.id AS household_id,
       ST_X(ST_PointOnSurface(coalesce(u.geom, b.geom))) AS lon,
       ST_Y(ST_PointOnSurface(coalesce(u.geom, b.geom))) AS lat
FROM building b
LEFT JOIN unit u ON u.building_id = b.id AND u.number = :unit
LEFT JOIN household h ON h.unit_id = u.id AND h.ended_on IS NULL AND h.room = :room
WHERE b.compound_id = :compound AND """
# A plain number names a building without a letter: a lettered one's number is only
# its place in the compound's sequence, which nobody writes.
PLACE_SQL = text(PLACE + "b.number = :building AND b.label IS NULL")
LABELLED_PLACE_SQL = text(PLACE + "b.label = :label")
COMPOUND_POINT_SQL = text(
    "SELECT ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat "
    "FROM compound WHERE id = :id"
)


def lookup_address(
    conn: Connection,
    query: str,
    community_id: int | None = None,
    reveal: bool = False,
    grid_id: int | None = None,
) -> dict[str, Any]:
    """See the module docstring; with ``community_id`` (and ``grid_id``), only that
    community's (grid's) compounds are searched. Raises InvalidInputError for an
    address with no compound, NotFoundError when no compound is anywhere near."""
    parsed = parse_address(query)
    if parsed.compound is None:
        raise InvalidInputError(
            f"address {query!r} names no compound: "
            "write it as 小区名3号楼2单元501室, 小区名3-2-501 or Name 111, 3-2-501"
        )
    rows = [r for r in conn.execute(text(COMPOUNDS)).all()
            if community_id in (None, r.community_id) and grid_id in (None, r.grid_id)]  # fmt: skip
    if parsed.community:
        rows = [r for r in rows if parsed.community in r.community] or rows
    matches = match_address(parsed, sorted({r.name for r in rows}))
    if not matches:
        raise NotFoundError(f"no compound like {parsed.compound!r} in the store")
    candidates = [
        {"compound_id": r.id, "compound": r.name, "community": r.community, "score": score}
        for name, score in matches
        for r in rows
        if r.name == name
    ]
    answer: dict[str, Any] = {
        "query": query,
        "parsed": {
            k: getattr(parsed, k)
            for k in ("community", "compound", "zone", "building", "building_label", "unit", "room")
        },
        "candidates": candidates,
        "found": None,
        "household": None,
        "place": None,
    }
    best = candidates[0]
    runner_up = candidates[1]["score"] if len(candidates) > 1 else 0.0
    if best["score"] < CERTAIN or runner_up >= best["score"]:
        return answer  # ambiguous: the officer picks a candidate
    where = (parsed.building, parsed.building_label, parsed.unit, parsed.room)
    return _place(conn, answer, best["compound_id"], where, reveal)


def _place(
    conn: Connection,
    answer: dict[str, Any],
    compound_id: int,
    where: tuple[int | None, str | None, int | None, str | None],
    reveal: bool,
) -> dict[str, Any]:
    """The deepest place of the address that exists, with its heads."""
    building, label, unit, room = where
    found = "compound"
    point = conn.execute(COMPOUND_POINT_SQL, {"id": compound_id}).one()
    if building is not None or label is not None:
        row = conn.execute(
            PLACE_SQL if label is None else LABELLED_PLACE_SQL,
            {
                "compound": compound_id,
                "building": building,
                "label": label,
                "unit": unit,
                "room": room,
            },
        ).first()
        if row is not None:
            found = "building"
            point = row
            if row.unit_id is not None:
                found = "unit"
            if row.household_id is not None:
                found = "household"
                answer["household"] = household_chain(conn, int(row.household_id), reveal=reveal)
    answer["found"] = found
    place = lookup_point(conn, float(point.lon), float(point.lat), reveal)
    # The point stands for the place found: what lies deeper there was not asked for.
    deeper = {"compound": ("building", "unit"), "building": ("unit",)}.get(found, ())
    for level in deeper:
        place[level] = None
    place["heads"] = [h for h in place["heads"] if h["role"] not in deeper]
    answer["place"] = place
    return answer
