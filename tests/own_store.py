"""A store of a test's own: a cluster (the Cluster class, as gridgov runs it) holding
the test city, with gridgov's API served from it by a live uvicorn. For tests that
stop, kill or restart the server, which the shared test cluster must never be."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import Engine

from geo_api.api.main import create_app
from geo_api.assign.engine import run_assignment
from geo_api.auth.keys import create_key
from geo_api.db import migrate
from geo_api.db.cluster import Cluster
from geo_api.db.engine import make_engine
from geo_api.demo.city import City
from geo_api.demo.load import load_city
from geo_api.errors import ClusterError


@dataclass
class OwnStore:
    """The cluster, an engine on it, the live API's address and an admin's key."""

    cluster: Cluster
    engine: Engine
    base: str
    key: str

    def api(self) -> httpx.Client:
        """A client of the live API as the admin, with a timeout that shows a hang."""
        return httpx.Client(base_url=self.base, headers={"X-API-Key": self.key}, timeout=30)

    def kill_postmaster(self) -> None:
        """kill -9 of the postmaster, as a crash would do it."""
        pid = int((self.cluster.data / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)

    def restart(self) -> None:
        """Start the cluster again (crash recovery when it was killed): retried while
        the killed server's last processes still hold its shared memory."""
        deadline = time.monotonic() + 60
        while True:
            try:
                self.cluster.up()
                return
            except ClusterError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


@contextmanager
def served(url: str, replica_url: str | None = None) -> Iterator[str]:
    """gridgov's API on ``url``'s database (reading from ``replica_url`` where it may),
    on a free port, in a thread."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(url, replica_url=replica_url)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def own_store(city: City, *, durable: bool = True) -> Iterator[OwnStore]:
    """A cluster of the caller's own holding ``city``, assigned, and served."""
    folder = Path(tempfile.mkdtemp(prefix="gridgov-own-"))
    folder.chmod(0o755)  # the postgres user must reach the cluster inside
    cluster = Cluster(folder / "cluster", durable=durable)
    try:
        url = cluster.up()
        engine = make_engine(url, pool_size=2)
        migrate.upgrade(engine)
        load_city(engine, city)
        with engine.begin() as conn:
            run_assignment(conn)
            key = create_key(conn, "own admin", "admin", per_minute=10**6)
        with served(url) as base:
            yield OwnStore(cluster, engine, base, key)
        engine.dispose()
    finally:
        cluster.down()
        shutil.rmtree(folder, ignore_errors=True)
