"""API keys and the audit log survive a reload of the city.

Loading a city empties the city's tables with TRUNCATE ... CASCADE, and officers'
keys refer to a community (and grid), so the cascade would empty ``api_key`` and,
through it, ``audit_log``: every key gone and the audit trail with it. Both are
copied aside first and put back after: an officer's key follows its community and
grid by their codes into the new city; one whose area is gone is dropped, as
deleting the area would (its audit rows stay, with the key's name).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

SAVE = (
    """CREATE TEMP TABLE kept_key ON COMMIT DROP AS
       SELECT k.*, c.code AS community_code, g.code AS grid_code FROM api_key k
       LEFT JOIN community c ON c.id = k.community_id LEFT JOIN grid g ON g.id = k.grid_id""",
    "CREATE TEMP TABLE kept_audit ON COMMIT DROP AS SELECT * FROM audit_log",
)
RESTORE_KEYS = """
INSERT INTO api_key (id, name, role, key_hash, prefix, community_id, grid_id, per_minute,
                     created_at, revoked_at)
SELECT k.id, k.name, k.role, k.key_hash, k.prefix, c.id, g.id, k.per_minute, k.created_at,
       k.revoked_at
FROM kept_key k
LEFT JOIN community c ON c.code = k.community_code
LEFT JOIN grid g ON g.code = k.grid_code
WHERE k.role <> 'officer' OR (c.id IS NOT NULL AND (k.grid_code IS NULL OR g.id IS NOT NULL))
"""
DROPPED = "SELECT name FROM kept_key WHERE id NOT IN (SELECT id FROM api_key) ORDER BY name"
RESTORE_AUDIT = """
INSERT INTO audit_log (id, at, key_id, key_name, role, action, records, reason)
SELECT a.id, a.at, (SELECT k.id FROM api_key k WHERE k.id = a.key_id), a.key_name, a.role,
       a.action, a.records, a.reason
FROM kept_audit a
"""
SEQUENCES = """
SELECT setval(pg_get_serial_sequence('api_key', 'id'), coalesce(max(id), 0) + 1, false)
FROM api_key;
SELECT setval(pg_get_serial_sequence('audit_log', 'id'), coalesce(max(id), 0) + 1, false)
FROM audit_log;
"""


@contextmanager
def keys_kept(conn: Connection) -> Iterator[list[str]]:
    """Around a reload in ``conn``'s transaction: keys and audit rows are put back at
    the end. Yields the list that then names the officers' keys dropped."""
    for statement in SAVE:
        conn.execute(text(statement))
    dropped: list[str] = []
    yield dropped
    conn.execute(text(RESTORE_KEYS))
    dropped += conn.execute(text(DROPPED)).scalars().all()
    conn.execute(text(RESTORE_AUDIT))
    for statement in SEQUENCES.split(";")[:-1]:
        conn.execute(text(statement))
    if dropped:
        log.warning(
            "dropped the keys of officers whose area is not in the new city: %s",
            ", ".join(dropped),
        )
