"""Assignment on a Dask cluster: a task per community. Each worker reads its
community from PostGIS, inside the writer's snapshot, solves it and sends back
the diff (geo_api.assign.tasks.Part); the writer alone writes, in its one
transaction, once every community has answered.

A worker lost mid-run (killed, out of memory, its machine gone) costs nothing
but time: the scheduler gives its tasks to another worker, which reads the same
snapshot and sends the same diff, and nothing is written until all are in.
"""

from __future__ import annotations

from collections.abc import Callable

from geo_api.assign.read import build_tasks, read_frames
from geo_api.assign.tasks import Part, part_of
from geo_api.batch.cluster import Batch
from geo_api.batch.snapshot import snapshot_reader
from geo_api.errors import BatchClusterError
from geo_api.settings import DatabaseSettings


def worker_database_url() -> str:
    """The store's URL as a worker on another machine knows it: its own settings."""
    url = DatabaseSettings().database_url
    if not url:
        raise BatchClusterError(
            "a Dask worker has no GEO_API_DATABASE_URL: every worker of the scheduler in "
            "GEO_API_DASK_SCHEDULER needs the store's URL in its environment"
        )
    return url


def community_part(url: str | None, snapshot: str, community: int, epsg: int, solver: str) -> Part:
    """A worker's task: read one community as of ``snapshot``, solve it, return the diff.
    ``url`` is the store's (None: the worker's own GEO_API_DATABASE_URL)."""
    with snapshot_reader(url or worker_database_url(), snapshot) as conn:
        homes, heads, locked = read_frames(conn, [community])
    tasks = build_tasks(homes, heads, epsg, solver)
    return part_of(community, tasks[0] if tasks else None, locked)


def cluster_parts(
    batch: Batch,
    url: str,
    snapshot: str,
    sizes: dict[int, int],
    epsg: int,
    solver: str,
    progress: Callable[[int], None] | None = None,
) -> list[Part]:
    """Every community's part, solved on the cluster (biggest first, so that no large
    community starts last and runs alone); ``progress`` hears each one's households."""
    from distributed import KilledWorker, as_completed

    given = url if batch.local else None
    ordered = sorted(sizes, key=lambda c: (-sizes[c], c))
    futures = [
        batch.client.submit(community_part, given, snapshot, c, epsg, solver, pure=False)
        for c in ordered
    ]
    parts = []
    try:
        for future in as_completed(futures, loop=batch.client.loop):
            part: Part = future.result()
            # Its result may go: a worker lost later must not have to compute it again.
            future.release()
            parts.append(part)
            if progress:
                progress(part.solved + part.locked)
    except KilledWorker as error:
        raise BatchClusterError(
            f"a community's task lost every worker it was given ({error}): the workers run "
            "out of memory or are stopped; see the workers' logs"
        ) from error
    finally:
        batch.client.cancel([f for f in futures if not f.done()])
    return parts
