"""Proposed matches, computed once per data version, China's day and parameters.

Matching walks every demand-resource pair along the network and solves a flow: seconds
on a big city. ``GET /matches`` asks the same question of the same data again and
again (a screen refreshing, several officers), so the answer is stored like the gaps
(geo_api.db.results) and recomputed only when the data, the day or the question
changes.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection

from geo_api.clock import today
from geo_api.db.results import stored
from geo_api.party.match.distances import DEFAULT_REACH_M
from geo_api.party.match.propose import propose

KIND = "matches"


def stored_proposals(
    conn: Connection,
    year: int,
    *,
    community_id: int | None = None,
    reach_m: float = DEFAULT_REACH_M,
) -> dict[str, Any]:
    """``propose``'s answer, from the store when this data was asked the same already."""
    key = f"year={year};community={community_id};reach={reach_m:g};day={today()}"
    return stored(
        conn,
        KIND,
        key,
        lambda: propose(conn, year, community_id=community_id, reach_m=reach_m),
        lambda value: json.dumps(value, ensure_ascii=False, default=str).encode(),
        lambda body: dict(json.loads(body)),
    )
