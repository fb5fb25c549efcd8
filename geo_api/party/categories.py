"""The shared vocabulary of the three lists (养老助老, 儿童关爱, 环境整治...): add,
rename, retire. A retired category stays on the items that used it; new items may
not take it."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, text

from geo_api.auth.roles import Caller
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.party.journal import log_change, text_field

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def list_categories(conn: Connection, *, active_only: bool = False) -> list[dict[str, Any]]:
    """Every category (code, Chinese and English names, active), by id."""
    rows = conn.execute(
        text("""SELECT id, code, name_zh, name_en, active FROM list_category
                WHERE active OR NOT :active_only ORDER BY id"""),
        {"active_only": active_only},
    ).mappings()
    return [dict(r) for r in rows]


def category_id(conn: Connection, given: str, *, for_new: bool = True) -> int:
    """The id of a category named by its code or either name; a retired one is refused
    for new items."""
    row = conn.execute(
        text("""SELECT id, active FROM list_category
                WHERE code = :v OR name_zh = :v OR lower(name_en) = lower(:v)"""),
        {"v": given.strip()},
    ).first()
    if row is None:
        known = ", ".join(c["code"] for c in list_categories(conn, active_only=True))
        raise InvalidInputError(f"category {given!r} is unknown (known: {known})")
    if for_new and not row.active:
        raise InvalidInputError(f"category {given!r} is retired: new items may not take it")
    return int(row.id)


def add_category(
    conn: Connection, code: str, name_zh: str, name_en: str, by: Caller | None = None
) -> dict[str, Any]:
    """A new category of the vocabulary."""
    if not _CODE.match(code):
        raise InvalidInputError(f"category code {code!r}: lower-case letters, digits, _")
    zh, en = text_field(name_zh, "name_zh"), text_field(name_en, "name_en")
    taken = conn.execute(
        text("SELECT code FROM list_category WHERE code = :c OR name_zh = :zh"),
        {"c": code, "zh": zh},
    ).first()
    if taken is not None:
        raise InvalidInputError(f"category {code!r} or {zh!r} exists already ({taken.code})")
    new_id = conn.execute(
        text("""INSERT INTO list_category (code, name_zh, name_en)
                VALUES (:c, :zh, :en) RETURNING id"""),
        {"c": code, "zh": zh, "en": en},
    ).scalar_one()
    log_change(conn, by, "category add", f"list_category:{new_id}")
    return _one(conn, code)


def rename_category(
    conn: Connection,
    code: str,
    name_zh: str | None = None,
    name_en: str | None = None,
    by: Caller | None = None,
) -> dict[str, Any]:
    """New names for a category (its code stays: files and links use it)."""
    found = _one(conn, code)
    conn.execute(
        text("UPDATE list_category SET name_zh = :zh, name_en = :en WHERE id = :id"),
        {
            "id": found["id"],
            "zh": text_field(name_zh, "name_zh") if name_zh is not None else found["name_zh"],
            "en": text_field(name_en, "name_en") if name_en is not None else found["name_en"],
        },
    )
    log_change(conn, by, "category rename", f"list_category:{found['id']}")
    return _one(conn, code)


def retire_category(conn: Connection, code: str, by: Caller | None = None) -> dict[str, Any]:
    """Retire a category: kept on the items that have it, refused to new ones."""
    found = _one(conn, code)
    conn.execute(
        text("UPDATE list_category SET active = false WHERE id = :id"), {"id": found["id"]}
    )
    log_change(conn, by, "category retire", f"list_category:{found['id']}")
    return _one(conn, code)


def _one(conn: Connection, code: str) -> dict[str, Any]:
    row = (
        conn.execute(
            text("SELECT id, code, name_zh, name_en, active FROM list_category WHERE code = :c"),
            {"c": code},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"no category with code {code!r}")
    return dict(row)
