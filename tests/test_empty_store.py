"""A store that is not migrated, or holds no city, answers 503 with the fix, never 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from geo_api.api.main import create_app
from geo_api.auth.keys import create_key
from geo_api.db import migrate

READS = ["/lookup?lon=111.3&lat=35.6", "/heads/1", "/gaps", "/maps/command-centre", "/exports/gpkg"]


def test_unmigrated_store(scratch_url: str) -> None:
    app = create_app(scratch_url)
    # No key table yet either: any key gets the fix, not a 401 or a 500.
    with TestClient(app, raise_server_exceptions=False, headers={"X-API-Key": "gg_x"}) as client:
        assert client.get("/health").json()["status"] == "migration needed"
        for path in READS:
            response = client.get(path)
            assert response.status_code == 503, path
            assert "run `gridgov db up`" in response.json()["detail"], path
        assert client.post("/assign").status_code == 503


@pytest.mark.parametrize(
    ("method", "path", "status", "says"),
    [
        ("get", "/lookup?lon=111.3&lat=35.6", 404, "outside every street"),
        ("get", "/heads/1", 404, "head 1 does not exist"),
        ("get", "/maps/command-centre", 503, "no city yet"),
        ("post", "/assign", 503, "no households"),
    ],
)
def test_migrated_but_empty_store(
    scratch_url: str, method: str, path: str, status: int, says: str
) -> None:
    engine = create_engine(scratch_url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        key = create_key(conn, "admin", "admin")
    app = create_app(scratch_url)
    with TestClient(app, raise_server_exceptions=False, headers={"X-API-Key": key}) as client:
        response = client.request(method, path)
    assert response.status_code == status and says in response.json()["detail"]
