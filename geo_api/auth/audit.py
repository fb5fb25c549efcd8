"""The audit log: every read of personal data in full, with who, when, what and why."""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from geo_api.auth.roles import Caller

# Where personal data sits in answers: lists or objects of heads and officers.
PEOPLE = {
    "heads": "head",
    "unit_head": "head",
    "building_heads": "head",
    "compound_heads": "head",
    "grid_officers": "officer",
    "officers": "officer",
    "members": "member",
    "head": "head",
}


def people_in(answer: Any, kind: str = "head") -> list[str]:
    """The people an answer shows ("head:12", "officer:3"), found by their keys, and the
    households whose address and room it shows ("household:40")."""
    found: list[str] = []
    if isinstance(answer, dict):
        if "name" in answer and "phone" in answer and "id" in answer:
            found.append(f"{kind}:{answer['id']}")
        if "address" in answer and "room" in answer and "id" in answer and not answer.get("masked"):
            found.append(f"household:{answer['id']}")
        for key, value in answer.items():
            found += people_in(value, PEOPLE.get(key, kind))
    elif isinstance(answer, list):
        for item in answer:
            found += people_in(item, kind)
    return found


def id_ranges(kind: str, ids: Iterable[int]) -> list[str]:
    """Records for many ids of one kind, runs of consecutive ids as one range
    ("household:1-40", "household:45"): an export's thousands of households in a line."""
    out: list[str] = []
    ordered = sorted(set(ids))
    start = 0
    for i in range(1, len(ordered) + 1):
        if i == len(ordered) or ordered[i] != ordered[i - 1] + 1:
            first, last = ordered[start], ordered[i - 1]
            out.append(f"{kind}:{first}" if first == last else f"{kind}:{first}-{last}")
            start = i
    return out


def record(
    conn: Connection, caller: Caller, action: str, records: Iterable[str], reason: str | None
) -> None:
    """Write one audit row (in the caller's transaction)."""
    listed = sorted(set(records))
    if not listed:
        return
    conn.execute(
        text("""INSERT INTO audit_log (key_id, key_name, role, action, records, reason)
                VALUES (:key, :name, :role, :action, :records, :reason)"""),
        {
            "key": caller.key_id,
            "name": caller.name,
            "role": caller.role,
            "action": action,
            "records": ",".join(listed),
            "reason": reason,
        },
    )


def audit_rows(conn: Connection, limit: int = 100, key: str | None = None) -> list[dict[str, Any]]:
    """The newest audit rows, optionally of one key's name."""
    rows = conn.execute(
        text("""SELECT id, at, key_name, role, action, records, reason FROM audit_log
                WHERE CAST(:key AS text) IS NULL OR key_name = :key
                ORDER BY id DESC LIMIT :limit"""),
        {"key": key, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]


def record_operator(
    conn: Connection, action: str, records: Iterable[str], reason: str | None = None
) -> None:
    """Write one audit row for a read made with gridgov's CLI on the store itself: it
    has no key, so the row names the system user (``cli:<user>``) as an admin."""
    listed = sorted(set(records))
    if not listed:
        return
    conn.execute(
        text("""INSERT INTO audit_log (key_id, key_name, role, action, records, reason)
                VALUES (NULL, :name, 'admin', :action, :records, :reason)"""),
        {
            "name": f"cli:{getpass.getuser()}",
            "action": action,
            "records": ",".join(listed),
            "reason": reason,
        },
    )
