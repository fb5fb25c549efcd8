"""A wall screen whose session ended is told why on the sign-in page, and comes back
to the page it showed, query and all."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Connection

from geo_api.auth.keys import create_key, revoke_key
from geo_api.auth.tokens import issue_token

WALL = "/maps/command-centre?screen=big&refresh=60&lang=en"
PAGE = {"Accept": "text/html", "X-API-Key": ""}


def _login_target(client: TestClient, cookie: str | None) -> tuple[str, dict[str, list[str]]]:
    headers = dict(PAGE, Cookie=f"gridgov_key={cookie}") if cookie else PAGE
    sent = client.get(WALL, headers=headers, follow_redirects=False)
    assert sent.status_code == 303
    where = urlsplit(sent.headers["location"])
    return where.path, parse_qs(where.query)


def test_no_session_goes_to_sign_in_and_back_with_the_query(
    client: TestClient, keys: dict[str, str]
) -> None:
    path, query = _login_target(client, None)
    assert path == "/login" and query["next"] == [WALL] and "ended" not in query
    form = client.get("/login", params={"next": WALL}).text
    assert 'value="/maps/command-centre?screen=big&amp;refresh=60&amp;lang=en"' in form
    signed = client.post(
        "/login",
        data={"key": keys["command"], "next": WALL},
        headers={"X-API-Key": ""},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == WALL


def test_a_revoked_session_says_so(client: TestClient, conn: Connection) -> None:
    key = create_key(conn, "old demo", "command")
    token, _ = issue_token(conn, key, seconds=3600)
    revoke_key(conn, "old demo")
    path, query = _login_target(client, token)
    assert path == "/login" and query["ended"] == ["revoked"] and query["next"] == [WALL]
    page = client.get("/login", params={"next": WALL, "ended": "revoked"}).text
    assert "被吊销或更换" in page and "revoked or replaced" in page


def test_an_expired_session_says_so(client: TestClient, conn: Connection) -> None:
    key = create_key(conn, "short session", "command")
    token, _ = issue_token(conn, key, seconds=60, now=time.time() - 3600)
    _path, query = _login_target(client, token)
    assert query["ended"] == ["expired"]
    page = client.get("/login", params={"next": WALL, "ended": "expired"}).text
    assert "登录已过期" in page and "has expired" in page
    assert "has expired" not in client.get("/login", params={"ended": "<script>"}).text
