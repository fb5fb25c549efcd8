"""Signing in from a browser: a key pasted once and exchanged for a week's token, kept
in an HTTP-only cookie, so that map pages (and the tiles they fetch) carry it."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from geo_api.api.auth import Gate, client_address
from geo_api.api.credentials import KEY_COOKIE, Credential, same_origin
from geo_api.auth.tokens import end_session, issue_token
from geo_api.errors import GridgovError, RateLimitedError

router = APIRouter(tags=["sign in"], include_in_schema=False)
COOKIE_DAYS = 7

PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8">
<title>登录 gridgov</title><style>
body {{font:15px/1.6 sans-serif; background:#f4f1ea; display:flex; justify-content:center;
  padding-top:12vh;}}
form {{background:#fff; padding:24px 28px; border-radius:8px; box-shadow:0 1px 6px #aaa;
  width:420px;}}
input[type=password] {{width:100%; padding:6px; font:inherit; margin:6px 0 12px;}}
.error {{color:#b2182b;}}</style></head><body>
<form method="post" action="/login"><h1>网格化治理 · 登录</h1>
<label>API 密钥 (API key)<input type="password" name="key" autofocus required></label>
<input type="hidden" name="next" value="{next}">
<p class="error" role="alert">{error}</p><button type="submit">登录 Sign in</button>
<p><small>管理员用 <code>gridgov users create</code> 生成密钥。
An admin makes keys with <code>gridgov users create</code>.</small></p></form></body></html>"""


# Why the form is shown again, when a session that worked has ended.
ENDED = {
    "expired": "登录已过期，请重新登录。Your sign-in has expired: sign in again.",
    "revoked": (
        "登录所用的密钥已被吊销或更换，请用新密钥登录。"
        "The key you signed in with was revoked or replaced: sign in with a new one."
    ),
}


def _safe(next_path: str) -> str:
    """Only a path of this site: never another host ("//evil", "https:")."""
    if next_path.startswith("/") and not next_path.startswith("//") and "\\" not in next_path:
        return next_path
    return "/maps/command-centre"


@router.get("/login", response_class=HTMLResponse)
def login_page(next: str = "/maps/command-centre", ended: str | None = None) -> HTMLResponse:
    """The sign-in form; ``ended`` (expired, revoked) says why the last session ended,
    and ``next`` is the page (with its query) to return to."""
    note = ENDED.get(ended or "", "")
    return HTMLResponse(PAGE.format(next=html.escape(_safe(next)), error=html.escape(note)))


@router.post("/login", response_model=None)
def login(
    request: Request,
    key: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/maps/command-centre",
) -> Response:
    """Check the key; keep it in a cookie and go on, or show the form again."""
    gate: Gate = request.app.state.gate
    if "origin" in request.headers and not same_origin(request, gate.settings.public_url):
        # A page elsewhere must not sign a browser in under someone else's key.
        page = PAGE.format(next="/", error="sign in from gridgov's own page")
        return HTMLResponse(page, status_code=403)
    try:
        caller = gate.verify(Credential(key.strip()), client_address(request))
        # The cookie holds a token for the week, not the key (geo_api.auth.tokens).
        with gate.engine.connect() as conn:
            kept, _ = issue_token(conn, key.strip(), seconds=COOKIE_DAYS * 86400)
    except GridgovError as error:
        page = PAGE.format(next=html.escape(_safe(next)), error=html.escape(str(error)))
        if isinstance(error, RateLimitedError):
            retry = {"Retry-After": str(max(1, round(error.retry_after)))}
            return HTMLResponse(page, status_code=429, headers=retry)
        return HTMLResponse(page, status_code=401)
    target = _safe(next)
    if caller.role == "officer" and target == "/maps/command-centre":
        target = (
            f"/maps/grids/{caller.grid_code}"
            if caller.grid_code
            else f"/maps/communities/{caller.community_code}"
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        KEY_COOKIE,
        kept,
        max_age=COOKIE_DAYS * 86400,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.api_route("/logout", methods=["GET", "POST"])
def logout(request: Request) -> Response:
    """End the session: the cookie's token is refused from now on, on every worker,
    and the browser forgets it."""
    kept = request.cookies.get(KEY_COOKIE)
    if kept:
        gate: Gate = request.app.state.gate
        with gate.engine.begin() as conn:
            end_session(conn, kept.strip())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(KEY_COOKIE)
    return response
