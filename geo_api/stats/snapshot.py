"""Snapshots of the key figures and the open gaps of every place.

A snapshot is taken after every data change (assignment run, import, move: the
API's writing routes hand it to a background task) and at least daily (`gridgov
stats snapshot`, from cron or a systemd timer). The figures of the city, its
streets and its communities come from one SQL statement; the gap counts by type
and severity from the gaps already stored for the data version (geo_api.gaps.stored),
grouped by pandas. A snapshot of a data version already taken today is not taken
again, so the hooks cost a lookup when nothing changed.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

import pandas as pd
from sqlalchemy import Connection, Engine, text

from geo_api.gaps.stored import city_gaps

TIME_ZONE = "Asia/Shanghai"  # a day of the series is a day in China
SEVERITIES = ("high", "medium", "low")
CITY_NAME = "全市"
# One lock number for snapshots, so two workers do not take the same one twice.
LOCK_KEY = 1_517_2026

FIGURES_SQL = text("""
WITH hh AS (
  SELECT cp.community_id, count(*) AS households, count(a.household_id) AS covered
  FROM household h JOIN unit u ON u.id = h.unit_id
  JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
  LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
  GROUP BY cp.community_id
), load AS (
  SELECT head_id, count(*) AS n FROM assignment WHERE valid_to IS NULL GROUP BY head_id
), hd AS (
  SELECT cp.community_id, count(*) AS heads,
         -- over target: more households than the head's target (capacity), as the
         -- head_over_capacity gap counts them; a head at exactly the target is not over
         count(*) FILTER (WHERE hd.role = 'unit' AND coalesce(load.n, 0) > hd.capacity)
           AS over
  FROM active_head hd JOIN household home ON home.id = hd.household_id
  JOIN unit u ON u.id = home.unit_id JOIN building b ON b.id = u.building_id
  JOIN compound cp ON cp.id = b.compound_id
  LEFT JOIN load ON load.head_id = hd.id
  GROUP BY cp.community_id
), mem AS (
  SELECT community_id, count(*) AS n FROM member GROUP BY community_id
), st AS (
  SELECT community_id, count(*) AS n FROM station WHERE community_id IS NOT NULL
  GROUP BY community_id
), per AS (
  SELECT c.id, c.code, c.name, c.street_id,
         coalesce(hh.households, 0) AS households, coalesce(hh.covered, 0) AS covered,
         coalesce(hd.heads, 0) AS heads, coalesce(hd.over, 0) AS over,
         coalesce(mem.n, 0) AS members, coalesce(st.n, 0) AS stations
  FROM community c LEFT JOIN hh ON hh.community_id = c.id
  LEFT JOIN hd ON hd.community_id = c.id LEFT JOIN mem ON mem.community_id = c.id
  LEFT JOIN st ON st.community_id = c.id
)
SELECT 'community' AS level, code, name, households, covered, heads, over, members, stations
FROM per
UNION ALL
SELECT 'street', s.code, s.name, coalesce(sum(p.households), 0), coalesce(sum(p.covered), 0),
       coalesce(sum(p.heads), 0), coalesce(sum(p.over), 0), coalesce(sum(p.members), 0),
       -- a street's own centre has no community
       coalesce(sum(p.stations), 0)
         + (SELECT count(*) FROM station x WHERE x.street_id = s.id AND x.community_id IS NULL)
FROM street s LEFT JOIN per p ON p.street_id = s.id
GROUP BY s.id, s.code, s.name
UNION ALL
SELECT 'city', (SELECT left(min(code), 6) FROM street), :city, coalesce(sum(households), 0),
       coalesce(sum(covered), 0), coalesce(sum(heads), 0), coalesce(sum(over), 0),
       (SELECT count(*) FROM member), (SELECT count(*) FROM station)
FROM per
HAVING EXISTS (SELECT 1 FROM street)
""")

VERSION_SQL = text("SELECT version FROM data_version WHERE id = 1")
TAKEN_SQL = text(
    "SELECT 1 FROM snapshot WHERE level = 'city' AND version = :v "
    "AND (taken_at AT TIME ZONE :tz)::date = (now() AT TIME ZONE :tz)::date LIMIT 1"
)
INSERT_SQL = text("""
INSERT INTO snapshot (taken_at, version, level, code, name, households, covered, heads,
                      heads_over_target, members, stations, gaps_high, gaps_medium, gaps_low,
                      gaps)
VALUES (clock_timestamp(), :version, :level, :code, :name, :households, :covered, :heads, :over,
        :members, :stations, :gaps_high, :gaps_medium, :gaps_low, CAST(:gaps AS jsonb))
""")
OPEN_SQL = text("""
INSERT INTO open_gap (type, ref_type, ref_id, since)
SELECT t, r, i, now() FROM unnest(CAST(:types AS text[]), CAST(:refs AS text[]),
                                   CAST(:ids AS bigint[])) AS g(t, r, i)
ON CONFLICT DO NOTHING
""")
CLOSE_SQL = text("""
DELETE FROM open_gap o WHERE NOT EXISTS (
  SELECT 1 FROM unnest(CAST(:types AS text[]), CAST(:refs AS text[]),
                       CAST(:ids AS bigint[])) AS g(t, r, i)
  WHERE g.t = o.type AND g.r = o.ref_type AND g.i = o.ref_id)
""")


def gap_counts(gaps: pd.DataFrame) -> dict[tuple[str, str], dict[str, dict[str, int]]]:
    """Open gaps by (level, code) -> type -> severity -> count, for every place that
    has any (street-level gaps without a community count for the city only)."""
    out: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
    if gaps.empty:
        return out
    frame = pd.DataFrame(
        {
            "type": gaps["type"].astype(str),
            "severity": gaps["severity"].astype(str),
            "community": gaps["community_code"].fillna("").astype(str),
        }
    )
    frame["street"] = frame["community"].str[:9]
    frame["city"] = "city"
    for level, column in (("community", "community"), ("street", "street"), ("city", "city")):
        sizes = frame[frame[column] != ""].groupby([column, "type", "severity"]).size()
        for index, n in sizes.items():
            code, gap_type, severity = cast(tuple[str, str, str], index)
            key = (level, "" if level == "city" else str(code))
            out.setdefault(key, {}).setdefault(str(gap_type), {})[str(severity)] = int(n)
    return out


def _row(figures: dict[str, Any], gaps: dict[str, dict[str, int]], version: int) -> dict[str, Any]:
    by_severity = {s: sum(counts.get(s, 0) for counts in gaps.values()) for s in SEVERITIES}
    return {
        **figures,
        "version": version,
        "gaps_high": by_severity["high"],
        "gaps_medium": by_severity["medium"],
        "gaps_low": by_severity["low"],
        "gaps": json.dumps(gaps, ensure_ascii=False, sort_keys=True),
    }


def _open_gaps(conn: Connection, gaps: pd.DataFrame) -> None:
    """Remember since when each current gap is open; forget the closed ones."""
    keys = {
        "types": gaps["type"].astype(str).tolist(),
        "refs": gaps["ref_type"].astype(str).tolist(),
        "ids": [int(i) for i in gaps["ref_id"].fillna(-1)],
    }
    conn.execute(CLOSE_SQL, keys)
    conn.execute(OPEN_SQL, keys)


def snapshot(conn: Connection, force: bool = False) -> int:
    """Snapshot every place's figures and gaps as ``conn`` sees them now; returns the
    rows written (0 when a snapshot of the same data version was already taken today
    and not ``force``, or when the store has no city)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    version = conn.execute(VERSION_SQL).scalar_one()
    if not force and conn.execute(TAKEN_SQL, {"v": version, "tz": TIME_ZONE}).first():
        return 0
    places = conn.execute(FIGURES_SQL, {"city": CITY_NAME}).mappings().all()
    if not places:
        return 0
    gaps = city_gaps(conn)
    counts = gap_counts(gaps)
    rows = [
        _row(
            dict(place),
            counts.get((place["level"], "" if place["level"] == "city" else place["code"]), {}),
            version,
        )
        for place in places
    ]
    conn.execute(INSERT_SQL, rows)
    _open_gaps(conn, gaps)
    return len(rows)


def take_snapshot(engine: Engine, force: bool = False) -> int:
    """A snapshot in a transaction of its own (see snapshot)."""
    with engine.begin() as conn:
        return snapshot(conn, force)


def snapshot_after_change(engine: Engine) -> None:
    """The hook run after a data change (a background task of the writing routes):
    a snapshot of the new data, unless one is already there."""
    take_snapshot(engine)


def last_taken(conn: Connection) -> datetime | None:
    """When the newest snapshot was taken; None before the first."""
    return conn.execute(  # type: ignore[no-any-return]
        text("SELECT max(taken_at) FROM snapshot WHERE level = 'city'")
    ).scalar_one()
