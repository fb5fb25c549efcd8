"""Who must act on a gap: the nearest person above the place that lacks one.

A unit without a unit head cannot be told to its unit head: the rule climbs the
lines of responsibility from the gap's place until it finds someone in post:

- households without a head: the unit's head, else as for a unit without one;
- a unit without a head, a head over capacity: the building head, else the
  compound head, else the grid officer of the compound's grid, else the community;
- a building without a head: the compound head, else the grid officer, else the
  community;
- a compound without a head: the grid officer, else the community;
- grids, stations and walks (planning matters): the community; ground no
  community covers: the street.

Names and phones come in full: a caller that may not see them masks them
(``Actor.shown``) and one that sees them records the read (``Actor.record``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from geo_api.privacy import mask_name, mask_phone

# Where each gap type starts to look (its rank in RANK_ROLES); unknown types: community.
START = {
    "households_without_head": 1,
    "unit_without_head": 2,
    "head_over_capacity": 2,
    "building_without_head": 3,
    "compound_without_head": 4,
    "territory_without_community": 6,
}
COMMUNITY_RANK = 5
RANK_ROLES = {
    1: "unit",
    2: "building",
    3: "compound",
    4: "grid_officer",
    5: "community",
    6: "street",
}
# Person records in the audit log, by role ("head:12", "officer:3").
RECORD_KIND = {"unit": "head", "building": "head", "compound": "head", "grid_officer": "officer"}

ACTORS_SQL = """
WITH gap AS (
  SELECT * FROM unnest(CAST(:n AS int[]), CAST(:ref_type AS text[]),
                       CAST(:ref_id AS bigint[]), CAST(:start AS int[]))
    AS g(n, ref_type, ref_id, start)),
place AS (
  SELECT g.n, g.start, u.id AS unit_id, b.id AS building_id, cp.id AS compound_id,
         gr.id AS grid_id, cm.id AS community_id,
         coalesce(cm.street_id, CASE WHEN g.ref_type = 'street' THEN g.ref_id END) AS street_id
  FROM gap g
  LEFT JOIN head hd ON g.ref_type = 'head' AND hd.id = g.ref_id
  LEFT JOIN unit u ON u.id = CASE g.ref_type WHEN 'unit' THEN g.ref_id
                                             WHEN 'head' THEN hd.unit_id END
  LEFT JOIN building b ON b.id = coalesce(u.building_id,
                                          CASE WHEN g.ref_type = 'building' THEN g.ref_id END)
  LEFT JOIN compound cp ON cp.id = coalesce(b.compound_id,
                                            CASE WHEN g.ref_type = 'compound' THEN g.ref_id END)
  LEFT JOIN grid gr ON gr.id = coalesce(cp.grid_id,
                                        CASE WHEN g.ref_type = 'grid' THEN g.ref_id END)
  LEFT JOIN station s ON g.ref_type = 'station' AND s.id = g.ref_id
  LEFT JOIN community cm ON cm.id = coalesce(
      cp.community_id, gr.community_id, s.community_id,
      CASE WHEN g.ref_type = 'community' THEN g.ref_id END)),
candidate AS (
  SELECT p.n, 1 AS rank, hd.id, hd.name, hd.phone FROM place p
  JOIN active_head hd ON hd.role = 'unit' AND hd.unit_id = p.unit_id
  UNION ALL
  SELECT p.n, 2, hd.id, hd.name, hd.phone FROM place p JOIN active_head hd
    ON (hd.role = 'building' AND hd.building_id = p.building_id)
    OR hd.id IN (SELECT pc.head_id FROM place_cover pc WHERE pc.level = 'building'
                 AND pc.valid_to IS NULL AND pc.building_id = p.building_id)
  UNION ALL
  SELECT p.n, 3, hd.id, hd.name, hd.phone FROM place p JOIN active_head hd
    ON (hd.role = 'compound' AND hd.compound_id = p.compound_id)
    OR hd.id IN (SELECT pc.head_id FROM place_cover pc WHERE pc.level = 'compound'
                 AND pc.valid_to IS NULL AND pc.compound_id = p.compound_id)
  UNION ALL
  SELECT p.n, 4, o.id, o.name, o.phone FROM place p JOIN grid_officer o
    ON (o.left_on IS NULL OR o.left_on > china_today())
   AND (o.grid_id = p.grid_id
        OR o.id IN (SELECT pc.officer_id FROM place_cover pc WHERE pc.level = 'grid'
                    AND pc.valid_to IS NULL AND pc.grid_id = p.grid_id))
  UNION ALL
  SELECT p.n, 5, cm.id, cm.name, NULL FROM place p JOIN community cm ON cm.id = p.community_id
  UNION ALL
  SELECT p.n, 6, st.id, st.name, NULL FROM place p JOIN street st ON st.id = p.street_id)
SELECT DISTINCT ON (c.n) c.n, c.rank, c.id, c.name, c.phone
FROM candidate c JOIN place p ON p.n = c.n
WHERE c.rank >= p.start
ORDER BY c.n, c.rank, c.id
"""


@dataclass(frozen=True)
class Actor:
    """Who must act on a gap: a role (unit, building, compound, grid_officer, community,
    street), its record's id, a name (a person's, or the community's or street's) and
    a phone (None for a community or street)."""

    role: str
    id: int | None
    name: str | None
    phone: str | None

    @property
    def person(self) -> bool:
        """Whether the actor is a person (a head or an officer), whose details are personal."""
        return self.role in RECORD_KIND

    def shown(self, reveal: bool) -> Actor:
        """The actor as a caller sees it: in full if ``reveal``, else a person's name and
        phone masked (a community's or street's name is not personal)."""
        if reveal or not self.person:
            return self
        return replace(
            self,
            name=mask_name(self.name) if self.name else self.name,
            phone=mask_phone(self.phone) if self.phone else self.phone,
        )

    @property
    def record(self) -> str | None:
        """The audit record of a person shown in full ("head:12", "officer:3")."""
        return f"{RECORD_KIND[self.role]}:{self.id}" if self.person else None


NOBODY = Actor("community", None, None, None)


def who_acts_frame(conn: Connection, gaps: pd.DataFrame) -> list[Actor]:
    """Who must act on each gap of a frame (columns type, ref_type, ref_id), in order."""
    if not len(gaps):
        return []
    params = {
        "n": list(range(len(gaps))),
        "ref_type": [str(r) for r in gaps["ref_type"]],
        "ref_id": [int(r) for r in gaps["ref_id"]],
        "start": [START.get(str(t), COMMUNITY_RANK) for t in gaps["type"]],
    }
    found = {r.n: r for r in conn.execute(text(ACTORS_SQL), params)}
    out = []
    for n in range(len(gaps)):
        row = found.get(n)
        if row is None:
            out.append(NOBODY)
        else:
            out.append(Actor(RANK_ROLES[row.rank], int(row.id), row.name, row.phone))
    return out


def who_acts(conn: Connection, gap: Mapping[str, Any]) -> Actor:
    """Who must act on one gap (a mapping with type, ref_type and ref_id, as a row of
    geo_api.gaps.finder.find_gaps)."""
    frame = pd.DataFrame([{k: gap[k] for k in ("type", "ref_type", "ref_id")}])
    return who_acts_frame(conn, frame)[0]
