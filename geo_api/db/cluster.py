"""gridgov's private PostGIS cluster: initdb and pg_ctl in a folder of the project.

Used when ``GEO_API_DATABASE_URL`` is unset, and by the tests for a throwaway
cluster. PostgreSQL refuses to run as root, so as root every server command
runs as the ``postgres`` user (created by Debian's postgresql package).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pwd
import secrets
import socket
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from geo_api.errors import ClusterError

log = logging.getLogger(__name__)

PG_ROOT = Path("/usr/lib/postgresql")
FALLBACK_ROOT = Path("/var/lib/gridgov")
SUPERUSER = "gridgov"
DATABASE = "gridgov"
BASE_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "max_connections": "100",
    "shared_buffers": "256MB",
}
# Spelled out rather than left to the defaults, so that a cluster made by an older
# gridgov (which turned synchronous commit off) is put right on its next start.
DURABLE = {"synchronous_commit": "on", "fsync": "on", "full_page_writes": "on"}
# The tests' throwaway clusters: a crash loses nothing anyone keeps.
THROWAWAY = {"synchronous_commit": "on", "fsync": "off", "full_page_writes": "off"}


def find_pg_bin() -> Path:
    """The newest PostgreSQL (15+) bin folder whose server has PostGIS installed."""
    versions = sorted(
        (p for p in PG_ROOT.glob("*") if p.name.isdigit() and int(p.name) >= 15),
        key=lambda p: int(p.name),
        reverse=True,
    )
    for version in versions:
        share = Path("/usr/share/postgresql") / version.name / "extension"
        if (
            (version / "bin" / "initdb").exists()
            and (share / "postgis.control").exists()
            and (share / "pgrouting.control").exists()
        ):
            return version / "bin"
    raise ClusterError(
        "no PostgreSQL 15+ server with PostGIS 3 and pgRouting found under "
        "/usr/lib/postgresql; install them with `make system` (apt-get install postgresql "
        "postgresql-postgis postgresql-pgrouting) or set GEO_API_DATABASE_URL to an existing "
        "PostGIS server with pgRouting"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def postgres_can_reach(path: Path) -> bool:
    """True when the postgres user can get to ``path`` (or its nearest existing parent):
    every folder on the way lets it through (the search bit for its user, group or
    others, as `test -x` run as postgres would say, without starting a process)."""
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        return False
    groups = set(os.getgrouplist(user.pw_name, user.pw_gid))
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    for folder in (existing, *existing.parents):
        info = folder.stat()
        if info.st_uid == user.pw_uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid in groups:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


def cluster_root(wanted: Path) -> Path:
    """Where the cluster can live: ``wanted``, unless we are root and the postgres user
    cannot reach it (a project under a private home folder), then a folder under
    /var/lib/gridgov named after it."""
    if os.geteuid() != 0 or postgres_can_reach(wanted):
        return wanted
    digest = hashlib.sha1(str(wanted.resolve()).encode(), usedforsecurity=False).hexdigest()
    fallback = FALLBACK_ROOT / digest[:12]
    log.warning(
        "the postgres user cannot reach %s; keeping the cluster in %s instead", wanted, fallback
    )
    FALLBACK_ROOT.mkdir(parents=True, exist_ok=True)
    FALLBACK_ROOT.chmod(0o755)
    return fallback


@dataclass
class ClusterState:
    """What a cluster needs to be reached: its port and its generated password."""

    port: int
    password: str


class Cluster:
    """A private PostgreSQL + PostGIS cluster living in ``root``."""

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root.resolve()
        self.data = self.root / "data"
        self.state_file = self.root / "cluster.json"
        self.logfile = self.root / "postgres.log"
        # A throwaway test cluster trades crash safety for speed.
        self.durable = durable
        self._as_postgres = os.geteuid() == 0

    # -- state ---------------------------------------------------------------
    @property
    def initialized(self) -> bool:
        """True once initdb has run here."""
        return (self.data / "PG_VERSION").exists() and self.state_file.exists()

    def state(self) -> ClusterState:
        """The stored port and password."""
        raw = json.loads(self.state_file.read_text(encoding="utf-8"))
        return ClusterState(port=int(raw["port"]), password=str(raw["password"]))

    def _save_state(self, state: ClusterState) -> None:
        self.state_file.write_text(
            json.dumps({"port": state.port, "password": state.password}), encoding="utf-8"
        )
        self.state_file.chmod(0o600)

    def url(self) -> str:
        """The SQLAlchemy URL of the cluster's gridgov database."""
        from sqlalchemy.engine import URL  # here: `gridgov db status` needs no SQLAlchemy

        state = self.state()
        return URL.create(
            "postgresql+psycopg",
            username=SUPERUSER,
            password=state.password,
            host="127.0.0.1",
            port=state.port,
            database=DATABASE,
        ).render_as_string(hide_password=False)

    def libpq_url(self) -> str:
        """The same database as a libpq URL, for psycopg alone (no SQLAlchemy)."""
        state = self.state()
        password = quote(state.password, safe="")
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{state.port}/{DATABASE}"

    # -- commands ------------------------------------------------------------
    def _run(self, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        log.debug("running %s", " ".join(args))
        result = subprocess.run(prefix + args, capture_output=True, text=True, check=False, cwd="/")
        if check and result.returncode != 0:
            raise ClusterError(
                f"{Path(args[0]).name} failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-2000:]}"
            )
        return result

    def _own(self, path: Path) -> None:
        """Give a path to the postgres user when we run as root."""
        if self._as_postgres:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ClusterError(
                    "running as root but there is no `postgres` user to run the server as; "
                    "install Debian's postgresql package or run gridgov as a normal user"
                ) from exc
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _check_reachable(self) -> None:
        if self._as_postgres and not postgres_can_reach(self.root):
            raise ClusterError(
                f"the postgres user cannot write to {self.root} (a parent folder is "
                "closed to it); set GEO_API_CLUSTER_DIR to a folder it can reach"
            )

    def init(self) -> None:
        """Create the cluster, its superuser with a random password, and the database."""
        bindir = find_pg_bin()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        self._own(self.root)
        self._check_reachable()
        password = secrets.token_urlsafe(24)
        pwfile = self.root / "initdb.pw"
        pwfile.write_text(password, encoding="utf-8")
        pwfile.chmod(0o600)
        self._own(pwfile)
        try:
            self._run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    SUPERUSER,
                    "--pwfile",
                    str(pwfile),
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        finally:
            pwfile.unlink(missing_ok=True)
        self._write_settings()
        self._save_state(ClusterState(port=free_port(), password=password))
        log.info("initialised a PostGIS cluster in %s", self.root)

    def settings(self) -> dict[str, str]:
        """The server settings gridgov keeps in the cluster's postgresql.auto.conf.

        Durable (the default): whatever gridgov acknowledged survives a crash of
        any process, so commits wait for the WAL flush and pages are fsynced.
        Bulk loads turn synchronous commit off in their own transaction only
        (geo_api.db.bulk.bulk_load), where a crash loses the whole load, never part.
        """
        wanted = dict(BASE_SETTINGS)
        wanted.update(DURABLE if self.durable else THROWAWAY)
        return wanted

    def _write_settings(self) -> bool:
        """Put gridgov's settings in postgresql.auto.conf, replacing earlier values of
        the same names (a cluster made before them kept ``synchronous_commit = off``)
        and keeping any other line (ALTER SYSTEM's own); True when it changed."""
        conf = self.data / "postgresql.auto.conf"
        wanted = self.settings()
        kept = [
            line
            for line in (conf.read_text(encoding="utf-8").splitlines() if conf.exists() else [])
            if line.split("=", 1)[0].strip() not in wanted
        ]
        lines = kept + [f"{name} = {value}" for name, value in wanted.items()]
        content = "\n".join(lines) + "\n"
        if conf.exists() and conf.read_text(encoding="utf-8") == content:
            return False
        conf.write_text(content, encoding="utf-8")
        return True

    def running(self) -> bool:
        """True when the server of this cluster is up: its postmaster.pid names a live
        process (what `pg_ctl status` checks, without starting two processes)."""
        if not (self.data / "PG_VERSION").exists():
            return False
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # alive, and not ours to signal
        return True

    def up(self) -> str:
        """Initialise if needed, start if stopped, create the database; return its URL."""
        if not self.initialized:
            self.init()
        if not self.running():
            state = self.state()
            if not port_is_free(state.port):
                state = ClusterState(port=free_port(), password=state.password)
                self._save_state(state)
            self._write_settings()
            self._own_log()
            self._run(
                [
                    str(find_pg_bin() / "pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.logfile),
                    "-o",
                    f"-p {state.port}",
                ]
            )
            log.info("started PostGIS on 127.0.0.1:%d", state.port)
        elif self._write_settings():
            # A cluster left running by an older gridgov: its durability settings
            # apply on a reload, no restart needed.
            self._run([str(find_pg_bin() / "pg_ctl"), "reload", "-D", str(self.data)])
            log.info("reloaded the cluster's settings")
        self._ensure_database()
        return self.url()

    def _own_log(self) -> None:
        self.logfile.touch(exist_ok=True)
        self._own(self.logfile)

    def _ensure_database(self) -> None:
        import psycopg

        state = self.state()
        with psycopg.connect(
            host="127.0.0.1",
            port=state.port,
            user=SUPERUSER,
            password=state.password,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def down(self) -> bool:
        """Stop the server; False when it was not running."""
        if not self.running():
            return False
        self._run([str(find_pg_bin() / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data)])
        log.info("stopped the PostGIS cluster in %s", self.root)
        return True

    def status(self) -> dict[str, object]:
        """What a user wants to know about the cluster."""
        info: dict[str, object] = {
            "folder": str(self.root),
            "initialised": self.initialized,
            "running": self.running(),
        }
        if self.initialized:
            info["port"] = str(self.state().port)  # an address, not a quantity
        return info
