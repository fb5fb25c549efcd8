"""A head's consent to be named on the placards (三长信息公示牌).

Without it a placard shows the head's name masked and no phone; with it, both in
full, as the Houma report's 制牌上墙 asks. The heads import sets it too (its
同意公示 column); the answer says the head's place so an officer can check it.
Every change of it is recorded in the audit log: who (the key, or the CLI's system
user) and when, the head and the new answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo_api.errors import NotFoundError
from geo_api.rosters.record import Who, noted

# The old answer comes from the row as it was before this statement (the FROM's copy).
SET_SQL = text("""
UPDATE head h SET consent_public = :consent FROM head old
WHERE h.id = :id AND old.id = h.id
RETURNING h.id, h.role, h.consent_public, old.consent_public AS was
""")


def consent_action(consent: bool, via: str) -> str:
    """The audit log's action for a consent change (``via``: the route or import)."""
    return f"consent {'yes' if consent else 'no'} ({via})"


def note_consents(conn: Connection, who: Who, changed: dict[int, bool], via: str) -> None:
    """Record consent changes (head id -> new answer): one audit row per answer."""
    for consent in (True, False):
        heads = sorted(h for h, c in changed.items() if c is consent)
        if heads:
            noted(conn, who, consent_action(consent, via), [f"head:{h}" for h in heads])


def set_consent(conn: Connection, who: Who, head_id: int, consent: bool) -> dict[str, Any]:
    """Record whether head ``head_id`` agreed to be named on the placards in full; a
    change is recorded in the audit log with who made it."""
    row = conn.execute(SET_SQL, {"id": head_id, "consent": consent}).first()
    if row is None:
        raise NotFoundError(f"head {head_id} does not exist")
    if row.was != row.consent_public:
        note_consents(conn, who, {int(row.id): bool(row.consent_public)}, "PUT /heads/consent")
    return {"id": row.id, "role": row.role, "consent_public": row.consent_public}
