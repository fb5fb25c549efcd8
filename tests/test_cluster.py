"""The embedded cluster: up, status, down and up again, in a folder of its own."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from geo_api.db.cluster import Cluster


def test_cluster_lifecycle() -> None:
    folder = Path(tempfile.mkdtemp(prefix="gridgov-cluster-"))
    folder.chmod(0o755)  # the postgres user must reach the cluster inside
    cluster = Cluster(folder / "cluster", durable=False)
    try:
        assert cluster.status() == {
            "folder": str(cluster.root),
            "initialised": False,
            "running": False,
        }
        url = make_url(cluster.up())
        assert url.host == "127.0.0.1" and url.password and len(url.password) >= 24
        assert cluster.status()["running"] is True
        with psycopg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            dbname=url.database,
        ) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            version = conn.execute("SELECT postgis_lib_version()").fetchone()
            assert version is not None and version[0].startswith("3.")
        assert (cluster.state_file.stat().st_mode & 0o777) == 0o600
        assert cluster.down() is True
        assert cluster.down() is False
        assert cluster.up() == url.render_as_string(hide_password=False)
    finally:
        cluster.down()
        shutil.rmtree(folder, ignore_errors=True)


def test_wrong_password_is_refused() -> None:
    folder = Path(tempfile.mkdtemp(prefix="gridgov-cluster-"))
    cluster = Cluster(folder, durable=False)
    try:
        url = make_url(cluster.up())
        try:
            psycopg.connect(
                host=url.host,
                port=url.port,
                user=url.username,
                password="wrong",
                dbname=url.database,
            )
        except psycopg.OperationalError as exc:
            assert "password authentication failed" in str(exc)
        else:
            raise AssertionError("the cluster accepted a wrong password")
    finally:
        cluster.down()
        shutil.rmtree(folder, ignore_errors=True)
