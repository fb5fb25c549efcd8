"""Today where the cities are: China's day (UTC+8), in Python and in SQL.

A date an officer types, a checkpoint passing, a year's members' activity and the
day the stored gaps are found for all mean China's calendar day, whatever the
zone of the server or of the database session.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
# The same day in SQL, whatever the session's TimeZone.
TODAY_SQL = "china_today()"  # migration 0027; china_day(moment) for any other moment


def today() -> date:
    """Today in China."""
    return datetime.now(CHINA).date()
