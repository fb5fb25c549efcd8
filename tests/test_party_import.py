"""Alliance units from a community's spreadsheet: Chinese headers, agreements made,
mistakes named by row and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from geo_api.importer.run import ImportRejectedError, import_file


def _sheet(conn: Connection) -> pd.DataFrame:
    street, lon, lat = conn.execute(
        text("""SELECT s.code, ST_X(ST_PointOnSurface(cp.geom)), ST_Y(ST_PointOnSurface(cp.geom))
                FROM compound cp JOIN community c ON c.id = cp.community_id
                JOIN street s ON s.id = c.street_id ORDER BY cp.id LIMIT 1""")
    ).one()
    return pd.DataFrame(
        {
            "单位名称": ["侯马市实验小学", "晋都农商银行", "平阳物业公司"],
            "单位类型": ["学校", "金融机构", "非公企业"],
            "地址": ["新田路1号", "平阳街8号", None],
            "联系人": ["周建华", "吴丽", "郑强"],
            "联系电话": ["13512345678", "0357-4123456", "15900001111"],
            "签约日期": ["2021-02-01", "2021年3月5日", None],
            "街道代码": [street, street, None],
            "经度": [lon, lon + 0.001, None],
            "纬度": [lat, lat, None],
        }
    )


def test_units_land_with_their_agreements(conn: Connection, tmp_path: Path) -> None:
    """Three units land; two signed with the street; a re-import changes nothing."""
    path = tmp_path / "联盟单位.xlsx"
    _sheet(conn).to_excel(path, index=False)
    report = import_file(conn, "alliance_units", path)
    assert report.landed.inserted == 3, report.rejects[:3]
    rows = conn.execute(
        text("""SELECT u.name, u.kind, u.contact_phone, a.signed_on, u.geom IS NOT NULL
                FROM alliance_unit u LEFT JOIN alliance_agreement a ON a.unit_id = u.id
                WHERE u.name IN ('侯马市实验小学', '晋都农商银行', '平阳物业公司')
                ORDER BY u.name""")
    ).all()
    assert [(r[0], r[1], r[3] is not None, r[4]) for r in rows] == [
        ("侯马市实验小学", "school", True, True),
        ("平阳物业公司", "private_firm", False, False),
        ("晋都农商银行", "bank", True, True),
    ]
    again = import_file(conn, "alliance_units", path)
    assert again.landed.unchanged == 3
    agreements = conn.execute(
        text("""SELECT count(*) FROM alliance_agreement a JOIN alliance_unit u ON u.id = a.unit_id
                WHERE u.name IN ('侯马市实验小学', '晋都农商银行')""")
    ).scalar_one()
    assert agreements == 2


def test_unit_mistakes_are_named(conn: Connection, tmp_path: Path) -> None:
    """An unknown type, a bad phone, a bad date, an unknown street code: each named."""
    frame = _sheet(conn)
    frame.loc[0, "单位类型"] = "外星机构"
    frame.loc[1, "联系电话"] = "12345"
    frame.loc[2, ["签约日期", "街道代码"]] = ["去年", "999999999"]
    frame.to_csv(tmp_path / "bad.csv", index=False)
    savepoint = conn.begin_nested()
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "alliance_units", tmp_path / "bad.csv")
    savepoint.rollback()
    message = str(raised.value)
    assert "(line 2), 单位类型 '外星机构'" in message
    assert "(line 3), 联系电话 '12345'" in message
    assert "(line 4)" in message and "去年" in message
