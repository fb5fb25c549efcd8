"""What the command-centre wall shows of a place (the city, a street or a
community): its cards with their changes, the ranking of the places under it, the
trend of the last 30 days and the alerts, newest and worst first.

Built from the snapshots (geo_api.stats.snapshot) and the stored gaps, once per data
version; a few KB as JSON, polled by the wall every minute or so.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from geo_api.db.results import data_version
from geo_api.errors import InvalidInputError
from geo_api.gaps.stored import city_gaps
from geo_api.gaps.who_acts import Actor, who_acts_frame
from geo_api.stats.series import changes, check_place, city_code, daily, today

TREND_DAYS = 30
ALERTS = 12  # the alerts a wall can show at a readable size
CARDS = ("coverage", "without_head", "heads_over_target", "gaps_high", "gaps_medium", "gaps_low")
TREND = ("coverage", "without_head", "gaps_high", "gaps_medium", "gaps_low")
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
LEVEL_OF_DIGITS = {6: "city", 9: "street", 12: "community"}

# The newest snapshot of every street and community under a place.
RANKING_SQL = text("""
SELECT DISTINCT ON (level, code) level, code, name, households,
       CASE WHEN households > 0 THEN round(100.0 * covered / households, 1) ELSE 0 END
         AS coverage,
       gaps_high + gaps_medium + gaps_low AS gaps, gaps_high
FROM snapshot
WHERE level IN ('street', 'community') AND (:level = 'city' OR level = 'community')
  AND code LIKE :prefix
ORDER BY level, code, taken_at DESC
""")
SINCE_SQL = text("SELECT type, ref_type, ref_id, since FROM open_gap")


def place_level(code: str | None) -> str:
    """The level of a place by the digits of its code (none: the city)."""
    if not code:
        return "city"
    level = LEVEL_OF_DIGITS.get(len(code))
    if level is None or not code.isdigit():
        raise InvalidInputError(
            f"code must be a city (6 digits), street (9) or community (12) code, not {code!r}"
        )
    return level


def ranking(conn: Connection, level: str, code: str) -> dict[str, list[dict[str, Any]]]:
    """The streets and communities under the place (a community: its street's
    communities, itself among them), by coverage (lowest first) and by open gaps."""
    prefix = {"city": "", "street": code, "community": code[:9]}[level]
    rows = [
        {
            "level": r["level"],
            "code": r["code"],
            "name": r["name"],
            "coverage": float(r["coverage"]),
            "gaps": int(r["gaps"]),
            "gaps_high": int(r["gaps_high"]),
        }
        for r in conn.execute(RANKING_SQL, {"level": level, "prefix": f"{prefix}%"}).mappings()
    ]
    return {
        "coverage": sorted(rows, key=lambda r: (r["coverage"], r["code"])),
        "gaps": sorted(rows, key=lambda r: (-r["gaps"], -r["gaps_high"], r["code"])),
    }


def alerts(
    conn: Connection, level: str, code: str, reveal: bool = False, limit: int = ALERTS
) -> list[dict[str, Any]]:
    """The place's ``limit`` worst and newest open gaps: where, what, who must act (the
    gaps' rule, geo_api.gaps.who_acts: a person named in full only if ``reveal``), since
    when."""
    gaps = city_gaps(conn)
    if level != "city":
        gaps = gaps[gaps["community_code"].fillna("").str.startswith(code)]
    if gaps.empty:
        return []
    since = pd.DataFrame(conn.execute(SINCE_SQL).mappings().all())
    frame = pd.DataFrame(gaps.drop(columns="geometry"))
    if since.empty:
        frame["since"] = pd.NaT
    else:
        frame = frame.merge(since, how="left", on=["type", "ref_type", "ref_id"])
    top = worst_first(frame).head(limit).reset_index(drop=True)
    actors = who_acts_frame(conn, top)
    return [_alert(r, a.shown(reveal)) for r, a in zip(top.to_dict("records"), actors, strict=True)]


def worst_first(gaps: pd.DataFrame) -> pd.DataFrame:
    """Gaps (type, severity, since, households) in the wall's order: the most severe,
    then the newest; among those equally severe and new, the types take turns (the
    biggest of each first), so that one type with many gaps does not fill the list."""
    frame = gaps.assign(rank=gaps["severity"].map(SEVERITY_RANK))
    frame = frame.sort_values("households", ascending=False, kind="stable")
    frame["turn"] = frame.groupby(["rank", "since", "type"], dropna=False).cumcount()
    return frame.sort_values(
        ["rank", "since", "turn", "households"], ascending=[True, False, True, False]
    ).drop(columns=["rank", "turn"])


def _alert(r: dict[Hashable, Any], who: Actor) -> dict[str, Any]:
    """One alert as the wall shows it, with who must act as the caller may see them."""
    since = r["since"]
    households = r["households"]
    return {
        "id": f"{r['type']}:{r['ref_type']}:{r['ref_id']}",
        "type": r["type"],
        "severity": r["severity"],
        "detail": r["detail"],
        "place": r["community_name"] if isinstance(r["community_name"], str) else "",
        "who": {"role": who.role, "id": who.id, "name": who.name, "phone": who.phone},
        "since": None if pd.isna(since) else since.isoformat(timespec="minutes"),
        "households": 0 if pd.isna(households) else int(households),
    }


def wall(conn: Connection, code: str | None = None, reveal: bool = False) -> dict[str, Any]:
    """Everything the wall shows of a place, with the data version it was read at;
    the people who must act on its alerts in full only if ``reveal`` (an admin)."""
    level = place_level(code)
    code = check_place(conn, level, code) if code else city_code(conn)
    now = changes(conn, level, code)
    day = today(conn)
    trend = daily(conn, level, code, day - timedelta(days=TREND_DAYS - 1), day)
    figures, by_day, by_week = now["figures"], now["day"], now["week"]
    cards = {
        key: {
            "value": None if figures is None else figures[key],
            "day": None if by_day is None else by_day[key],
            "week": None if by_week is None else by_week[key],
        }
        for key in CARDS
    }
    return {
        "version": data_version(conn),
        "as_of": now["taken_at"],
        "place": {"level": level, "code": code, "name": now["name"]},
        "households": None if figures is None else figures["households"],
        "cards": cards,
        "ranking": ranking(conn, level, code),
        "trend": {
            "days": [row["day"] for row in trend],
            **{key: [row[key] for row in trend] for key in TREND},
        },
        "alerts": alerts(conn, level, code, reveal),
    }


def alert_records(shown: dict[str, Any]) -> list[str]:
    """The audit records ("head:12", "officer:3") of the people a wall's alerts name."""
    actors = (Actor(**a["who"]) for a in shown["alerts"])
    return sorted({a.record for a in actors if a.record})
