"""Year-end summaries (年度总结): per member, to send to their workplace for its annual
assessment, and per community; written as CSV (UTF-8 with BOM, for Excel) or XLSX."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError
from geo_api.party.service.common import Who, audit, check_year, community_id_of, within
from geo_api.party.service.records import YEAR_END, YEAR_START
from geo_api.privacy import mask_name, mask_phone
from geo_api.rosters.members import MEMBER_GRID_SQL

FORMATS = (".csv", ".xlsx")

MEMBERS_SQL = f"""
    SELECT m.id AS member_id, m.name, m.phone, c.code AS community_code,
           c.name AS community_name, m.registered_on,
           coalesce(s.called, 0) AS called, coalesce(s.received, 0) AS received,
           coalesce(s.checked_in, 0) AS checked_in, coalesce(s.feedback, 0) AS feedback,
           coalesce(p.earned, 0) AS points_earned, coalesce(p.exchanged, 0) AS points_exchanged,
           coalesce(p.balance, 0) AS balance
    FROM member m LEFT JOIN community c ON c.id = m.community_id
    LEFT JOIN (SELECT am.member_id, count(*) AS called, count(am.received_at) AS received,
                      count(am.checked_in_at) AS checked_in, count(am.feedback_at) AS feedback
               FROM activity_member am JOIN activity a ON a.id = am.activity_id
               WHERE a.starts_at >= {YEAR_START} AND a.starts_at < {YEAR_END}
               GROUP BY am.member_id) s ON s.member_id = m.id
    LEFT JOIN (SELECT member_id,
                      sum(points) FILTER (WHERE points > 0 AND at >= {YEAR_START}
                                          AND at < {YEAR_END}) AS earned,
                      -sum(points) FILTER (WHERE points < 0 AND at >= {YEAR_START}
                                           AND at < {YEAR_END}) AS exchanged,
                      sum(points) FILTER (WHERE at < {YEAR_END}) AS balance
               FROM points_entry GROUP BY member_id) p ON p.member_id = m.id
    WHERE m.registered_on < make_date(:y + 1, 1, 1)
      AND (CAST(:c AS int) IS NULL OR m.community_id = :c)
      AND (CAST(:g AS int) IS NULL OR {MEMBER_GRID_SQL} = :g)
    ORDER BY c.code NULLS LAST, m.id"""  # noqa: S608 - constant SQL


def member_summaries(
    conn: Connection, year: int, community: str | None, who: Who, reveal: bool
) -> pd.DataFrame:
    """One row per registered member: the year's steps and points, the balance at its
    end; names and phones masked unless ``reveal`` (then the read is audited)."""
    check_year(year)
    community_id = None if community is None else community_id_of(conn, community)
    if who is not None and who.scoped:  # an officer: their own community, asked or not
        community_id = community_id or who.community_id
        within(who, community_id, f"community {community}")
    frame = pd.DataFrame(
        conn.execute(
            text(MEMBERS_SQL),
            {"y": year, "c": community_id, "g": who.grid_id if who is not None else None},
        )
        .mappings()
        .all()
    )
    if frame.empty:
        return frame
    if reveal:
        audit(conn, who, f"year-end {year}", [f"member:{m}" for m in frame["member_id"]])
    else:
        frame["name"] = frame["name"].map(mask_name)
        frame["phone"] = frame["phone"].map(mask_phone)
    return frame


def community_summaries(conn: Connection, year: int, who: Who) -> pd.DataFrame:
    """One row per community (an officer: their own): members registered and active,
    activities, check-ins, points."""
    from geo_api.party.service.records import community_totals

    check_year(year)
    codes = conn.execute(
        text("SELECT code FROM community WHERE CAST(:c AS int) IS NULL OR id = :c ORDER BY code"),
        {"c": who.community_id if who is not None and who.scoped else None},
    ).scalars()
    return pd.DataFrame([community_totals(conn, code, year, who) for code in codes])


def write_table(frame: pd.DataFrame, out: Path) -> int:
    """Write a summary as CSV or XLSX, chosen by ``out``'s suffix; the rows written."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInputError(f"a summary is written as .csv or .xlsx, not {out.name!r}")
    if suffix == ".csv":
        frame.to_csv(out, index=False, encoding="utf-8-sig")
    else:
        frame.to_excel(out, index=False, engine="openpyxl")
    return len(frame)
