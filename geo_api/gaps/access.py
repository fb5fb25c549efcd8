"""Gaps in reach: homes beyond a walk of the 5-, 10- and 15-minute life circles.

GB 50180-2018's circles are 300 m, 500 m and 1,000 m on foot by default (settable).
Each circle asks for the nearest station of the tiers that serve it: any station
for the 5-minute circle, a community station or above for the 10-minute one, and
for the 15-minute one a street centre or above, or a community station of at least
CENTRE_M2 (Houma's 14 large stations of its 30 are centres of their own quarter, as
a street centre is; a city of 5 street centres would otherwise leave most of its
homes beyond that walk, and the wall would show little else). The 15-minute gap is
of medium severity, as the 10-minute one: both ask for a station to be planned, not
for someone to act this week, and the wall's alerts rank the high ones first.
Distances are walks along the
network (geo_api.network.walk), or straight lines where there is none, and the
detail says which. A compound is a gap when any of its homes is beyond reach; the
gap counts those homes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo_api.errors import InvalidInputError
from geo_api.gaps.types import GapType

REACHES_M = (300, 500, 1000)
BEYOND_FACTOR = 3  # walks are measured up to this many times the reach, then "farther"
CENTRE_M2 = 1000.0  # a community station this large serves the 15-minute circle


@dataclass(frozen=True)
class Circle:
    """A life circle: its place in REACHES_M, the tiers that serve it (and the floor
    area from which a community station serves it too) and their name."""

    index: int
    tiers: tuple[str, ...]
    serves: str  # what is missing, in Chinese, for the detail
    severity: str
    centre_m2: float | None = None


CIRCLES = {
    "beyond_5min_walk": Circle(
        0, ("outpost", "community", "street", "city"), "党群服务站点", "low"
    ),
    "beyond_10min_walk": Circle(1, ("community", "street", "city"), "社区党群服务站", "medium"),
    "beyond_15min_walk": Circle(
        2, ("street", "city"), "街道党群服务中心或千平方米以上社区站", "medium", CENTRE_M2
    ),
}
LABELS = {
    "beyond_5min_walk": "5分钟生活圈外",
    "beyond_10min_walk": "10分钟生活圈外",
    "beyond_15min_walk": "15分钟生活圈外",
}

# {walk} is the unit walk subquery (network or straight) the finder picks.
BEYOND_SQL = """
SELECT cp.id AS ref_id, cp.community_id, far.households, far.persons,
       CAST(:severity AS text) AS severity,
       format('%s：%s户%s%s米内没有%s（最近%s）', cp.name, far.households,
              CASE WHEN far.straight THEN '直线' ELSE '步行' END,
              CAST(:reach AS int), CAST(:serves AS text),
              CASE WHEN far.nearest IS NULL THEN format('超过%s米', CAST(:limit AS int))
                   ELSE format('%s米', round(far.nearest::numeric)) END) AS detail,
       cp.geom
FROM (SELECT w.compound_id, sum(w.households) AS households, sum(w.persons) AS persons,
             bool_or(w.method = 'straight') AS straight, min(w.metres) AS nearest
      FROM ({walk}) w
      WHERE w.metres IS NULL OR w.metres > :reach
      GROUP BY w.compound_id) far
JOIN compound cp ON cp.id = far.compound_id
"""

ACCESS_GAPS = [GapType(name, LABELS[name], "community", "compound", BEYOND_SQL) for name in CIRCLES]


def circle_params(name: str, reaches: tuple[int, ...]) -> dict[str, object]:
    """The bound values of one circle's query."""
    circle = CIRCLES[name]
    reach = reaches[circle.index]
    return {
        "tiers": list(circle.tiers),
        "reach": reach,
        "limit": reach * BEYOND_FACTOR,
        "serves": circle.serves,
        "severity": circle.severity,
        "centre_m2": circle.centre_m2,
    }


def serving(stations: pd.DataFrame, name: str) -> pd.Series:
    """Which of ``stations`` (tier, floor_area_m2) serve a circle, as SERVES_SQL says."""
    circle = CIRCLES[name]
    mask = stations["tier"].isin(circle.tiers)
    if circle.centre_m2 is not None:
        mask |= (stations["tier"] == "community") & (stations["floor_area_m2"] >= circle.centre_m2)
    return mask


def parse_reaches(value: str) -> tuple[int, int, int]:
    """'300,500,1000' as the three walks; the finder checks their range."""
    try:
        parts = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise InvalidInputError(
            f"reach must be three walks in whole metres, like 300,500,1000, not {value!r}"
        ) from None
    if len(parts) != 3:
        raise InvalidInputError(f"reach must be three walks (5-, 10-, 15-minute), not {value!r}")
    return parts[0], parts[1], parts[2]
