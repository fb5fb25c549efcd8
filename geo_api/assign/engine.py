"""Run the assignment engine over the store: load, solve per community, write.

Communities are solved independently: in this process for a small run, else on a
Dask cluster, each worker reading its community inside this transaction's
snapshot (geo_api.assign.distributed). Either way a community comes back as the
diff of its households whose head changed, and this transaction alone writes.

Writes are a diff against the current assignment: unchanged pairs are kept
(their history untouched), changed ones are closed (valid_to) and reopened, so
a re-run on unchanged data moves nobody and every run reports its churn. An
advisory lock keeps two runs from interleaving; a failing run rolls back and
leaves the previous assignment in place.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from geo_api.assign.members import MemberReport, place_members
from geo_api.assign.places import CoverReport, assign_places
from geo_api.assign.read import build_tasks, read_frames, run_communities
from geo_api.assign.solver import UNASSIGNED
from geo_api.assign.tasks import DIFF_COLUMNS, SOLVERS, Part, part_of
from geo_api.db.bulk import copy_frame
from geo_api.errors import BusyError, InvalidInputError, StoreNotReadyError
from geo_api.settings import BatchSettings

LOCK_KEY = 0x67726964  # "grid": one assignment run at a time across the store
IN_PROCESS = "this process"


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
    solved_on: str = IN_PROCESS  # or the Dask cluster: "LocalCluster of 2 workers", its address


# A unit head must live in the community they serve: their home is where the
# engine measures from, and no assignment may cross a community. This and the next
# find the heads in scope first: left to itself, the planner scans every household
# (0.1 to 0.2 s at 1,000,000 when one community is asked).
MISPLACED_HEADS_SQL = """
WITH scoped AS MATERIALIZED (
    SELECT hd.id, hd.household_id, scp.community_id
    FROM active_head hd
    JOIN unit su ON su.id = hd.unit_id JOIN building sb ON sb.id = su.building_id
    JOIN compound scp ON scp.id = sb.compound_id
    WHERE hd.role = 'unit'
      AND (CAST(:all AS boolean) OR scp.community_id = ANY(CAST(:communities AS int[]))))
SELECT s.id, s.household_id, sc.name AS serves, hc.name AS lives
FROM scoped s JOIN community sc ON sc.id = s.community_id
JOIN household home ON home.id = s.household_id
JOIN unit hu ON hu.id = home.unit_id JOIN building hb ON hb.id = hu.building_id
JOIN compound hcp ON hcp.id = hb.compound_id JOIN community hc ON hc.id = hcp.community_id
WHERE sc.id <> hc.id
ORDER BY s.id
"""


# A head must be somewhere to measure from, and their maximum must allow their
# target (a head's own target above the community's maximum does not).
UNPLACED_HEADS_SQL = """
WITH scoped AS MATERIALIZED (
    SELECT hd.id, hd.household_id FROM active_head hd
    JOIN unit u ON u.id = hd.unit_id JOIN building b ON b.id = u.building_id
    JOIN compound c ON c.id = b.compound_id
    WHERE hd.role = 'unit'
      AND (CAST(:all AS boolean) OR c.community_id = ANY(CAST(:communities AS int[]))))
SELECT s.id, s.household_id FROM scoped s JOIN household home ON home.id = s.household_id
WHERE home.geom IS NULL OR ST_IsEmpty(home.geom)
ORDER BY s.id
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


# Only the households of the diff (run_diff) lose their current assignment: those
# whose head changed, or who have none now.
CLOSE_SQL = """
UPDATE assignment a SET valid_to = now()
FROM (SELECT a2.id FROM assignment a2
      JOIN run_diff d ON d.household_id = a2.household_id
      LEFT JOIN new_assignment n ON n.household_id = a2.household_id
      WHERE a2.valid_to IS NULL AND NOT a2.locked
        AND (n.head_id IS NULL OR n.head_id <> a2.head_id)) gone
WHERE a.id = gone.id
RETURNING a.household_id
"""
# A household that has ended (moved out) has no head: an open row of it, left by a
# writer that ended it without closing its assignment, is closed by any run.
STALE_SQL = """
UPDATE assignment a SET valid_to = now()
FROM household h
WHERE h.id = a.household_id AND a.valid_to IS NULL AND NOT a.locked
  AND h.ended_on IS NOT NULL
RETURNING a.household_id
"""
# After CLOSE_SQL, a household still with a current row keeps it: none of the diff's
# should (the store is read in this transaction's snapshot), but never two open rows.
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

    Where communities are solved: ``workers`` 1 is this process; more is the Dask
    cluster (GEO_API_DASK_SCHEDULER's, else a LocalCluster of that many workers);
    None decides by size (GEO_API_DASK_FROM_HOUSEHOLDS: below it, starting a
    cluster costs more than it saves). Runs in the caller's transaction: if
    anything fails and the caller rolls back, the previous assignment stands.
    """
    if solver not in SOLVERS:
        raise InvalidInputError(f"unknown solver {solver!r}; use one of {', '.join(SOLVERS)}")
    started = time.perf_counter()
    if communities is not None:
        communities = sorted({int(c) for c in communities})
    take_run_lock(conn)
    check_heads(conn, communities)
    sizes, epsg = run_communities(conn, communities)
    if not sizes and communities is None:
        raise StoreNotReadyError("the store has no households: load a city first (gridgov demo)")
    parts, solved_on = _solve(conn, sizes, communities, epsg, solver, workers, progress)
    report = _write(conn, parts)
    report.communities, report.solved_on = communities, solved_on
    report.places = assign_places(conn, report.run_id, epsg, communities)
    report.members = None if communities is not None else place_members(conn)
    report.seconds = time.perf_counter() - started
    return report


def on_cluster(households: int, workers: int | None, settings: BatchSettings) -> bool:
    """Whether a run of this many households goes to the Dask cluster."""
    if workers is not None:
        return workers > 1
    several = settings.scheduler is not None or (settings.workers or os.cpu_count() or 1) > 1
    return several and households >= settings.from_households


def _solve(
    conn: Connection,
    sizes: dict[int, int],
    communities: list[int] | None,
    epsg: int,
    solver: str,
    workers: int | None,
    progress: Callable[[int], None] | None,
) -> tuple[list[Part], str]:
    """Every community's part, and where they were solved: on the cluster, or here when
    the run is small or this transaction has written already (workers could not see it)."""
    if on_cluster(sum(sizes.values()), workers, BatchSettings()):
        # Imported here: Dask loads only for the runs that use it.
        from geo_api.assign.distributed import cluster_parts
        from geo_api.batch.cluster import batch_client
        from geo_api.batch.snapshot import export_snapshot

        snapshot = export_snapshot(conn)
        if snapshot is not None:
            url = conn.engine.url.render_as_string(hide_password=False)
            with batch_client(workers) as batch:
                parts = cluster_parts(batch, url, snapshot, sizes, epsg, solver, progress)
                return parts, batch.where
    homes, heads, locked = read_frames(conn, communities)
    tasks = {t.community: t for t in build_tasks(homes, heads, epsg, solver)}
    parts = []
    held = {int(rows["community"].iloc[0]): rows for _, rows in locked.groupby("community")}
    for community in sorted(set(tasks) | set(held)):
        part = part_of(community, tasks.get(community), held.get(community, locked.iloc[:0]))
        parts.append(part)
        if progress:
            progress(part.solved + part.locked)
    return parts, IN_PROCESS


def _write(conn: Connection, parts: list[Part]) -> RunReport:
    """Record the run and write the parts' diff: close the assignments that changed and
    open the new ones. Returns the report, its places and members still to come."""
    pieces = [p.diff for p in parts if len(p.diff)]
    diff = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=DIFF_COLUMNS)
    diff = diff.astype({"household_id": "int64", "head_id": "int64"})
    chosen = diff.loc[
        diff["head_id"] != UNASSIGNED, ["household_id", "head_id", "reason", "distance_m"]
    ]
    run_id = conn.execute(
        text("INSERT INTO assignment_run DEFAULT VALUES RETURNING id")
    ).scalar_one()
    for table, columns in (
        (
            "new_assignment",
            "household_id int PRIMARY KEY, head_id int, reason text, distance_m float8",
        ),
        ("run_diff", "household_id int PRIMARY KEY"),
    ):
        conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        conn.execute(text(f"CREATE TEMP TABLE {table} ({columns}) ON COMMIT DROP"))
    copy_frame(conn, "new_assignment", chosen, list(chosen.columns))
    copy_frame(conn, "run_diff", diff, ["household_id"])
    conn.execute(text("ANALYZE new_assignment"))
    conn.execute(text("ANALYZE run_diff"))
    closed = set(conn.execute(text(CLOSE_SQL)).scalars())
    closed |= set(conn.execute(text(STALE_SQL)).scalars())
    conn.execute(text(KEEP_SQL))
    opened = set(conn.execute(text(OPEN_SQL), {"run": run_id}).scalars())
    solved = sum(p.solved for p in parts)
    assigned = sum(p.assigned + p.locked for p in parts)
    by_reason: Counter[str] = Counter()
    for part in parts:
        by_reason.update(part.by_reason)
    report = RunReport(
        run_id=run_id,
        households=solved + sum(p.locked for p in parts),
        assigned=assigned,
        unassigned=solved - sum(p.assigned for p in parts),
        kept=assigned - len(opened),
        moved=len(closed & opened),
        added=len(opened - closed),
        dropped=len(closed - opened),
        seconds=0.0,
        by_reason=dict(by_reason.most_common()),
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
    return report
