"""OAuth2's token endpoint (RFC 6749, client credentials): an API key for a bearer
token that expires, for QGIS's OAuth2 authentication, scripts and Swagger UI."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from geo_api.api.auth import Gate, client_address
from geo_api.api.credentials import basic_pair
from geo_api.auth.tokens import TOKEN_SECONDS, issue_token
from geo_api.errors import RateLimitedError, UnauthorizedError

router = APIRouter(tags=["sign in"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class Token(BaseModel):
    """RFC 6749 section 5.1."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int
    role: str


class OAuthError(BaseModel):
    """RFC 6749 section 5.2."""

    error: str
    error_description: str


def _error(
    status: int, error: str, description: str, retry_after: float | None = None
) -> JSONResponse:
    headers = {**NO_STORE}
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, round(retry_after)))
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="gridgov"'
    body = OAuthError(error=error, error_description=description).model_dump()
    return JSONResponse(body, status_code=status, headers=headers)


def _refused(gate: Gate, client: str, why: str) -> JSONResponse:
    """A wrong key counted against its address: 401, or 429 once the address's budget
    is spent (by requests in flight together, too)."""
    try:
        gate.failed(client)
    except RateLimitedError as limited:
        return _error(429, "slow_down", str(limited), limited.retry_after)
    return _error(401, "invalid_client", why)


def _basic(request: Request) -> tuple[str, str] | None:
    """client_id and client_secret from an HTTP Basic header (RFC 6749 2.3.1)."""
    pair = basic_pair(request.headers.get("authorization", ""))
    return (unquote(pair[0]), unquote(pair[1])) if pair else None


@router.post(
    "/oauth/token",
    response_model=Token,
    responses={
        400: {"model": OAuthError, "description": "not a client-credentials request"},
        401: {"model": OAuthError, "description": "unknown or revoked client"},
        429: {"model": OAuthError, "description": "too many wrong keys from this address"},
    },
)
def token(
    request: Request,
    grant_type: Annotated[str, Form(max_length=40, description="client_credentials")],
    client_id: Annotated[str | None, Form(max_length=200, description="the key's name")] = None,
    client_secret: Annotated[str | None, Form(max_length=200, description="the API key")] = None,
    scope: Annotated[str | None, Form(max_length=200, description="ignored")] = None,
) -> JSONResponse:
    """A bearer token for an API key, valid an hour: the client credentials grant.
    The client id is the key's name (``gridgov users list``) and the secret is the key,
    in an HTTP Basic header or in the form. Send the token as
    ``Authorization: Bearer <token>``; revoking the key ends its tokens."""
    if grant_type != "client_credentials":
        return _error(400, "unsupported_grant_type", "only grant_type=client_credentials")
    basic = _basic(request)
    if basic is not None:
        client_id, client_secret = basic
    if not client_secret:
        return _error(401, "invalid_client", "send the API key as the client secret")
    gate: Gate = request.app.state.gate
    client = client_address(request)
    try:
        gate.admit_client(client)
        with gate.engine.connect() as conn:
            issued, caller = issue_token(conn, client_secret.strip())
    except RateLimitedError as limited:
        return _error(429, "slow_down", str(limited), limited.retry_after)
    except UnauthorizedError as refused:
        return _refused(gate, client, str(refused))
    if client_id and client_id != caller.name:
        return _refused(gate, client, f"the key is not {client_id!r}'s")
    body = Token(access_token=issued, expires_in=TOKEN_SECONDS, role=caller.role)
    return JSONResponse(body.model_dump(), headers=NO_STORE)
