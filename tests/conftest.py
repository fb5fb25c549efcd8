"""Test harness: a real PostGIS for the whole run, a small generated city in it,
and each test inside a transaction that is rolled back at the end.

With GEO_API_DATABASE_URL set the tests create their own databases on that
server (the role needs CREATEDB); without it they start a throwaway embedded
cluster in a temporary folder, the same mechanism gridgov uses by default.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, TextClause, text
from sqlalchemy.engine import make_url

from geo_api.api.deps import get_reader, get_statement_reader, get_transaction
from geo_api.api.main import create_app
from geo_api.assign.engine import run_assignment
from geo_api.auth.keys import create_key
from geo_api.db import migrate
from geo_api.db.cluster import Cluster
from geo_api.db.engine import make_engine
from geo_api.demo.city import City, generate_city
from geo_api.demo.load import load_city
from tests import browser
from tests.own_store import served

# TestClient's requests name the host "testserver"; the server's secret (which signs
# tokens) goes to a folder of the run's own, not the checkout's .gridgov.
os.environ.setdefault("GEO_API_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault(
    "GEO_API_SECRET_FILE", str(Path(tempfile.mkdtemp(prefix="gridgov-secret-")) / "secret")
)

# The CLI tests' `run` fixture, for every test module.
pytest_plugins = ["tests.cli_run"]

TEST_HOUSEHOLDS = 1_000
TEST_SEED = 7
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"


def _recreate_database(server_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server; return its URL. Under
    pytest-xdist each worker has a cluster of its own, or, on a configured server,
    databases of its own (the worker's id after the name)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = f"{name}_{worker}" if worker else name
    url = make_url(server_url)
    with psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A PostGIS server for this run: the configured one, or a throwaway cluster."""
    configured = os.environ.get("GEO_API_DATABASE_URL")
    if configured:
        yield configured
        return
    # Not pytest's tmp_path: its folders are closed to the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="gridgov-test-"))
    cluster = Cluster(folder, durable=False)
    try:
        yield cluster.up()
    finally:
        cluster.down()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def db_url(server_url: str) -> str:
    """A migrated database holding the test city."""
    return _recreate_database(server_url, "gridgov_test")


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the migrated test database."""
    engine = make_engine(db_url, pool_size=4)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def city(engine: Engine) -> City:
    """The small test city, loaded and assigned (committed: shared by every test)."""
    generated = generate_city(TEST_HOUSEHOLDS, TEST_SEED)
    load_city(engine, generated)
    with engine.begin() as conn:
        run_assignment(conn)
    return generated


@pytest.fixture
def conn(engine: Engine, city: City) -> Iterator[Connection]:
    """A connection inside a transaction rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture(autouse=True)
def full_wrong_key_budget(request: pytest.FixtureRequest) -> None:
    """Each test on the store starts with a full budget of wrong keys for TestClient's
    address: the budgets live in the store (geo_api.auth.budget), shared by every app
    of the run as by every worker of a server, so one test's wrong keys would
    otherwise hold the next test's off."""
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rate_bucket WHERE kind = 'address'"))


@pytest.fixture(scope="session")
def keys(engine: Engine, city: City) -> dict[str, str]:
    """An API key per role (committed: the app checks them on its own connections).
    The officer's is for the community of the city's first compound."""
    made = {}
    with engine.begin() as conn:
        community = conn.execute(
            text(
                "SELECT c.code FROM compound cp JOIN community c ON c.id = cp.community_id "
                "ORDER BY cp.id LIMIT 1"
            )
        ).scalar_one()
        for role in ("admin", "command", "planner", "officer"):
            area = community if role == "officer" else None
            made[role] = create_key(conn, f"test {role}", role, community=area, per_minute=10**6)
    return made


@pytest.fixture
def client(db_url: str, conn: Connection, keys: dict[str, str]) -> Iterator[TestClient]:
    """The API on the test city as the command centre (everything, personal data
    masked); its requests share the test's rolled-back transaction. Other roles:
    pass ``headers={"X-API-Key": keys[role]}``."""
    app = create_app(db_url)

    @contextmanager
    def savepoint() -> Iterator[Connection]:
        with conn.begin_nested():
            yield conn

    app.dependency_overrides[get_transaction] = lambda: savepoint
    app.dependency_overrides[get_reader] = lambda: savepoint

    async def fetch_one(statement: TextClause, params: dict[str, Any]) -> dict[str, Any] | None:
        with savepoint() as c:
            row = c.execute(statement, params).mappings().first()
        return dict(row) if row is not None else None

    app.dependency_overrides[get_statement_reader] = lambda: fetch_one
    with TestClient(app, headers={"X-API-Key": keys["command"]}) as test_client:
        yield test_client


@pytest.fixture
def scratch_url(server_url: str) -> str:
    """An empty database of its own, for tests that migrate or load (not rolled back)."""
    return _recreate_database(server_url, "gridgov_scratch")


@pytest.fixture
def columns() -> int:
    """How wide a terminal the CLI tests run in (tests.cli_run): wide, unless a module
    checking that tables fit a plain terminal says 80."""
    return 200


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests leave screenshots and files for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def live_server(db_url: str, city: City, keys: dict[str, str]) -> Iterator[str]:
    """gridgov's API on a free port of 127.0.0.1, in a thread; the browser (tests.browser)
    calls it with the command centre's key."""
    browser.API_KEY = keys["command"]
    with served(db_url) as base:
        yield base
