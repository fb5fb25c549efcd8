"""The rate budgets' sweep (geo_api.auth.budget.SWEEP_SQL): a bucket unused for a
minute is full again and goes; a key's write mark stays while its reads must still
go to the primary (GEO_API_REPLICA_STICKY_S), however long that is."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

from geo_api.auth.budget import SWEEP_SQL

BUCKET = """
INSERT INTO rate_bucket (kind, name, cap, tokens, at, granted, wrote_at)
VALUES ('key', :name, 60, 60, now() - make_interval(secs => :idle), true,
        CASE WHEN CAST(:wrote AS float8) IS NULL THEN NULL
             ELSE now() - make_interval(secs => CAST(:wrote AS float8)) END)
"""


@pytest.mark.parametrize(
    ("idle", "wrote", "sticky", "kept"),
    [
        (30, None, 5, True),  # used within the minute: still counting
        (120, None, 5, False),  # full again, no write: gone
        (120, 90, 5, False),  # wrote 90 s ago, sticky 5 s: gone
        (120, 90, 300, True),  # wrote 90 s ago, sticky 300 s: the mark must stay
        (400, 350, 300, False),  # and goes once the sticky time is over
    ],
)
def test_the_sweep_keeps_a_write_mark_for_the_sticky_time(
    conn: Connection, idle: float, wrote: float | None, sticky: float, kept: bool
) -> None:
    name = f"sweep-{idle}-{wrote}-{sticky}"
    conn.execute(text(BUCKET), {"name": name, "idle": idle, "wrote": wrote})
    conn.execute(SWEEP_SQL, {"sticky_s": sticky})
    left = conn.execute(
        text("SELECT count(*) FROM rate_bucket WHERE name = :name"), {"name": name}
    ).scalar_one()
    assert left == int(kept)
