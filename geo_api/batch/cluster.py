"""The Dask cluster batch work runs on: the scheduler GEO_API_DASK_SCHEDULER names
(its workers on as many machines as it has), else a LocalCluster of worker
processes on this machine, started for the run and stopped after it.

Dask is imported here, when a run asks for a cluster, never at import: the CLI
answers --help without loading it (tests/test_cli_startup.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from geo_api.errors import BatchClusterError
from geo_api.settings import BatchSettings

if TYPE_CHECKING:
    from distributed import Client


@dataclass
class Batch:
    """A client of the cluster, and whether its workers share this machine (then the
    writer tells them the store's URL; remote workers use their own settings')."""

    client: Client
    local: bool
    where: str  # for the run's report: "LocalCluster of 2 workers", the scheduler's address


def local_workers(settings: BatchSettings, workers: int | None = None) -> int:
    """Worker processes of a LocalCluster: as asked, else the setting, else one per core."""
    return workers or settings.workers or os.cpu_count() or 1


def start_method() -> str:
    """How a LocalCluster starts its workers from this process: fork from a process of
    one thread, else spawn."""
    return "fork" if threading.active_count() == 1 else "spawn"


@contextmanager
def batch_client(workers: int | None = None) -> Iterator[Batch]:
    """A client of the configured scheduler, or of a LocalCluster of ``workers``
    processes (default: GEO_API_DASK_WORKERS, else one per core) for the block."""
    import dask
    from distributed import Client, LocalCluster

    settings = BatchSettings()
    with ExitStack() as stack:
        if settings.scheduler:
            try:
                client = stack.enter_context(
                    Client(
                        settings.scheduler, timeout=settings.connect_timeout_s, set_as_default=False
                    )
                )
            except (OSError, TimeoutError) as error:
                raise BatchClusterError(
                    f"GEO_API_DASK_SCHEDULER={settings.scheduler}: no Dask scheduler answers "
                    f"there ({error})"
                ) from error
            yield Batch(client, local=False, where=settings.scheduler)
            return
        n = local_workers(settings, workers)
        # Workers forked from this process, which has loaded the libraries, as the
        # process pool before them was: Dask's default, spawn, starts a fresh Python
        # that imports pandas, SQLAlchemy, OR-Tools and gridgov (15 s for two workers on
        # 2 cores; forked, 0.3 s). For the whole block, so that a worker the nanny
        # restarts after a loss is forked too. The writer's connections are inherited
        # but never used (a worker opens its own: geo_api.batch.snapshot), and a
        # worker's process ends with os._exit (multiprocessing), closing none of them.
        # Only from a process of one thread (the CLI): a server's other threads may
        # hold locks a forked child would wait on for ever, and its children would
        # hold the server's client sockets open; there workers are spawned.
        stack.enter_context(
            dask.config.set({"distributed.worker.multiprocessing-method": start_method()})
        )
        # One thread a worker: the solvers hold the GIL, so processes give the cores.
        # No dashboard: its port (8787) would clash between runs and users.
        cluster = stack.enter_context(
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # health routes only
                host="127.0.0.1",
            )
        )
        client = stack.enter_context(Client(cluster, set_as_default=False))
        yield Batch(client, local=True, where=f"LocalCluster of {n} workers")
