"""Liveness and the state of the store."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from psycopg.errors import UndefinedTable

from geo_api.api.deps import ReadOne
from geo_api.api.schemas import Health
from geo_api.db.migrate import REVISION_SQL, head_revision
from geo_api.errors import DatabaseUnavailableError

router = APIRouter(tags=["service"])


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
