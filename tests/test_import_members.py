"""Importing registered party members: by name and phone, placed by the next run."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text

from geo_api.assign.members import place_members
from geo_api.importer.run import ImportRejectedError, import_file
from tests.cli_run import Run

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


def _unit(conn: Connection, name: str) -> int:
    """An alliance unit of ``name`` (the test city may have none)."""
    return int(
        conn.execute(
            text("INSERT INTO alliance_unit (name, kind) VALUES (:n, 'school') RETURNING id"),
            {"n": name},
        ).scalar_one()
    )


def _stored(conn: Connection, phone: str) -> tuple[object, ...]:
    return tuple(
        conn.execute(
            text("SELECT status, workplace, workplace_unit_id, left_on FROM member "
                 "WHERE phone = :p"),
            {"p": phone},
        ).one()
    )  # fmt: skip


def test_status_workplace_unit_and_leaving_date_land_in_english_and_chinese(
    conn: Connection, tmp_path: Path
) -> None:
    """status, workplace, workplace_unit (by name or id) and left_on land under English
    headers and under Chinese ones; a re-import changes them."""
    school = _unit(conn, "测试实验小学")
    english = pd.DataFrame(
        {
            "name": ["周在职", "吴退休"],
            "phone": ["13911110001", "13911110002"],
            "address": ["紫金小区1号楼1单元101室"] * 2,
            "registered_on": ["2023-03-01"] * 2,
            "status": ["serving", "retired"],
            "workplace": ["实验小学", None],
            "workplace_unit": ["测试实验小学", None],
            "left_on": [None, "2024-06-30"],
        }
    )
    english.to_csv(tmp_path / "en.csv", index=False)
    report = import_file(conn, "members", tmp_path / "en.csv")
    assert report.landed.inserted == 2, report.rejects
    assert _stored(conn, "13911110001") == ("serving", "实验小学", school, None)
    assert _stored(conn, "13911110002") == ("retired", None, None, date(2024, 6, 30))
    chinese = pd.DataFrame(
        {
            "姓名": ["周在职", "吴退休"],
            "手机": ["13911110001", "13911110002"],
            "地址": ["紫金小区1号楼1单元101室"] * 2,
            "状态": ["离退休", "在职"],
            "工作单位": [None, "县医院"],
            "联盟单位": [None, str(school)],  # by id
            "离开日期": ["2025年1月2日", None],
        }
    )
    chinese.to_csv(tmp_path / "zh.csv", index=False, encoding="gbk")
    report = import_file(conn, "members", tmp_path / "zh.csv")
    assert report.landed.updated == 2, report.rejects
    assert _stored(conn, "13911110001") == ("retired", None, None, date(2025, 1, 2))
    assert _stored(conn, "13911110002") == ("serving", "县医院", school, None)


def test_an_unknown_unit_status_or_leaving_date_is_rejected_by_row_and_column(
    conn: Connection, tmp_path: Path
) -> None:
    _unit(conn, "测试实验小学")
    rows = pd.DataFrame(
        {
            "姓名": ["郑一", "王二", "冯三"],
            "手机": ["13911110011", "13911110012", "13911110013"],
            "地址": ["紫金小区1号楼1单元101室"] * 3,
            "报到日期": ["2024-01-01"] * 3,
            "状态": ["在职", "休假", "在职"],
            "联盟单位": ["没有这个单位", None, "测试实验小学"],
            "离开日期": [None, None, "2023-12-31"],
        }
    )
    rows.to_csv(tmp_path / "bad.csv", index=False)
    savepoint = conn.begin_nested()
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "members", tmp_path / "bad.csv")
    savepoint.rollback()
    message = str(raised.value)
    assert "(line 2), 联盟单位 '没有这个单位': no alliance unit of this name or id" in message
    assert "(line 3), 状态 '休假': say serving (在职) or retired (离退休)" in message
    assert "(line 4), 离开日期 '2023-12-31': before registered_on" in message


def test_the_cli_imports_status_and_workplace_unit(
    run: Run, engine: Engine, tmp_path: Path
) -> None:
    """gridgov import members with the new columns lands them; an unknown unit fails
    naming the line and the column."""
    with engine.begin() as conn:
        school = _unit(conn, "命令行测试单位")
    rows = pd.DataFrame(
        {
            "姓名": ["陈命令"],
            "手机": ["13911110021"],
            "地址": ["紫金小区1号楼1单元101室"],
            "状态": ["离退休"],
            "工作单位": ["县一中"],
            "联盟单位": ["命令行测试单位"],
            "离开日期": ["2024-02-03"],
        }
    )
    rows.to_csv(tmp_path / "党员.csv", index=False, encoding="gbk")
    try:
        code, _, err = run("import", "members", str(tmp_path / "党员.csv"))
        assert code == 0, err
        with engine.connect() as conn:
            assert _stored(conn, "13911110021") == ("retired", "县一中", school, date(2024, 2, 3))
        rows.loc[0, "联盟单位"] = "不存在单位"
        rows.to_csv(tmp_path / "bad.csv", index=False)
        code, _, err = run("import", "members", str(tmp_path / "bad.csv"))
        assert code != 0 and "联盟单位" in err and "不存在单位" in err and "line 2" in err
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM member WHERE phone = '13911110021'"))
            conn.execute(text("DELETE FROM alliance_unit WHERE id = :i"), {"i": school})
