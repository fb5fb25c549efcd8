"""Today in SQL is China's day whatever the session's time zone (migration 0027): from
16:00 to 24:00 UTC the server's current_date is the day before China's, and a head or
officer retired today (geo_api.clock.today) went on serving until UTC midnight."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

from geo_api.clock import today

# Far from China on either side: with one of them the session's date differs from
# China's at any hour (UTC-12 for 20 hours a day, UTC+14 for 6).
ZONES = ["Etc/GMT+12", "Etc/GMT-14", "UTC"]


@pytest.mark.parametrize("zone", ZONES)
def test_china_today_ignores_the_session_zone(conn: Connection, zone: str) -> None:
    conn.execute(text(f"SET LOCAL TimeZone = '{zone}'"))
    assert conn.execute(text("SELECT china_today()")).scalar_one() == today()


@pytest.mark.parametrize("zone", ZONES)
def test_a_head_retired_today_is_no_longer_serving_in_any_zone(conn: Connection, zone: str) -> None:
    conn.execute(text(f"SET LOCAL TimeZone = '{zone}'"))
    head = conn.execute(text("SELECT min(id) FROM active_head")).scalar_one()
    conn.execute(text("UPDATE head SET left_on = :d WHERE id = :h"), {"d": today(), "h": head})
    serving = conn.execute(text("SELECT count(*) FROM active_head WHERE id = :h"), {"h": head})
    assert serving.scalar_one() == 0
    # And one appointed without a date starts today in China.
    day = conn.execute(
        text("SELECT column_default FROM information_schema.columns "
             "WHERE table_name = 'head' AND column_name = 'appointed_on'")
    ).scalar_one()  # fmt: skip
    assert "china_today()" in day
