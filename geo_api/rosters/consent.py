"""A head's consent to be named on the placards (三长信息公示牌).

Without it a placard shows the head's name masked and no phone; with it, both in
full, as the Houma report's 制牌上墙 asks. The heads import sets it too (its
同意公示 column); the answer says the head's place so an officer can check it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo_api.errors import NotFoundError

SET_SQL = text("""
UPDATE head SET consent_public = :consent WHERE id = :id
RETURNING id, role, consent_public
""")


def set_consent(conn: Connection, head_id: int, consent: bool) -> dict[str, Any]:
    """Record whether head ``head_id`` agreed to be named on the placards in full."""
    row = conn.execute(SET_SQL, {"id": head_id, "consent": consent}).first()
    if row is None:
        raise NotFoundError(f"head {head_id} does not exist")
    return {"id": row.id, "role": row.role, "consent_public": row.consent_public}
