"""A streaming replica of the test cluster, made by pg_basebackup -R and started as
the postgres user on a port of its own, for the tests of reads on a replica."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from geo_api.db.cluster import find_pg_bin, free_port
from geo_api.db.statements import conninfo


def _run(args: list[str]) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    done = subprocess.run(prefix + args, capture_output=True, text=True, check=False, cwd="/")
    if done.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-1500:]}")


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


@contextmanager
def streaming_replica(server_url: str) -> Iterator[str]:
    """A hot standby of ``server_url``'s server, streaming from it; yields its server
    URL (``server_url`` on the replica's port)."""
    url = make_url(server_url)
    folder = Path(tempfile.mkdtemp(prefix="gridgov-replica-"))
    folder.chmod(0o755)
    _own(folder)
    data, port, bindir = folder / "data", free_port(), find_pg_bin()
    source = (
        f"host={url.host} port={url.port} user={url.username} password={url.password} "
        "application_name=gridgov-test-replica"
    )
    try:
        # -R: standby.signal, and primary_conninfo (with the password) to stream from.
        _run([str(bindir / "pg_basebackup"), "-D", str(data), "-R", "-X", "stream",
              "-c", "fast", "-d", source])  # fmt: skip
        log = folder / "postgres.log"
        _run([str(bindir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(data),
              "-l", str(log), "-o", f"-p {port}"])  # fmt: skip
        try:
            yield url.set(port=port).render_as_string(hide_password=False)
        finally:
            _run([str(bindir / "pg_ctl"), "stop", "-m", "fast", "-D", str(data)])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def caught_up(primary_url: str, replica_url: str, timeout_s: float = 30) -> None:
    """Wait until the replica has replayed everything the primary has written."""
    with psycopg.connect(conninfo(primary_url), autocommit=True) as primary:
        lsn = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(conninfo(replica_url), autocommit=True) as replica:
        while True:
            row = replica.execute("SELECT pg_last_wal_replay_lsn() >= %s", lsn).fetchone()
            if row and row[0]:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the replica did not catch up")
            time.sleep(0.05)


@contextmanager
def replay_paused(replica_url: str) -> Iterator[None]:
    """The replica stops replaying the primary's WAL (it lags on purpose), then
    carries on."""
    with psycopg.connect(conninfo(replica_url), autocommit=True) as replica:
        replica.execute("SELECT pg_wal_replay_pause()")
        while replica.execute("SELECT pg_get_wal_replay_pause_state()").fetchone() != ("paused",):
            time.sleep(0.02)
        try:
            yield
        finally:
            replica.execute("SELECT pg_wal_replay_resume()")
