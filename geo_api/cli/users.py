"""gridgov users and gridgov audit: API keys and the log of personal-data reads."""

from __future__ import annotations

from typing import Annotated

import typer

from geo_api.auth.roles import LABELS, ROLES
from geo_api.cli.ui import listing, out
from geo_api.cli.words import t
from geo_api.cli.work import code_of, store

app = typer.Typer(
    help="Make, list and revoke API keys.", no_args_is_help=True, rich_markup_mode=None
)


def _show_key(name: str, role: str, key: str) -> None:
    out.print(f"key for {name} ({role}, {LABELS[role]}), shown this once:")
    out.print(key, soft_wrap=True, highlight=False)
    out.print("use it as 'Authorization: Bearer <key>', or sign in at /login in a browser")


@app.command("create-admin")
def create_admin(
    name: Annotated[str, typer.Option(help="whose key it is")] = "admin",
) -> None:
    """Make an admin key: the first key of a new store, since no key is built in."""
    from geo_api.auth.keys import create_key

    with store().begin() as conn:
        key = create_key(conn, name, "admin")
    _show_key(name, "admin", key)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="whose key it is (unique)")],
    role: Annotated[str, typer.Option(help=f"one of: {', '.join(ROLES)}")],
    community: Annotated[
        str | None, typer.Option(help="an officer's community: its code or its name")
    ] = None,
    grid: Annotated[
        str | None, typer.Option(help="an officer's grid: its code or its name")
    ] = None,
    per_minute: Annotated[int, typer.Option(help="requests a minute")] = 600,
) -> None:
    """Make a key for a role; officers are held to their community or grid."""
    from geo_api.auth.keys import create_key

    with store().begin() as conn:
        key = create_key(
            conn,
            name,
            role,
            community=code_of(conn, "community", community),
            grid=code_of(conn, "grid", grid),
            per_minute=per_minute,
        )
    _show_key(name, role, key)


@app.command("list")
def list_cmd() -> None:
    """Every key: whose, role, area, and whether revoked (never the key itself)."""
    from geo_api.auth.keys import list_keys

    with store().connect() as conn:
        rows = list_keys(conn)
    listing(
        "API keys",
        ("name", "role", "starts", "area", "per minute", "made", "revoked"),
        [
            (
                r.name,
                r.role,
                r.prefix + "…",
                r.grid or r.community or t("city"),
                str(r.per_minute),
                f"{r.created_at:%Y-%m-%d %H:%M}",
                f"{r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "",
            )
            for r in rows
        ],
    )


@app.command()
def revoke(name: Annotated[str, typer.Argument(help="the key's name")]) -> None:
    """Revoke a key; it stops working within seconds."""
    from geo_api.auth.keys import revoke_key

    with store().begin() as conn:
        revoke_key(conn, name)
    out.print(f"revoked the key of {name}")


def audit(
    key: Annotated[str | None, typer.Option(help="only this key's reads")] = None,
    limit: Annotated[int, typer.Option(help="rows, newest first")] = 50,
) -> None:
    """Who read which personal data, when, and why (admins' and officers' reads)."""
    from geo_api.auth.audit import audit_rows

    with store().connect() as conn:
        rows = audit_rows(conn, limit=limit, key=key)
    listing(
        "personal data read in full",
        ("when", "key", "role", "request", "records", "why"),
        [
            (
                f"{r['at']:%Y-%m-%d %H:%M:%S}",
                r["key_name"],
                r["role"],
                r["action"],
                r["records"],
                r["reason"] or "",
            )
            for r in rows
        ],
    )
