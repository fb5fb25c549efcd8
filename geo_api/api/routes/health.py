"""Liveness and the state of the store."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from geo_api.api.deps import EngineDep
from geo_api.api.schemas import Health
from geo_api.db.migrate import current_revision, head_revision

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(engine: EngineDep) -> Health | JSONResponse:
    """ok when the database answers and is migrated to the revision this code expects."""
    expected = head_revision()
    try:
        revision = current_revision(engine)
    except OperationalError:
        body = Health(
            status="unavailable", database="down", revision=None, expected_revision=expected
        )
        return JSONResponse(body.model_dump(), status_code=503)
    status = "ok" if revision == expected else "migration needed"
    body = Health(status=status, database="up", revision=revision, expected_revision=expected)
    if revision != expected:
        return JSONResponse(body.model_dump(), status_code=503)
    return body
