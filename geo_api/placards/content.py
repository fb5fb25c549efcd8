"""What a placard says: the place, its heads, its grid officers and the nearest
service station on foot, read from the store.

A head is named in full, with their phone, only when they agreed (consent_public);
otherwise the placard shows their name masked and no phone. A building's placard
lists the compound's head, the building's head and each unit's head; a compound's
lists its compound heads and the head of each of its buildings (a 片长 once, with
all the buildings they cover).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from geo_api.clock import today
from geo_api.errors import NotFoundError
from geo_api.lookup.heads import SERVING_HEADS, SERVING_OFFICERS
from geo_api.network.walk import EDGES_SQL, has_network
from geo_api.privacy import mask_name
from geo_api.rosters.area import ROLE_TITLES, place_label

NO_PHONE = "—"

BUILDING_SQL = text("""
SELECT b.id, b.number, b.label, cp.id AS compound_id, cp.name AS compound, cp.grid_id,
       cp.community_id, c.name AS community
FROM building b JOIN compound cp ON cp.id = b.compound_id JOIN community c ON c.id = cp.community_id
WHERE b.id = :id""")
COMPOUND_SQL = text("""
SELECT cp.id, cp.name AS compound, cp.grid_id, cp.community_id, c.name AS community
FROM compound cp JOIN community c ON c.id = cp.community_id WHERE cp.id = :id""")

# The heads serving now, with what they serve: (rank, role, id, serves, number), serves
# being a unit or the buildings a building head covers, and number its first number.
_SERVING = SERVING_HEADS.format(compound=":compound", building=":building")
BUILDING_HEADS = f"""SELECT rank, role, id, NULL AS serves, 0 AS number FROM ({_SERVING}) s
UNION SELECT 2, 'unit', hd.id, u.number || '单元', u.number
    FROM head hd JOIN unit u ON u.id = hd.unit_id
    WHERE hd.role = 'unit' AND u.building_id = :building"""  # noqa: S608 - constant SQL
COMPOUND_HEADS = """
SELECT 0 AS rank, 'compound' AS role, id, '全小区' AS serves, 0 AS number FROM head
    WHERE role = 'compound' AND compound_id = :compound
UNION SELECT 0, 'compound', head_id, '全小区', 0 FROM place_cover
    WHERE level = 'compound' AND compound_id = :compound AND valid_to IS NULL
UNION SELECT 1, 'building', s.head_id,
             string_agg(coalesce(b.label, b.number::text), '、' ORDER BY b.number) || '号楼',
             min(b.number)
    FROM (SELECT id AS head_id, building_id FROM head WHERE role = 'building'
          UNION SELECT head_id, building_id FROM place_cover
          WHERE level = 'building' AND valid_to IS NULL) s
    JOIN building b ON b.id = s.building_id WHERE b.compound_id = :compound
    GROUP BY s.head_id"""
HEADS_SQL = """
SELECT s.rank, s.role, s.serves, hd.id, hd.name, hd.phone, hd.consent_public
FROM ({serving}) s JOIN head hd ON hd.id = s.id AND hd.role = s.role
WHERE hd.left_on IS NULL OR hd.left_on > china_today()
ORDER BY s.rank, s.number, hd.id"""

# The station nearest on foot from a place: from the place's entries to the network
# (its compound's gates, or its buildings' feet), then along the streets.
WALK_SQL = f"""
WITH entries AS (
    SELECT e.vertex_id, min(ST_Distance(e.geom::geography, here.geom::geography)) AS to_entry
    FROM network_entry e, ({{here}}) here
    WHERE e.compound_id = :compound
      AND (e.building_id IS NULL OR CAST(:building AS int) IS NULL
           OR e.building_id = :building)
    GROUP BY e.vertex_id),
stations AS (
    SELECT e.vertex_id, s.name FROM network_entry e JOIN station s ON s.id = e.station_id),
costs AS (
    SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost(
        '{EDGES_SQL}', ARRAY(SELECT vertex_id FROM entries),
        ARRAY(SELECT vertex_id FROM stations), directed => false)
    WHERE EXISTS (SELECT 1 FROM entries) AND EXISTS (SELECT 1 FROM stations))
SELECT st.name, en.to_entry + c.agg_cost AS metres
FROM costs c JOIN entries en ON en.vertex_id = c.start_vid
JOIN stations st ON st.vertex_id = c.end_vid
ORDER BY metres LIMIT 1"""  # noqa: S608 - constant SQL; values are bound
STRAIGHT_SQL = """
SELECT s.name, ST_Distance(s.geom::geography, here.geom::geography) AS metres
FROM station s, ({here}) here ORDER BY metres LIMIT 1"""
HERE = {
    "building": "SELECT ST_PointOnSurface(geom) AS geom FROM building WHERE id = :building",
    "compound": "SELECT ST_PointOnSurface(geom) AS geom FROM compound WHERE id = :compound",
}


@dataclass(frozen=True)
class PlacardHead:
    """One line of the placard."""

    id: int
    title: str  # 小区长, 楼长, 单元长
    serves: str  # 全小区, 3号楼, 2单元
    name: str  # in full with consent, masked without
    phone: str  # in full with consent, NO_PHONE without
    public: bool


@dataclass(frozen=True)
class Station:
    """The service station nearest on foot (or in a straight line, said so)."""

    name: str
    metres: float
    walked: bool


@dataclass(frozen=True)
class Placard:
    """Everything a placard shows, and whom it shows in full (for the audit log)."""

    kind: str  # building or compound
    place: str  # 水岸明珠3号楼, or 水岸明珠
    community: str
    community_id: int
    grid_id: int
    heads: list[PlacardHead]
    officers: list[str]
    station: Station | None
    made_on: date
    shown: list[str] = field(default_factory=list)  # head:12, officer:3 (in full)


def building_placard(conn: Connection, building_id: int) -> Placard:
    """The placard of one building: its compound's, building's and units' heads."""
    row = conn.execute(BUILDING_SQL, {"id": building_id}).first()
    if row is None:
        raise NotFoundError(f"building {building_id} does not exist")
    params = {"compound": row.compound_id, "building": building_id}
    return _placard(
        conn,
        "building",
        place_label(row.compound, row.number, row.label),
        row,
        BUILDING_HEADS,
        params,
        {"compound": "全小区", "building": f"{row.label or row.number}号楼"},
    )


def compound_placard(conn: Connection, compound_id: int) -> Placard:
    """The placard of a compound: its compound heads and each building's head."""
    row = conn.execute(COMPOUND_SQL, {"id": compound_id}).first()
    if row is None:
        raise NotFoundError(f"compound {compound_id} does not exist")
    params = {"compound": compound_id, "building": None}
    return _placard(conn, "compound", row.compound, row, COMPOUND_HEADS, params, {})


def _placard(
    conn: Connection,
    kind: str,
    place: str,
    row: Any,
    serving: str,
    params: dict[str, int | None],
    serves: dict[str, str],
) -> Placard:
    heads = []
    shown = []
    for h in conn.execute(text(HEADS_SQL.format(serving=serving)), params):
        public = bool(h.consent_public)
        heads.append(
            PlacardHead(
                id=h.id,
                title=ROLE_TITLES[h.role],
                serves=h.serves or serves.get(h.role, ""),
                name=h.name if public else mask_name(h.name),
                phone=h.phone if public else NO_PHONE,
                public=public,
            )
        )
        if public:
            shown.append(f"head:{h.id}")
    grid_id = int(row.grid_id)
    officers = conn.execute(text(SERVING_OFFICERS.format(grid=":grid")), {"grid": grid_id}).all()
    shown += [f"officer:{o.id}" for o in officers]
    return Placard(
        kind=kind,
        place=place,
        community=str(row.community),
        community_id=int(row.community_id),
        grid_id=grid_id,
        heads=heads,
        officers=[str(o.name) for o in officers],
        station=nearest_station(conn, kind, params),
        made_on=today(),  # China's day, as the heads' terms it shows
        shown=shown,
    )


def nearest_station(conn: Connection, kind: str, params: dict[str, int | None]) -> Station | None:
    """The service station nearest on foot from the building or compound (a straight
    line where the walking network does not reach it)."""
    here = HERE[kind]
    if has_network(conn):
        walked = conn.execute(text(WALK_SQL.format(here=here)), params).first()
        if walked is not None:
            return Station(str(walked.name), float(walked.metres), walked=True)
    line = conn.execute(text(STRAIGHT_SQL.format(here=here)), params).first()
    return None if line is None else Station(str(line.name), float(line.metres), walked=False)
