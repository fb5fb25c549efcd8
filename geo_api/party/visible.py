"""What each role sees of the party lists: unit contacts and who raised a demand are
personal data (in full to admins and officers, audited; masked to the command
centre; absent for planners), and officers see their own community only."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection

from geo_api.auth.audit import record
from geo_api.auth.roles import Caller
from geo_api.errors import ForbiddenError
from geo_api.privacy import mask_name

PERSONAL = ("contact_name", "contact_phone")
# A raiser that names a body (居委会, 业委会, 楼栋党小组...) is not a person.
_BODY = re.compile(r"(会|委|组|队|社区|支部|公司|中心|站|所|局|办|部|院|校)$")


def for_caller(caller: Caller, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items as the caller may see them (units were masked already unless revealed)."""
    out = []
    for item in items:
        shown = dict(item)
        if not caller.personal:
            for key in PERSONAL:
                shown.pop(key, None)
        raiser = shown.get("raised_by")
        if raiser and not _BODY.search(raiser):
            if not caller.personal:
                shown["raised_by"] = None
            elif not caller.reveals:
                shown["raised_by"] = mask_name(raiser)
        out.append(shown)
    return out


def audit_units(conn: Connection, caller: Caller, action: str, units: list[dict[str, Any]]) -> None:
    """Record the units whose contacts a caller read in full."""
    if caller.reveals:
        shown = [f"alliance_unit:{u['id']}" for u in units if any(u.get(k) for k in PERSONAL)]
        record(conn, caller, action, shown, None)


def own_community(caller: Caller, community_id: int | None, what: str) -> None:
    """Hold an officer to their own community."""
    if caller.scoped and community_id != caller.community_id:
        raise ForbiddenError(f"{what} lies outside your community ({caller.community_code})")
