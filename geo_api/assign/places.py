"""Buildings to building heads, compounds to compound heads, grids to grid officers.

A place with someone of its own (the head of that building or compound, the
officer of that grid) is theirs. A place with nobody goes to the nearest
person of its group (the compound for a building, as a 片长 covers several
small buildings; the grid, then the community, for a compound; the community
for a grid) who still has room: households for heads (their max_capacity),
grids for officers (their max_grids). A place keeps whoever covered it before
while that person may, so re-runs move nothing. Places nobody can take stay
uncovered: the gap finder reports them.

Like household assignments, covers are history: a change closes the old row
(valid_to) and opens a new one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.db.bulk import copy_frame
from geo_api.geo.crs import city_epsg, to_metres

# Per level: the places (id, groups from nearest to widest, size, previous
# cover) and the people who may cover them (id, own place, groups, room).
PLACES_SQL = {
    "building": """
        SELECT b.id, b.compound_id AS group0, b.compound_id AS group1,
               (SELECT count(*) FROM unit u JOIN household h ON h.unit_id = u.id
                WHERE u.building_id = b.id AND h.ended_on IS NULL) AS size,
               ST_X(ST_PointOnSurface(b.geom)) AS lon, ST_Y(ST_PointOnSurface(b.geom)) AS lat,
               pc.head_id AS previous, pc.reason AS previous_reason
        FROM building b
        LEFT JOIN place_cover pc ON pc.building_id = b.id AND pc.level = 'building'
             AND pc.valid_to IS NULL
        WHERE CAST(:all AS boolean) OR b.compound_id IN (
            SELECT id FROM compound WHERE community_id = ANY(CAST(:communities AS int[])))
        ORDER BY b.id""",
    "compound": """
        SELECT cp.id, cp.grid_id AS group0, cp.community_id AS group1,
               (SELECT count(*) FROM building b JOIN unit u ON u.building_id = b.id
                JOIN household h ON h.unit_id = u.id
                WHERE b.compound_id = cp.id AND h.ended_on IS NULL) AS size,
               ST_X(ST_PointOnSurface(cp.geom)) AS lon, ST_Y(ST_PointOnSurface(cp.geom)) AS lat,
               pc.head_id AS previous, pc.reason AS previous_reason
        FROM compound cp
        LEFT JOIN place_cover pc ON pc.compound_id = cp.id AND pc.level = 'compound'
             AND pc.valid_to IS NULL
        WHERE CAST(:all AS boolean) OR cp.community_id = ANY(CAST(:communities AS int[]))
        ORDER BY cp.id""",
    "grid": """
        SELECT g.id, g.community_id AS group0, g.community_id AS group1, 1 AS size,
               ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat,
               pc.officer_id AS previous, pc.reason AS previous_reason
        FROM grid g
        LEFT JOIN place_cover pc ON pc.grid_id = g.id AND pc.level = 'grid'
             AND pc.valid_to IS NULL
        WHERE CAST(:all AS boolean) OR g.community_id = ANY(CAST(:communities AS int[]))
        ORDER BY g.id""",
}
COVERERS_SQL = {
    "building": """
        SELECT hd.id, hd.building_id AS own, b.compound_id AS group0, b.compound_id AS group1,
               hd.max_capacity AS room
        FROM active_head hd JOIN building b ON b.id = hd.building_id
        WHERE hd.role = 'building' AND (CAST(:all AS boolean) OR b.compound_id IN
              (SELECT id FROM compound WHERE community_id = ANY(CAST(:communities AS int[]))))
        ORDER BY hd.id""",
    "compound": """
        SELECT hd.id, hd.compound_id AS own, cp.grid_id AS group0, cp.community_id AS group1,
               hd.max_capacity AS room
        FROM active_head hd JOIN compound cp ON cp.id = hd.compound_id
        WHERE hd.role = 'compound'
          AND (CAST(:all AS boolean) OR cp.community_id = ANY(CAST(:communities AS int[])))
        ORDER BY hd.id""",
    "grid": """
        SELECT o.id, o.grid_id AS own, o.community_id AS group0, o.community_id AS group1,
               o.max_grids AS room
        FROM grid_officer o
        WHERE (o.left_on IS NULL OR o.left_on > china_today())
          AND (CAST(:all AS boolean) OR o.community_id = ANY(CAST(:communities AS int[])))
        ORDER BY o.id""",
}
WHO = {"building": "head_id", "compound": "head_id", "grid": "officer_id"}
# The parameters that limit the reads to some communities (all: the whole city).
Scope = dict[str, bool | list[int]]


@dataclass
class CoverReport:
    """One level's outcome: places, covered by their own, by the nearest, not at all."""

    level: str
    places: int
    own: int
    nearest: int
    uncovered: int
    changed: int


def assign_places(
    conn: Connection, run_id: int | None, epsg: int, communities: list[int] | None = None
) -> list[CoverReport]:
    """Cover every building, compound and grid (of ``communities`` only, when given:
    no place is covered across a community); write the changes; report per level."""
    scope: Scope = {"all": communities is None, "communities": communities or []}
    return [_assign_level(conn, level, run_id, epsg, scope) for level in PLACES_SQL]


def assign_grids(conn: Connection, communities: Collection[int]) -> CoverReport:
    """Cover again the grids of ``communities`` only (officers never cover a grid of
    another community): the incremental run after a change of grid officers."""
    within = sorted({int(c) for c in communities})
    centre = conn.execute(
        text(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(geom)) AS c "
            "FROM community WHERE id = ANY(:ids)) s"
        ),
        {"ids": within},
    ).one()
    if centre[0] is None:
        return CoverReport("grid", 0, 0, 0, 0, 0)
    scope: Scope = {"all": False, "communities": within}
    return _assign_level(conn, "grid", None, city_epsg(centre[0], centre[1]), scope)


def _assign_level(
    conn: Connection, level: str, run_id: int | None, epsg: int, scope: Scope
) -> CoverReport:
    places = pd.read_sql_query(text(PLACES_SQL[level]), conn, params=scope)
    people = pd.read_sql_query(text(COVERERS_SQL[level]), conn, params=scope)
    chosen = choose_covers(places, people, epsg, counts_size=level != "grid")
    ids = None if scope["all"] else places["id"].astype(int).tolist()
    changed = _write(conn, level, chosen, run_id, ids)
    reasons = chosen["reason"].value_counts()
    return CoverReport(
        level=level,
        places=len(places),
        own=int(reasons.get("own", 0)),
        nearest=int(reasons.get("nearest", 0)),
        uncovered=len(places) - len(chosen),
        changed=changed,
    )


def choose_covers(
    places: pd.DataFrame, people: pd.DataFrame, epsg: int, counts_size: bool = True
) -> pd.DataFrame:
    """Who covers which place: (place_id, who, reason, distance_m), covered places only.

    ``room`` is in households when ``counts_size`` (heads), else in places
    (officers, who cover up to max_grids grids).
    """
    if places.empty or people.empty:
        return pd.DataFrame(columns=["place_id", "who", "reason", "distance_m"])
    xy = to_metres(places["lon"].to_numpy(), places["lat"].to_numpy(), epsg)
    ids = places["id"].to_numpy(dtype=np.int64)
    place_groups = [places[c].to_numpy(dtype=np.int64) for c in ("group0", "group1")]
    previous = places["previous"].astype("Int64").to_numpy(dtype=np.int64, na_value=-1)
    size = places["size"].to_numpy(dtype=np.int64) if counts_size else np.ones(len(ids), np.int64)
    where = {int(p): k for k, p in enumerate(ids)}
    # A person stands at their own place; one without (an officer with no grid of
    # their own) has nowhere to measure from and covers nothing.
    person_ids = people["id"].to_numpy(dtype=np.int64)
    own_place = people["own"].astype("Int64").to_numpy(dtype=np.int64, na_value=-1)
    home = {
        int(p): xy[where[int(o)]] for p, o in zip(person_ids, own_place, strict=True) if o in where
    }
    load = dict.fromkeys(home, 0)
    room = dict(
        zip(person_ids.tolist(), people["room"].to_numpy(dtype=np.int64).tolist(), strict=True)
    )
    groups: list[dict[int, list[int]]] = [{}, {}]
    for g, column in enumerate(("group0", "group1")):
        for p, key in zip(
            person_ids.tolist(), people[column].to_numpy(dtype=np.int64).tolist(), strict=True
        ):
            if p in home:
                groups[g].setdefault(key, []).append(p)
    rows: list[tuple[int, int, str, float]] = []
    taken = np.zeros(len(ids), dtype=bool)

    def take(k: int, person: int, reason: str) -> None:
        distance = float(np.hypot(*(home[person] - xy[k])))
        rows.append((int(ids[k]), person, reason, round(distance, 2)))
        load[person] += int(size[k])
        taken[k] = True

    # Their own place first, whatever its size: one place, one person of its own.
    for p, o in zip(person_ids.tolist(), own_place.tolist(), strict=True):
        if p in home and not taken[where[o]]:
            take(where[o], p, "own")
    # Stability: a place keeps its previous coverer while they have room (and the
    # reason it had: a grid given by hand stays "assigned").
    kept_reason = (
        places["previous_reason"].where(places["previous_reason"] == "assigned", "nearest")
        if "previous_reason" in places
        else pd.Series("nearest", index=places.index)
    ).to_numpy()
    kept = np.flatnonzero(~taken & (previous >= 0)).tolist()
    for k in sorted(kept, key=lambda k: kept_reason[k] != "assigned"):  # by hand first
        p = int(previous[k])
        if p in groups[0].get(int(place_groups[0][k]), ()) and load[p] + size[k] <= room[p]:
            take(k, p, str(kept_reason[k]))
    for k in np.flatnonzero(~taken).tolist():
        for g in (0, 1):
            open_people = [
                p
                for p in groups[g].get(int(place_groups[g][k]), [])
                if load[p] + size[k] <= room[p]
            ]
            if open_people:
                gaps = [float(np.hypot(*(home[p] - xy[k]))) for p in open_people]
                take(k, open_people[int(np.argmin(gaps))], "nearest")
                break
    return pd.DataFrame(rows, columns=["place_id", "who", "reason", "distance_m"])


def _write(
    conn: Connection, level: str, chosen: pd.DataFrame, run_id: int | None, ids: list[int] | None
) -> int:
    """Close the covers that changed, open the new ones; returns how many places changed
    (covered by someone else, newly covered, or no longer covered). With ``ids``, only
    those places' covers are touched (a run over some communities)."""
    place, who = f"{level}_id", WHO[level]
    conn.execute(text("DROP TABLE IF EXISTS new_cover"))
    conn.execute(
        text(
            "CREATE TEMP TABLE new_cover (place_id int PRIMARY KEY, who int, reason text, "
            "distance_m float8) ON COMMIT DROP"
        )
    )
    copy_frame(conn, "new_cover", chosen, ["place_id", "who", "reason", "distance_m"])
    closed = (
        conn.execute(
            text(f"""
            UPDATE place_cover pc SET valid_to = now()
            WHERE pc.level = CAST(:level AS text) AND pc.valid_to IS NULL
              AND (CAST(:all AS boolean) OR pc.{place} = ANY(CAST(:ids AS int[]))) AND NOT EXISTS (
                SELECT 1 FROM new_cover n WHERE n.place_id = pc.{place} AND n.who = pc.{who}
                  AND n.reason = pc.reason)
            RETURNING pc.{place}
        """),  # noqa: S608 - identifiers from the constant WHO table
            {"level": level, "all": ids is None, "ids": ids or []},
        )
        .scalars()
        .all()
    )
    opened = (
        conn.execute(
            text(f"""
            INSERT INTO place_cover (level, {place}, {who}, reason, distance_m, run_id)
            SELECT CAST(:level AS text), n.place_id, n.who, n.reason, n.distance_m, :run
            FROM new_cover n
            WHERE NOT EXISTS (SELECT 1 FROM place_cover pc WHERE pc.level = CAST(:level AS text)
                              AND pc.valid_to IS NULL AND pc.{place} = n.place_id)
            RETURNING {place}
        """),  # noqa: S608 - identifiers from the constant WHO table
            {"level": level, "run": run_id},
        )
        .scalars()
        .all()
    )
    return len(set(closed) | set(opened))
