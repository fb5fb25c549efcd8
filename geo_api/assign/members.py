"""Registered party members (报到党员) placed in the community where they live.

In order of trust: the household they are linked to; the community polygon
that covers their point; their written address, parsed and matched to a known
compound (and, when the address names one, its community). A member nothing
places keeps whatever community they registered with (placed_by stays empty:
unverified) and is reported with the closest candidates, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from geo_api.address import ParsedAddress, compound_key, match_address, parse_address

BY_HOUSEHOLD = """
UPDATE member m SET community_id = cp.community_id, placed_by = 'household'
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id
WHERE h.id = m.household_id
  AND (m.community_id IS DISTINCT FROM cp.community_id OR m.placed_by IS DISTINCT FROM 'household')
"""
# A point on a shared boundary goes to the community with the lowest id, so that
# a member is never counted twice.
BY_POINT = """
UPDATE member m SET community_id = inside.id, placed_by = 'point'
FROM (SELECT DISTINCT ON (m2.id) m2.id AS member_id, c.id FROM member m2
      JOIN community c ON ST_Covers(c.geom, m2.geom)
      WHERE m2.household_id IS NULL AND m2.geom IS NOT NULL
      ORDER BY m2.id, c.id) inside
WHERE m.id = inside.member_id
  AND (m.community_id IS DISTINCT FROM inside.id OR m.placed_by IS DISTINCT FROM 'point')
"""
# Members left to place by address: once placed, an address is not matched again
# (an import that changes a member's address clears placed_by).
UNPLACED = """
SELECT m.id, m.address FROM member m
WHERE m.household_id IS NULL AND m.placed_by IS DISTINCT FROM 'address'
  AND (m.geom IS NULL OR NOT EXISTS (SELECT 1 FROM community c WHERE ST_Covers(c.geom, m.geom)))
ORDER BY m.id
"""
COMPOUNDS = """
SELECT cp.name AS compound, cp.community_id, cm.name AS community, st.name AS street
FROM compound cp JOIN community cm ON cm.id = cp.community_id
JOIN street st ON st.id = cm.street_id
"""
# A fuzzy match places a member only when it is this close and clearly the best.
ACCEPT_SCORE = 0.85


@dataclass
class Unplaced:
    """A member nothing could place, with why and the closest known compounds."""

    member_id: int
    address: str | None
    reason: str
    candidates: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class MemberReport:
    """Members placed by each means, those left unplaced, and counts per community."""

    by_household: int
    by_point: int
    by_address: int
    unplaced: list[Unplaced]
    per_community: dict[str, int]


def place_members(conn: Connection) -> MemberReport:
    """Set every member's community from where they live; returns what was done."""
    conn.execute(text(BY_HOUSEHOLD))
    conn.execute(text(BY_POINT))
    waiting = pd.read_sql_query(text(UNPLACED), conn)
    known = Known.load(conn)
    placed: list[tuple[int, int]] = []
    unplaced: list[Unplaced] = []
    for member_id, address in zip(waiting["id"], waiting["address"], strict=True):
        community, problem = _by_address(address, known)
        if community is None:
            unplaced.append(problem)
            problem.member_id = int(member_id)
        else:
            placed.append((int(member_id), community))
    if placed:
        conn.execute(
            text(
                "UPDATE member SET community_id = :c, placed_by = 'address' WHERE id = :m "
                "AND (community_id IS DISTINCT FROM :c OR placed_by IS DISTINCT FROM 'address')"
            ),
            [{"m": m, "c": c} for m, c in placed],
        )
    counts = conn.execute(
        text(
            "SELECT placed_by, count(*) FROM member WHERE placed_by IS NOT NULL GROUP BY placed_by"
        )
    ).all()
    by = {str(k): int(v) for k, v in counts}
    per_community = conn.execute(
        text(
            "SELECT c.name, count(m.id) FROM community c LEFT JOIN member m "
            "ON m.community_id = c.id GROUP BY c.id, c.name ORDER BY c.id"
        )
    ).all()
    return MemberReport(
        by_household=by.get("household", 0),
        by_point=by.get("point", 0),
        by_address=by.get("address", 0),
        unplaced=unplaced,
        per_community={str(name): int(n) for name, n in per_community},
    )


@dataclass
class Known:
    """The store's compounds, indexed for matching addresses.

    Names repeat: a province's counties each have their 幸福小区 and their 路东街道.
    An address is matched first among the compounds of the street it names (its
    county and street as the store names the street, 曲沃县路东街道, or the street
    alone) and of the community it names there, then ever wider: the community
    anywhere, the street, every compound. An exact name is looked for in each of
    those before any fuzzy match, so a street written wrong does not hide the one
    compound of that name elsewhere."""

    names: list[str] = field(default_factory=list)  # compound name, one per compound
    communities: list[int] = field(default_factory=list)  # each compound's community id
    by_key: dict[str, list[int]] = field(default_factory=dict)  # key (no 小区) -> compounds
    by_street: dict[str, set[int]] = field(default_factory=dict)  # street name -> compounds
    by_community: dict[tuple[str | None, str], set[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection) -> Known:
        return cls.of(conn.execute(text(COMPOUNDS)))

    @classmethod
    def of(cls, rows: Iterable[Sequence[Any]]) -> Known:
        """From (compound, community id, community, street) rows."""
        known = cls()
        for i, (name, community_id, community, street) in enumerate(rows):
            known.names.append(name)
            known.communities.append(int(community_id))
            known.by_key.setdefault(compound_key(name), []).append(i)
            known.by_street.setdefault(street, set()).add(i)
            known.by_community.setdefault((street, community), set()).add(i)
            known.by_community.setdefault((None, community), set()).add(i)
        return known

    def street(self, parsed: ParsedAddress) -> str | None:
        """The stored street an address names: its region's end and its street
        (临汾市曲沃县 + 路东街道 is 曲沃县路东街道), longest first, else the street."""
        if not parsed.street:
            return None
        region = parsed.region or ""
        named = [region[i:] + parsed.street for i in range(len(region) + 1)]
        return next((s for s in named if s in self.by_street), None)

    def pools(self, parsed: ParsedAddress) -> list[set[int] | None]:
        """The compounds an address may mean, narrowest first; None: every compound."""
        street, community = self.street(parsed), parsed.community
        found: list[set[int] | None] = []
        if community:  # in the street it names, else anywhere (the finer of the two)
            scopes = dict.fromkeys([(street, community), (None, community)])
            found += [self.by_community[s] for s in scopes if s in self.by_community]
        if street is not None:
            found.append(self.by_street[street])
        return [*found, None]


def _by_address(address: str | None, known: Known) -> tuple[int | None, Unplaced]:
    """The community of a written address, or why there is none."""
    if not address or not address.strip():
        return None, Unplaced(0, address, "no point inside the city and no address")
    parsed = parse_address(address)
    pools = known.pools(parsed)
    same_key = known.by_key.get(parsed.compound_key or "", [])
    for pool in pools:  # the usual case, fast: the compound's very name
        exact = {known.communities[i] for i in same_key if pool is None or i in pool}
        if len(exact) == 1:
            return next(iter(exact)), Unplaced(0, address, "")
    problem = Unplaced(0, address, "no known compound in the address")
    for pool in pools:
        within = range(len(known.names)) if pool is None else pool
        ranked = match_address(parsed, sorted({known.names[i] for i in within}))
        if not ranked:
            continue
        best, score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        owners = {known.communities[i] for i in within if known.names[i] == best}
        if score >= ACCEPT_SCORE and score > runner_up and len(owners) == 1:
            return next(iter(owners)), Unplaced(0, address, "")
        why = (
            f"compound {best} is in {len(owners)} communities; the address names none"
            if len(owners) > 1
            else "no compound matches closely enough"
        )
        problem = Unplaced(0, address, why, ranked)
    return None, problem
