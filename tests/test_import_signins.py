"""Sign-in sheets (活动签到表) through the importer: members matched by name and phone,
points given once, bad rows rejected naming row, column and value."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from geo_api.importer.run import ImportRejectedError, import_file


def setup(conn: Connection) -> tuple[int, str, list[tuple[int, str, str]]]:
    """An activity on 2026-03-05 09:00 (China) and three members of its community."""
    cid = conn.execute(
        text("""SELECT community_id FROM member WHERE community_id IS NOT NULL
                GROUP BY community_id HAVING count(*) >= 3 ORDER BY community_id LIMIT 1""")
    ).scalar_one()
    act = conn.execute(
        text("""INSERT INTO activity (title, community_id, starts_at)
                VALUES ('春季植树', :c, '2026-03-05 09:00+08') RETURNING id"""),
        {"c": cid},
    ).scalar_one()
    members = conn.execute(
        text("SELECT id, name, phone FROM member WHERE community_id = :c ORDER BY id LIMIT 3"),
        {"c": cid},
    ).all()
    return int(act), str(cid), [(int(m[0]), str(m[1]), str(m[2])) for m in members]


def sheet(path: Path, rows: list[dict[str, object]]) -> Path:
    pd.DataFrame(rows).to_excel(path, index=False)
    return path


def test_a_sheet_lands_its_checkins_and_points_once(conn: Connection, tmp_path: Path) -> None:
    act, _, members = setup(conn)
    (a, name_a, phone_a), (b, name_b, phone_b), _ = members
    path = sheet(
        tmp_path / "签到表.xlsx",
        [
            {"活动": "春季植树", "日期": "2026-03-05", "姓名": name_a, "电话": phone_a,
             "签到时间": "08:55", "反馈": "很有意义"},
            {"活动": "春季植树", "日期": "2026年3月5日", "姓名": name_b, "电话": phone_b,
             "签到时间": None, "反馈": None},
        ],
    )  # fmt: skip
    report = import_file(conn, "signins", path)
    assert report.landed.inserted == 2, report.rejects
    rows = conn.execute(
        text("""SELECT member_id, checked_in_at, feedback FROM activity_member
                WHERE activity_id = :a ORDER BY member_id"""),
        {"a": act},
    ).all()
    assert rows[0].checked_in_at == datetime(2026, 3, 5, 0, 55, tzinfo=UTC)
    assert rows[0].feedback == "很有意义" and rows[1].feedback is None
    earned = dict(
        conn.execute(
            text("""SELECT member_id, sum(points) FROM points_entry WHERE activity_id = :a
                    GROUP BY member_id"""),
            {"a": act},
        ).all()
    )
    assert earned == {a: 5 + 2, b: 5}
    again = import_file(conn, "signins", path)
    assert again.landed.unchanged == 2
    assert conn.execute(
        text("SELECT count(*) FROM points_entry WHERE activity_id = :a"), {"a": act}
    ).scalar_one() == 3  # fmt: skip


def test_bad_rows_are_named_and_nothing_lands(conn: Connection, tmp_path: Path) -> None:
    act, _, members = setup(conn)
    (_, name_a, phone_a), (_, name_b, _), (_, name_c, phone_c) = members
    title = "春季植树"
    rows = [
        ("2026-03-06", name_a, phone_a, "9:00"),
        ("2026-03-05", "无此人", "13900000000", "9:00"),
        ("2026-03-05", name_b, "12345", "9:00"),
        ("2026-03-05", name_c, phone_c, "25:00"),
        ("2026-03-05", name_a, phone_a, "9:00"),
        ("2026-03-05", name_a, phone_a, "9:10"),
    ]
    path = sheet(
        tmp_path / "bad.xlsx",
        [{"活动": title, "日期": d, "姓名": n, "电话": p, "签到时间": t} for d, n, p, t in rows],
    )
    savepoint = conn.begin_nested()
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "signins", path)
    savepoint.rollback()
    message = str(raised.value)
    assert "5 of 6 rows rejected" in message
    assert "row 2, 活动 '春季植树': no activity of this title on 2026-03-06" in message
    assert "row 3, 姓名 '无此人': no registered member has this name and phone" in message
    assert "row 4, 电话 '12345'" in message
    assert "row 5, 签到时间 '25:00': not a time" in message
    assert "row 7, 姓名" in message and "the same member signed in as" in message
    assert conn.execute(
        text("SELECT count(*) FROM activity_member WHERE activity_id = :a"), {"a": act}
    ).scalar_one() == 0  # fmt: skip
