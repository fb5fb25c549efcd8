"""Run the assignment engine over the store: load, solve per community, write.

Writes are a diff against the current assignment: unchanged pairs are kept
(their history untouched), changed ones are closed (valid_to) and reopened, so
a re-run on unchanged data moves nobody and every run reports its churn. An
advisory lock keeps two runs from interleaving; a failing run rolls back and
leaves the previous assignment in place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.assign.members import MemberReport, place_members
from geo_api.assign.parallel import SOLVERS, Task, default_workers, solve_tasks
from geo_api.assign.places import CoverReport, assign_places
from geo_api.assign.solver import UNASSIGNED, Heads, Households
from geo_api.db.bulk import copy_frame, read_frame
from geo_api.errors import BusyError, InvalidInputError, StoreNotReadyError
from geo_api.geo.crs import city_epsg, to_metres

LOCK_KEY = 0x67726964  # "grid": one assignment run at a time across the store

# Every household with its place and its current assignment, in one read.
HOUSEHOLDS_SQL = """
SELECT h.id, h.unit_id AS unit, u.building_id AS building, b.compound_id AS compound,
       c.grid_id AS grid, c.community_id AS community, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat,
       coalesce(a.head_id, -1) AS previous, coalesce(a.locked, false) AS locked, a.reason
FROM household h
JOIN unit u ON u.id = h.unit_id
JOIN building b ON b.id = u.building_id
JOIN compound c ON c.id = b.compound_id
LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
WHERE h.ended_on IS NULL AND {scope}
"""

HEADS_SQL = """
SELECT hd.id, hd.unit_id AS unit, u.building_id AS building, b.compound_id AS compound,
       c.grid_id AS grid, c.community_id AS community, hd.capacity, hd.max_capacity,
       ST_X(home.geom) AS lon, ST_Y(home.geom) AS lat
FROM active_head hd
JOIN unit u ON u.id = hd.unit_id
JOIN building b ON b.id = u.building_id
JOIN compound c ON c.id = b.compound_id
JOIN household home ON home.id = hd.household_id
WHERE hd.role = 'unit' AND {scope}
"""


def take_run_lock(conn: Connection) -> None:
    """Hold the store's assignment lock until the transaction ends, or refuse at once:
    two runs never interleave, and the second caller hears why instead of waiting."""
    if not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY}).scalar():
        raise BusyError("another assignment run is in progress: try again when it has finished")


@dataclass
class RunReport:
    """What one run did."""

    run_id: int
    households: int
    assigned: int
    unassigned: int
    kept: int
    moved: int  # the churn: households whose head changed
    added: int  # households that had no head and have one now
    dropped: int  # households that had a head and have none now
    seconds: float
    by_reason: dict[str, int] = field(default_factory=dict)
    places: list[CoverReport] = field(default_factory=list)  # buildings, compounds, grids
    members: MemberReport | None = None
    communities: list[int] | None = None  # those solved; None: the whole city


# A unit head must live in the community they serve: their home is where the
# engine measures from, and no assignment may cross a community.
MISPLACED_HEADS_SQL = """
SELECT hd.id, hd.household_id, sc.name AS serves, hc.name AS lives
FROM active_head hd
JOIN unit su ON su.id = hd.unit_id JOIN building sb ON sb.id = su.building_id
JOIN compound scp ON scp.id = sb.compound_id JOIN community sc ON sc.id = scp.community_id
JOIN household home ON home.id = hd.household_id
JOIN unit hu ON hu.id = home.unit_id JOIN building hb ON hb.id = hu.building_id
JOIN compound hcp ON hcp.id = hb.compound_id JOIN community hc ON hc.id = hcp.community_id
WHERE hd.role = 'unit' AND sc.id <> hc.id
  AND (CAST(:all AS boolean) OR sc.id = ANY(CAST(:communities AS int[])))
ORDER BY hd.id
"""


# A head must be somewhere to measure from, and their maximum must allow their
# target (a head's own target above the community's maximum does not).
UNPLACED_HEADS_SQL = """
SELECT hd.id, hd.household_id FROM active_head hd JOIN household home ON home.id = hd.household_id
JOIN unit u ON u.id = hd.unit_id JOIN building b ON b.id = u.building_id
JOIN compound c ON c.id = b.compound_id
WHERE hd.role = 'unit' AND (home.geom IS NULL OR ST_IsEmpty(home.geom))
  AND (CAST(:all AS boolean) OR c.community_id = ANY(CAST(:communities AS int[])))
ORDER BY hd.id
"""
CAPACITY_SQL = """
SELECT hd.id, hd.capacity, hd.max_capacity FROM active_head hd
JOIN unit u ON u.id = hd.unit_id JOIN building b ON b.id = u.building_id
JOIN compound c ON c.id = b.compound_id
WHERE hd.role = 'unit' AND (hd.capacity <= 0 OR hd.max_capacity < hd.capacity)
  AND (CAST(:all AS boolean) OR c.community_id = ANY(CAST(:communities AS int[])))
ORDER BY hd.id
"""


def _refuse(rows: list[Any], what: str, say: Callable[[Any], str]) -> None:
    if rows:
        listed = "; ".join(say(r) for r in rows[:5])
        more = f" (and {len(rows) - 5} more)" if len(rows) > 5 else ""
        raise InvalidInputError(f"{len(rows)} unit heads {what}: {listed}{more}")


def _scope(communities: list[int] | None) -> dict[str, Any]:
    """The parameters that limit a read to some communities (None: the whole city)."""
    return {"all": communities is None, "communities": sorted(set(communities or []))}


def check_heads(conn: Connection, communities: list[int] | None = None) -> None:
    """Refuse to run on heads the engine cannot place or fill: living outside the
    community they serve, with no location, or with a maximum below their target."""
    scope = _scope(communities)
    _refuse(
        list(conn.execute(text(MISPLACED_HEADS_SQL), scope)),
        "live in another community",
        lambda r: f"head {r.id} serves {r.serves} but household {r.household_id} is in {r.lives}",
    )
    _refuse(
        list(conn.execute(text(UNPLACED_HEADS_SQL), scope)),
        "have no location",
        lambda r: f"head {r.id} lives in household {r.household_id}, which has no point",
    )
    _refuse(
        list(conn.execute(text(CAPACITY_SQL), scope)),
        "have a maximum below their target",
        lambda r: f"head {r.id} should cover {r.capacity} but may cover at most {r.max_capacity}",
    )


def _frames(
    conn: Connection, communities: list[int] | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """Households and heads to solve, the locked assignments, and the metric CRS."""
    # COPY takes no parameters: the communities are written in as integers.
    listed = ",".join(str(int(c)) for c in communities or [])
    where = "true" if communities is None else f"c.community_id = ANY('{{{listed}}}'::int[])"
    homes = read_frame(conn, HOUSEHOLDS_SQL.format(scope=where))
    if homes.empty and communities is None:
        raise StoreNotReadyError("the store has no households: load a city first (gridgov demo)")
    homes["previous"] = homes["previous"].astype("int64")  # UNASSIGNED (-1) when none
    heads = read_frame(conn, HEADS_SQL.format(scope=where))
    locked = homes.loc[homes["locked"].astype(bool), ["id", "previous", "reason"]].rename(
        columns={"id": "household_id", "previous": "head_id"}
    )
    _check_locks(locked, heads)
    # Locked households are not solved again; their heads have that much less room.
    held = heads["id"].map(locked.groupby("head_id").size()).fillna(0).astype(int)
    heads["capacity"] = (heads["capacity"] - held).clip(lower=0)
    heads["max_capacity"] = heads["max_capacity"] - held
    epsg = _epsg(conn, homes)
    homes = homes[~homes["id"].isin(locked["household_id"])].reset_index(drop=True)
    return homes, heads, locked, epsg


def _epsg(conn: Connection, homes: pd.DataFrame) -> int:
    """The city's metric CRS: from the households read, or the city's when none were."""
    if homes.empty:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)) c FROM street) s"
            )
        ).one()
        return city_epsg(float(lon or 0.0), float(lat or 0.0))
    return city_epsg(float(homes["lon"].mean()), float(homes["lat"].mean()))


def _check_locks(locked: pd.DataFrame, heads: pd.DataFrame) -> None:
    """A lock must point at a serving head, and no head may hold more locks than it may."""
    gone = locked[~locked["head_id"].isin(heads["id"])]
    if len(gone):
        row = gone.iloc[0]
        raise InvalidInputError(
            f"household {row.household_id} is locked to head {row.head_id}, who no longer "
            f"serves: unlock or move it ({len(gone)} such locks)"
        )
    held = locked.groupby("head_id").size()
    cap = heads.set_index("id")["max_capacity"]
    over = held[held > cap.reindex(held.index)]
    if len(over):
        head_id = int(over.index[0])
        raise InvalidInputError(
            f"head {head_id} has {int(over.iloc[0])} locked households, more than its maximum "
            f"of {int(cap[head_id])}: unlock or move some"
        )


def _tasks(homes: pd.DataFrame, heads: pd.DataFrame, epsg: int, solver: str) -> list[Task]:
    """One independent unit of work per community: its households and unit heads."""
    homes_xy = to_metres(homes["lon"].to_numpy(), homes["lat"].to_numpy(), epsg)
    heads_xy = to_metres(heads["lon"].to_numpy(), heads["lat"].to_numpy(), epsg)
    head_groups = heads.groupby("community").indices
    tasks = []
    places = ("id", "unit", "building", "compound", "grid")
    for community, rows in homes.groupby("community").indices.items():
        h_rows = head_groups.get(community, np.array([], dtype=int))
        sub, hd = homes.iloc[rows], heads.iloc[h_rows]
        tasks.append(
            Task(
                int(str(community)),
                solver,
                Households(
                    **{c: sub[c].to_numpy() for c in places},
                    xy=homes_xy[rows],
                    previous=sub["previous"].to_numpy(),
                ),
                Heads(
                    **{c: hd[c].to_numpy() for c in places},
                    capacity=hd["capacity"].to_numpy(),
                    max_capacity=hd["max_capacity"].to_numpy(),
                    xy=heads_xy[h_rows],
                ),
            )
        )
    return tasks


def _solve_all(
    tasks: list[Task], workers: int, progress: Callable[[int], None] | None
) -> pd.DataFrame:
    """Solve every community on its own, on ``workers`` processes; a row per household."""
    parts = []
    for part in solve_tasks(tasks, workers):
        parts.append(part)
        if progress:
            progress(len(part))
    if not parts:  # every household locked
        return pd.DataFrame(columns=["household_id", "head_id", "reason", "distance_m"])
    return pd.concat(parts, ignore_index=True)


CLOSE_SQL = """
UPDATE assignment a SET valid_to = now()
FROM (SELECT a2.id FROM assignment a2
      LEFT JOIN new_assignment n ON n.household_id = a2.household_id
      WHERE a2.valid_to IS NULL AND NOT a2.locked
        AND (n.head_id IS NULL OR n.head_id <> a2.head_id)
        {scope}) gone
WHERE a.id = gone.id
RETURNING a.household_id
"""
# A run over some communities closes only the assignments of the households it solved.
_SOLVED = "AND a2.household_id IN (SELECT id FROM run_scope)"
# After CLOSE_SQL, a household still with a current row keeps its head unchanged.
KEEP_SQL = """
DELETE FROM new_assignment n USING assignment a
WHERE a.valid_to IS NULL AND a.household_id = n.household_id
"""
OPEN_SQL = """
INSERT INTO assignment (household_id, head_id, run_id, reason, distance_m)
SELECT household_id, head_id, :run, reason, distance_m FROM new_assignment
RETURNING household_id
"""


def run_assignment(
    conn: Connection,
    progress: Callable[[int], None] | None = None,
    solver: str = "flow",
    workers: int | None = None,
    communities: list[int] | None = None,
) -> RunReport:
    """Assign every household of the store and record the run; returns its report.

    With ``communities``, only their households and heads are solved and only
    their assignments and covers are closed or opened (no assignment crosses a
    community, so the rest of the city is as a full run would leave it); members
    are not placed again. That is how a change to a roster re-assigns what it touches.

    Communities are solved independently, on ``workers`` processes (default: one
    per core for big cities, none for small ones, where starting processes costs
    more than it saves). Runs in the caller's transaction: if anything fails and
    the caller rolls back, the previous assignment stands.
    """
    if solver not in SOLVERS:
        raise InvalidInputError(f"unknown solver {solver!r}; use one of {', '.join(SOLVERS)}")
    started = time.perf_counter()
    if communities is not None:
        communities = sorted({int(c) for c in communities})
    take_run_lock(conn)
    check_heads(conn, communities)
    homes, heads, locked, epsg = _frames(conn, communities)
    tasks = _tasks(homes, heads, epsg, solver)
    result = _solve_all(
        tasks, default_workers(len(homes)) if workers is None else workers, progress
    )
    chosen = result[result["head_id"] != UNASSIGNED]
    run_id = conn.execute(
        text("INSERT INTO assignment_run DEFAULT VALUES RETURNING id")
    ).scalar_one()
    conn.execute(text("DROP TABLE IF EXISTS new_assignment"))
    conn.execute(
        text(
            "CREATE TEMP TABLE new_assignment (household_id int PRIMARY KEY, head_id int, "
            "reason text, distance_m float8) ON COMMIT DROP"
        )
    )
    copy_frame(conn, "new_assignment", chosen, list(chosen.columns))
    conn.execute(text("ANALYZE new_assignment"))
    if communities is not None:
        # The households solved: only their current assignments may be closed.
        conn.execute(text("DROP TABLE IF EXISTS run_scope"))
        conn.execute(text("CREATE TEMP TABLE run_scope (id int PRIMARY KEY) ON COMMIT DROP"))
        copy_frame(
            conn,
            "run_scope",
            result[["household_id"]].rename(columns={"household_id": "id"}),
            ["id"],
        )
    closed = set(
        conn.execute(text(CLOSE_SQL.format(scope="" if communities is None else _SOLVED))).scalars()
    )
    conn.execute(text(KEEP_SQL))
    opened = set(conn.execute(text(OPEN_SQL), {"run": run_id}).scalars())
    by_reason = pd.concat([chosen["reason"], locked["reason"]]).value_counts()
    report = RunReport(
        run_id=run_id,
        households=len(result) + len(locked),
        assigned=len(chosen) + len(locked),
        unassigned=len(result) - len(chosen),
        kept=len(chosen) + len(locked) - len(opened),
        moved=len(closed & opened),
        added=len(opened - closed),
        dropped=len(closed - opened),
        seconds=0.0,
        by_reason={str(k): int(v) for k, v in by_reason.items()},
        communities=communities,
    )
    counts = {k: v for k, v in asdict(report).items() if isinstance(v, int) and k != "run_id"}
    conn.execute(
        text(
            "UPDATE assignment_run SET finished_at = clock_timestamp(), households = :households, "
            "assigned = :assigned, unassigned = :unassigned, kept = :kept, moved = :moved, "
            "added = :added, dropped = :dropped WHERE id = :id"
        ),
        {**counts, "id": run_id},
    )
    report.places = assign_places(conn, run_id, epsg, communities)
    report.members = None if communities is not None else place_members(conn)
    report.seconds = time.perf_counter() - started
    return report
