"""Liveness and the state of the store."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from psycopg.errors import UndefinedTable
from sqlalchemy import text

from geo_api.api.deps import ReadOne
from geo_api.api.schemas import Health
from geo_api.db.migrate import head_revision
from geo_api.errors import DatabaseUnavailableError

router = APIRouter(tags=["service"])
# Alembic's own table (geo_api.db.migrate keeps its default name). Read as one
# statement on the event loop: Alembic's MigrationContext inspected the dialect on
# every probe, and the route ran in a thread (5.4 ms of the server's CPU a probe,
# more than a lookup's 2.6; load balancers probe every few seconds).
REVISION_SQL = text("SELECT version_num FROM alembic_version")


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(fetch: ReadOne) -> Health | JSONResponse:
    """ok when the database answers and is migrated to the revision this code expects."""
    expected = head_revision()
    try:
        row = await fetch(REVISION_SQL, {})
    except DatabaseUnavailableError:
        body = Health(
            status="unavailable", database="down", revision=None, expected_revision=expected
        )
        return JSONResponse(body.model_dump(), status_code=503)
    except UndefinedTable:  # never migrated
        row = None
    revision = None if row is None else row["version_num"]
    status = "ok" if revision == expected else "migration needed"
    body = Health(status=status, database="up", revision=revision, expected_revision=expected)
    if revision != expected:
        return JSONResponse(body.model_dump(), status_code=503)
    return body
