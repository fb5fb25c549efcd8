"""Read what a run solves from the store: households, unit heads and locks, for the
whole city or some communities, and cut them into one Task per community.

The writer reads through here for a run in its own process; a Dask worker reads
its one community through the same functions (geo_api.assign.distributed), so
both see the same rows in the same shape.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.assign.solver import Heads, Households
from geo_api.assign.tasks import Task
from geo_api.db.bulk import read_frame
from geo_api.errors import InvalidInputError
from geo_api.geo.crs import city_epsg, to_metres

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

# The communities a run solves (those with a household to solve), with their size:
# the writer hands them out, one task each, without reading the households itself.
COMMUNITIES_SQL = """
SELECT c.community_id AS community, count(*) AS households,
       avg(ST_X(h.geom)) AS lon, avg(ST_Y(h.geom)) AS lat
FROM household h
JOIN unit u ON u.id = h.unit_id
JOIN building b ON b.id = u.building_id
JOIN compound c ON c.id = b.compound_id
WHERE h.ended_on IS NULL
  AND (CAST(:all AS boolean) OR c.community_id = ANY(CAST(:communities AS int[])))
GROUP BY c.community_id
ORDER BY c.community_id
"""
CITY_CENTRE_SQL = (
    "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)) c FROM street) s"
)


def scope_where(communities: list[int] | None) -> str:
    """The WHERE clause of HOUSEHOLDS_SQL and HEADS_SQL for some communities (None:
    all). COPY takes no parameters: the communities are written in as integers."""
    if communities is None:
        return "true"
    listed = ",".join(str(int(c)) for c in communities)
    return f"c.community_id = ANY('{{{listed}}}'::int[])"


def run_communities(conn: Connection, communities: list[int] | None) -> tuple[dict[int, int], int]:
    """The communities with households to solve and how many each has, and the metric
    CRS of the run: from its households' mean point, else the city's centre."""
    rows = list(
        conn.execute(
            text(COMMUNITIES_SQL),
            {"all": communities is None, "communities": sorted(set(communities or []))},
        )
    )
    sizes = {int(r.community): int(r.households) for r in rows}
    total = sum(sizes.values())
    if total:
        lon = sum(float(r.lon) * int(r.households) for r in rows) / total
        lat = sum(float(r.lat) * int(r.households) for r in rows) / total
    else:
        lon, lat = conn.execute(text(CITY_CENTRE_SQL)).one()
    return sizes, city_epsg(float(lon or 0.0), float(lat or 0.0))


def read_frames(
    conn: Connection, communities: list[int] | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Households to solve (the locked ones left out), unit heads with the room their
    locked households leave them, and the locked assignments."""
    where = scope_where(communities)
    homes = read_frame(conn, HOUSEHOLDS_SQL.format(scope=where))
    homes["previous"] = homes["previous"].astype("int64")  # UNASSIGNED (-1) when none
    heads = read_frame(conn, HEADS_SQL.format(scope=where))
    locked = homes.loc[
        homes["locked"].astype(bool), ["id", "previous", "reason", "community"]
    ].rename(columns={"id": "household_id", "previous": "head_id"})
    check_locks(locked, heads)
    # Locked households are not solved again; their heads have that much less room.
    held = heads["id"].map(locked.groupby("head_id").size()).fillna(0).astype(int)
    heads["capacity"] = (heads["capacity"] - held).clip(lower=0)
    heads["max_capacity"] = heads["max_capacity"] - held
    homes = homes[~homes["id"].isin(locked["household_id"])].reset_index(drop=True)
    return homes, heads, locked


def check_locks(locked: pd.DataFrame, heads: pd.DataFrame) -> None:
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


def build_tasks(homes: pd.DataFrame, heads: pd.DataFrame, epsg: int, solver: str) -> list[Task]:
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
