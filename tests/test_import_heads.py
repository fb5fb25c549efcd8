"""Importing the three heads from a roster: home by address, place by columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from geo_api.importer.run import ImportRejectedError, import_file

HEADS = """
SELECT CASE hd.role WHEN 'unit' THEN '单元长' WHEN 'building' THEN '楼长' ELSE '小区长' END
         AS 角色,
       hd.name AS 姓名, hd.phone AS 电话, home.address AS 地址,
       coalesce(cu.name, cb.name, cc.name) AS 小区, coalesce(bu.number, bb.number) AS 楼栋,
       u.number AS 单元, hd.capacity AS 负责户数, hd.max_capacity AS 最多户数
FROM head hd JOIN household home ON home.id = hd.household_id
LEFT JOIN unit u ON u.id = hd.unit_id LEFT JOIN building bu ON bu.id = u.building_id
LEFT JOIN compound cu ON cu.id = bu.compound_id LEFT JOIN building bb ON bb.id = hd.building_id
LEFT JOIN compound cb ON cb.id = bb.compound_id LEFT JOIN compound cc ON cc.id = hd.compound_id
ORDER BY hd.id
"""


def test_the_roster_reimports_unchanged(conn: Connection, tmp_path: Path) -> None:
    frame = pd.read_sql_query(text(HEADS), conn)
    path = tmp_path / "三长.xlsx"
    frame.to_excel(path, index=False)
    report = import_file(conn, "heads", path)
    assert report.rows_in == len(frame) == report.landed.unchanged, report.rejects[:3]


def test_a_new_unit_head_lands_and_mistakes_are_named(conn: Connection, tmp_path: Path) -> None:
    home = conn.execute(
        text(
            "SELECT h.address FROM household h WHERE NOT EXISTS "
            "(SELECT 1 FROM head WHERE household_id = h.id) ORDER BY h.id LIMIT 1"
        )
    ).scalar_one()
    rows = pd.DataFrame(
        {
            "角色": ["单元长", "村长", "楼长", "单元长"],
            "姓名": ["新单元长", "甲", "乙", "丙"],
            "电话": ["13911112222", "13911112223", "12345", "13911112225"],
            "地址": [home, home, home, "不存在花园1号楼1单元101室"],
        }
    )
    path = tmp_path / "roster.csv"
    rows.to_csv(path, index=False)
    savepoint = conn.begin_nested()
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "heads", path)
    savepoint.rollback()
    message = str(raised.value)
    assert "(line 3), 角色 '村长'" in message
    assert "(line 4), 电话 '12345'" in message
    assert "(line 5), 地址 '不存在花园': no such compound" in message
    report = import_file(conn, "heads", path, skip_bad=True)
    assert report.landed.inserted == 1
    head = conn.execute(
        text(
            "SELECT hd.role, hd.capacity, home.unit_id = hd.unit_id FROM head hd "
            "JOIN household home ON home.id = hd.household_id WHERE hd.name = '新单元长'"
        )
    ).one()
    assert tuple(head) == ("unit", None, True)  # serves their own unit, follows the community
