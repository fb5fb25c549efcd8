"""Importing registered party members: by name and phone, placed by the next run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from geo_api.assign.members import place_members
from geo_api.importer.run import ImportRejectedError, import_file

MEMBERS = """
SELECT m.name AS 姓名, m.phone AS 手机, coalesce(m.address, '') AS 地址,
       m.registered_on AS 报到日期
FROM member m ORDER BY m.id LIMIT 30
"""


def test_members_reimport_unchanged_and_a_new_one_is_placed_by_address(
    conn: Connection, tmp_path: Path
) -> None:
    frame = pd.read_sql_query(text(MEMBERS), conn)
    path = tmp_path / "党员.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    report = import_file(conn, "members", path)
    assert report.rows_in == 30 == report.landed.unchanged, report.rejects[:3]
    home = conn.execute(
        text(
            "SELECT h.address, cp.community_id FROM household h JOIN unit u ON u.id = h.unit_id "
            "JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id "
            "ORDER BY h.id LIMIT 1"
        )
    ).one()
    new = pd.DataFrame(
        {
            "姓名": ["赵新"],
            "手机": ["139 1234 5678"],
            "地址": [home.address],
            "报到日期": ["2024-05-04"],
        }
    )
    new.to_csv(tmp_path / "new.csv", index=False)
    report = import_file(conn, "members", tmp_path / "new.csv")
    assert report.landed.inserted == 1
    place_members(conn)
    placed = conn.execute(
        text("SELECT community_id, placed_by FROM member WHERE phone = '13912345678'")
    ).one()
    assert tuple(placed) == (home.community_id, "address")


def test_member_mistakes_are_named(conn: Connection, tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {
            "姓名": ["钱一", None, "孙三", "李四", "李四"],
            "手机": ["12345", "13800000001", "13800000002", "13800000003", "13800000003"],
            "地址": ["紫金小区1号楼1单元101室"] * 5,
            "报到日期": ["2024-01-01", "2024-01-01", "2099-01-01", "2024-01-01", "2024-01-02"],
        }
    )
    path = tmp_path / "bad.csv"
    rows.to_csv(path, index=False)
    savepoint = conn.begin_nested()
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "members", path)
    savepoint.rollback()
    message = str(raised.value)
    assert "(line 2), 手机 '12345': not a Chinese phone number" in message
    assert "(line 3), 姓名: missing" in message
    assert "(line 4), 报到日期 '2099-01-01': in the future" in message
    assert "(line 6), 手机" in message and "the same member as data row 4 (line 5)" in message
