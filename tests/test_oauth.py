"""OAuth2 client credentials: a key for a bearer token that expires."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine

from geo_api.api.main import create_app
from geo_api.auth.keys import create_key, revoke_key
from geo_api.auth.tokens import caller_for_credential, issue_token
from geo_api.errors import InvalidInputError, UnauthorizedError

NO_KEY = {"X-API-Key": ""}


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {**NO_KEY, "Authorization": f"Basic {pair}"}


def test_a_key_buys_a_token_that_opens_the_api(client: TestClient, keys: dict[str, str]) -> None:
    got = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic("test planner", keys["planner"]),
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert (
        body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["role"] == "planner"
    )
    assert got.headers["cache-control"] == "no-store"
    token = body["access_token"]
    assert token.startswith("ggt_") and keys["planner"] not in token
    bearer = {**NO_KEY, "Authorization": f"Bearer {token}"}
    assert client.get("/gaps", headers=bearer).status_code == 200
    # The token carries the key's role: a planner's token reads no people.
    assert (
        client.get("/lookup", params={"lon": 111.3, "lat": 35.6}, headers=bearer).status_code == 403
    )
    # The secret in the form works too (RFC 6749 2.3.1), with or without the id.
    form = {"grant_type": "client_credentials", "client_secret": keys["command"]}
    assert client.post("/oauth/token", data=form, headers=NO_KEY).status_code == 200


@pytest.mark.parametrize(
    ("data", "auth", "status", "error"),
    [
        ({"grant_type": "password"}, ("test planner", "planner"), 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, ("test planner", "gg_wrong"), 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, ("someone else", "planner"), 401, "invalid_client"),
    ],
)
def test_refusals_follow_rfc_6749(
    client: TestClient,
    keys: dict[str, str],
    data: dict[str, str],
    auth: tuple[str, str] | None,
    status: int,
    error: str,
) -> None:
    headers = NO_KEY
    if auth is not None:
        headers = basic(auth[0], keys.get(auth[1], auth[1]))
    got = client.post("/oauth/token", data=data, headers=headers)
    assert got.status_code == status and got.json()["error"] == error
    assert got.json()["error_description"]
    if status == 401:
        assert got.headers["www-authenticate"].startswith("Basic")


def test_altered_expired_and_revoked_tokens_are_refused(
    conn: Connection, engine: Engine, db_url: str
) -> None:
    key = create_key(conn, "token holder", "command")
    token, _ = issue_token(conn, key, now=1_000_000)
    assert caller_for_credential(conn, token, now=1_000_100) is not None
    assert caller_for_credential(conn, token, now=1_003_600) is None  # expired
    key_id, expires, signature = token.removeprefix("ggt_").split(".")
    longer = f"ggt_{key_id}.{int(expires) + 86400}.{signature}"
    assert caller_for_credential(conn, longer, now=1_000_100) is None  # extended by hand
    other = f"ggt_{int(key_id) + 1}.{expires}.{signature}"
    assert caller_for_credential(conn, other, now=1_000_100) is None  # someone else's id
    assert caller_for_credential(conn, "ggt_nonsense", now=1_000_100) is None
    with pytest.raises(UnauthorizedError):
        issue_token(conn, "gg_wrong")
    with pytest.raises(InvalidInputError, match="lasts 1 to"):
        issue_token(conn, key, seconds=0)
    # Revoking the key ends its tokens, over HTTP too.
    with engine.begin() as committed:
        held = create_key(committed, "revoked holder", "command")
        live, _ = issue_token(committed, held)
    with TestClient(create_app(db_url)) as fresh:
        bearer = {"Authorization": f"Bearer {live}"}
        assert fresh.get("/gaps", headers=bearer).status_code == 200
    with engine.begin() as committed:
        revoke_key(committed, "revoked holder")
    with TestClient(create_app(db_url)) as fresh:
        gone = fresh.get("/gaps", headers={"Authorization": f"Bearer {live}"})
    assert gone.status_code == 401 and "expired or revoked" in gone.json()["detail"]


def test_openapi_names_the_ways_to_send_a_key(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/token"
    assert schemes["apiKey"]["name"] == "X-API-Key" and schemes["bearer"]["scheme"] == "bearer"
    assert {"apiKey": []} in document["paths"]["/lookup"]["get"]["security"]
    assert "security" not in document["paths"]["/oauth/token"]["post"]


def test_a_chinese_key_name_as_client_id(client: TestClient, engine: Engine) -> None:
    with engine.begin() as committed:  # the token endpoint reads keys outside the test
        key = create_key(committed, "王五 指挥中心", "command")
    got = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic("王五 指挥中心", key),
    )
    assert got.status_code == 200 and got.json()["role"] == "command"
