"""Issue 20's authentication: tokens signed with the server's secret, sign-out and
revocation on the next request, HTTP Basic, failed keys throttled per address, CSRF
on cookie writes, trusted hosts and the public URL, and the access log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo_api.api.main import create_app
from geo_api.api.middleware import PrivateQueryFilter, private_path
from geo_api.auth.keys import create_key, hash_key, revoke_key
from geo_api.auth.secret import server_secret
from geo_api.auth.tokens import MAX_TOKEN_SECONDS, caller_for_credential, issue_token
from geo_api.settings import AuthSettings

NO_KEY = {"X-API-Key": ""}


@pytest.fixture
def committed_key(engine: Engine) -> Iterator[tuple[str, str]]:
    """A command-centre key committed to the store (apps made in the test read it), and
    its name; deleted after."""
    name = f"sessions {time.monotonic_ns()}"
    with engine.begin() as conn:
        key = create_key(conn, name, "command")
    yield name, key
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM api_key WHERE name = :n"), {"n": name})


def test_the_secret_is_made_once_with_mode_600(tmp_path: Path) -> None:
    settings = AuthSettings(secret_file=tmp_path / "state" / "secret", secret=None)
    first = server_secret(settings)
    path = tmp_path / "state" / "secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert server_secret(settings) == first and len(first) >= 32
    given = AuthSettings(secret="s" * 40, secret_file=path)
    assert server_secret(given) == b"s" * 40


def test_a_dump_of_the_store_mints_no_token(conn: Connection) -> None:
    key = create_key(conn, "dump victim", "admin")
    token, caller = issue_token(conn, key)
    assert caller_for_credential(conn, token) is not None
    # What the store holds (the key's hash) no longer signs: the old scheme's forgery.
    stored = conn.execute(text("SELECT key_hash FROM api_key WHERE id = :i"), {"i": caller.key_id})
    key_hash = stored.scalar_one()
    assert key_hash == hash_key(key)
    payload = f"{caller.key_id}.{int(time.time()) + 3600}"
    digest = hmac.new(bytes.fromhex(key_hash), payload.encode(), hashlib.sha256).digest()
    forged = f"ggt_{payload}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"
    assert caller_for_credential(conn, forged) is None
    # And no token lasts past the cap, however it came to claim so.
    far, _ = issue_token(conn, key, seconds=3600, now=time.time() + MAX_TOKEN_SECONDS)
    assert caller_for_credential(conn, far) is None


def test_logout_ends_the_session_everywhere(db_url: str, committed_key: tuple[str, str]) -> None:
    _, key = committed_key
    with TestClient(create_app(db_url)) as browser:
        signed = browser.post("/login", data={"key": key}, follow_redirects=False)
        cookie = signed.cookies["gridgov_key"]
        page = {"Cookie": f"gridgov_key={cookie}"}
        assert browser.get("/gaps", headers=page).status_code == 200
        out = browser.get("/logout", headers=page, follow_redirects=False)
        assert out.status_code == 303
        assert browser.get("/gaps", headers=page).status_code == 401
    with TestClient(create_app(db_url)) as other_worker:
        assert other_worker.get("/gaps", headers=page).status_code == 401
        # The key itself still works: only that session ended.
        assert other_worker.get("/gaps", headers={"X-API-Key": key}).status_code == 200


def test_a_revoked_key_fails_on_the_next_request(
    db_url: str, engine: Engine, committed_key: tuple[str, str]
) -> None:
    name, key = committed_key
    with TestClient(create_app(db_url), headers={"X-API-Key": key}) as app:
        token = app.post(
            "/oauth/token", data={"grant_type": "client_credentials", "client_secret": key}
        ).json()["access_token"]
        bearer = {"X-API-Key": "", "Authorization": f"Bearer {token}"}
        assert app.get("/gaps").status_code == 200
        assert app.get("/gaps", headers=bearer).status_code == 200
        with engine.begin() as conn:
            revoke_key(conn, name)
        assert app.get("/gaps").status_code == 401  # no 5 s grace any more
        assert app.get("/gaps", headers=bearer).status_code == 401


def test_http_basic_opens_every_route(
    client: TestClient, keys: dict[str, str], engine: Engine
) -> None:
    with engine.begin() as conn:
        chinese = create_key(conn, f"王五 规划 {time.monotonic_ns()}", "planner")
        name = conn.execute(
            text("SELECT name FROM api_key WHERE key_hash = :h"), {"h": hash_key(chinese)}
        ).scalar_one()
    for who, secret in (("test planner", keys["planner"]), (name, chinese)):
        got = client.get("/ogc/collections", headers=NO_KEY, auth=(who, secret))
        assert got.status_code == 200, (who, got.text)
    # QGIS 3.22 sends the user name as Latin-1: each Chinese character as '?'.
    latin1 = base64.b64encode(f"{name.encode('latin-1', 'replace').decode()}:{chinese}".encode())
    qgis = client.get("/gaps", headers={**NO_KEY, "Authorization": f"Basic {latin1.decode()}"})
    assert qgis.status_code == 200, qgis.text
    wrong_name = client.get("/gaps", headers=NO_KEY, auth=("test admin", keys["planner"]))
    assert wrong_name.status_code == 401
    wrong_key = client.get("/gaps", headers=NO_KEY, auth=("test planner", "gg_wrong"))
    assert wrong_key.status_code == 401 and "Basic" in wrong_key.headers["www-authenticate"]
    # A planner by Basic is still a planner.
    refused = client.get("/recruits", headers=NO_KEY, auth=("test planner", keys["planner"]))
    assert refused.status_code == 403
    # Every route a GET reaches without path parameters takes Basic as it takes a key: no
    # 401 (a 403 is the role's, a 422 a missing query parameter's), never a 500.
    schema = client.get("/openapi.json", headers=NO_KEY, auth=("test planner", keys["planner"]))
    paths = [p for p, ops in schema.json()["paths"].items() if "get" in ops and "{" not in p]
    assert len(paths) >= 25  # the whole API, not the few routes of the app's top level
    for path in paths:
        got = client.get(path, headers=NO_KEY, auth=("test planner", keys["planner"]))
        assert got.status_code not in (401, 500), (path, got.status_code, got.text[:200])


def test_wrong_keys_are_throttled_per_address(
    db_url: str, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEO_API_AUTH_FAILURES_PER_MINUTE", "5")
    with TestClient(create_app(db_url)) as app:
        statuses = [
            app.get("/gaps", headers={"X-API-Key": f"gg_wrong{i}"}).status_code for i in range(8)
        ]
        assert statuses == [401] * 5 + [429] * 3
        # The address is held off, whatever it sends next: a right key, Basic, a token.
        held = app.get("/gaps", headers={"X-API-Key": keys["command"]})
        assert held.status_code == 429 and int(held.headers["retry-after"]) >= 1
        assert "too many wrong keys" in held.json()["detail"]
        grant = {"grant_type": "client_credentials", "client_secret": keys["command"]}
        assert app.post("/oauth/token", data=grant).status_code == 429
        assert app.post("/login", data={"key": keys["command"]}).status_code == 429


def test_cookie_writes_must_come_from_gridgov_pages(
    client: TestClient, keys: dict[str, str], conn: Connection
) -> None:
    household = conn.execute(text("SELECT min(id) FROM household")).scalar_one()
    signed = client.post(
        "/login", data={"key": keys["command"]}, headers=NO_KEY, follow_redirects=False
    )
    cookie = {**NO_KEY, "Cookie": f"gridgov_key={signed.cookies['gridgov_key']}"}
    path = f"/households/{household}/lock"
    for origin in ("http://testserver:8080", "null", None):
        headers = {**cookie, "Origin": origin} if origin else cookie
        refused = client.put(path, json={"locked": True}, headers=headers)
        assert refused.status_code == 403, origin
        assert "own pages" in refused.json()["detail"]
    elsewhere = client.post("/assign", headers={**cookie, "Referer": "http://evil.example/"})
    assert elsewhere.status_code == 403
    ours = client.put(
        path, json={"locked": True}, headers={**cookie, "Origin": "http://testserver"}
    )
    assert ours.status_code == 200, ours.text
    # Keys in a header are no cookie: scripts send no Origin.
    assert client.put(path, json={"locked": False}).status_code == 200
    # Nor may another site sign the browser in under its own key.
    planted = client.post(
        "/login", data={"key": keys["planner"]}, headers={**NO_KEY, "Origin": "http://evil.example"}
    )
    assert planted.status_code == 403


def test_links_never_come_from_a_foreign_host(
    client: TestClient, db_url: str, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    evil = client.get("/ogc/collections", headers={"Host": "evil.example"})
    assert evil.status_code == 400 and "evil.example" not in evil.text
    monkeypatch.setenv("GEO_API_PUBLIC_URL", "https://gis.example.cn/gridgov")
    with TestClient(create_app(db_url), headers={"X-API-Key": keys["planner"]}) as app:
        doc = app.get("/ogc/collections/grids/items?limit=2").json()
        hrefs = [link["href"] for link in doc["links"]]
        assert hrefs and all(h.startswith("https://gis.example.cn/gridgov/ogc/") for h in hrefs)
        assert app.get("/ogc/", headers={"Host": "evil.example"}).status_code == 400
        # The public URL's host is answered to.
        public = app.get("/ogc/", headers={"Host": "gis.example.cn"})
        assert public.status_code == 200 and "evil" not in public.text


def test_the_access_log_keeps_no_address() -> None:
    path = "/lookup/address?q=%E6%B0%B4%E5%B2%B8%E6%98%8E%E7%8F%A03-2-501&x=1"
    assert private_path(path) == "/lookup/address?q=***&x=1"
    assert private_path("/lookup?lon=111.3&lat=35.6") == "/lookup?lon=111.3&lat=35.6"
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )
    assert PrivateQueryFilter().filter(record)
    assert "501" not in record.getMessage() and "q=***" in record.getMessage()
