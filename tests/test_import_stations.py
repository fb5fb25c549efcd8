"""Importing party-mass service stations: tiers in Chinese, areas, communities, points."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from geo_api.importer.run import ImportRejectedError, import_file

STATIONS = """
SELECT s.name AS 站点名称,
       CASE s.tier WHEN 'city' THEN '市级' WHEN 'street' THEN '街道' WHEN 'community' THEN '社区'
                   ELSE '驿站' END AS 层级,
       s.floor_area_m2 AS 面积, s.hours AS 开放时间, c.code AS 社区代码,
       CASE WHEN s.community_id IS NULL THEN st.code END AS 街道代码,
       ST_X(s.geom) AS 经度, ST_Y(s.geom) AS 纬度
FROM station s LEFT JOIN community c ON c.id = s.community_id
LEFT JOIN street st ON st.id = s.street_id ORDER BY s.id
"""


def test_stations_reimport_unchanged_and_a_new_outpost_lands(
    conn: Connection, tmp_path: Path
) -> None:
    frame = pd.read_sql_query(text(STATIONS), conn)
    path = tmp_path / "阵地.xlsx"
    frame.to_excel(path, index=False)
    before = pd.read_sql_query(text("SELECT * FROM station ORDER BY id"), conn)
    assert "街道代码" in frame
    report = import_file(conn, "stations", path)
    after = pd.read_sql_query(text("SELECT * FROM station ORDER BY id"), conn)
    assert before.drop(columns="geom").equals(after.drop(columns="geom"))
    assert report.rows_in == len(frame) == report.landed.unchanged, report.rejects[:3]
    new = frame[frame["层级"] == "社区"].head(1).copy()
    new["站点名称"], new["层级"], new["面积"] = "新建党群驿站", "驿站", "120㎡"
    new.to_csv(tmp_path / "new.csv", index=False)
    report = import_file(conn, "stations", tmp_path / "new.csv")
    assert report.landed.inserted == 1
    tier, area = conn.execute(
        text("SELECT tier, floor_area_m2 FROM station WHERE name = '新建党群驿站'")
    ).one()
    assert (tier, area) == ("outpost", 120.0)


def test_station_mistakes_are_named(conn: Connection, tmp_path: Path) -> None:
    frame = pd.read_sql_query(text(STATIONS), conn).head(3).copy()
    frame["站点名称"] = ["甲站", "乙站", "丙站"]
    frame["层级"] = frame["层级"].astype(object)
    frame.loc[0, "层级"] = "省级"  # no such tier
    frame.loc[1, "面积"] = -5
    frame.loc[2, ["层级", "社区代码"]] = ["社区", None]  # a community station with no community
    frame.to_csv(tmp_path / "bad.csv", index=False)
    savepoint = conn.begin_nested()
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "stations", tmp_path / "bad.csv")
    savepoint.rollback()
    message = str(raised.value)
    assert "(line 2), 层级 '省级'" in message
    assert "(line 3), 面积 '-5" in message
    # A community station without its community's code takes the one it stands in.
    report = import_file(conn, "stations", tmp_path / "bad.csv", skip_bad=True)
    assert report.landed.inserted == 1
    assert any("(line 4) → " in n for n in report.notes), report.notes


def test_a_file_without_hours_keeps_the_stored_hours(conn: Connection, tmp_path: Path) -> None:
    frame = pd.read_sql_query(text(STATIONS), conn).drop(columns=["开放时间"])
    path = tmp_path / "no_hours.csv"
    frame.to_csv(path, index=False)
    report = import_file(conn, "stations", path)
    assert report.landed.unchanged == len(frame)
    assert conn.execute(text("SELECT count(*) FROM station WHERE hours IS NULL")).scalar() == 0


@pytest.mark.parametrize(
    ("written", "tier"),
    [
        ("市级", "city"), ("街道级", "street"), ("乡镇级", "street"), ("社区级", "community"),
        ("村级", "community"), ("驿站", "outpost"), ("City", "city"), ("township", "street"),
        ("Community", "community"), ("village", "community"), ("outpost", "outpost"),
        ("社区党群服务站", "community"), ("街道党群服务中心", "street"),
    ],
)  # fmt: skip
def test_every_tier_people_write_lands_as_its_tier(
    conn: Connection, tmp_path: Path, written: str, tier: str
) -> None:
    """The tiers of the issue (市级, 街道级, 社区级, 乡镇级, 村级, 驿站 and their English),
    each read from a station file as written, land as the tier they mean."""
    row = pd.read_sql_query(text(STATIONS), conn).head(1).copy()
    row["站点名称"], row["层级"] = f"层级测试{written}", written
    row.to_csv(tmp_path / "tier.csv", index=False)
    assert import_file(conn, "stations", tmp_path / "tier.csv").landed.inserted == 1
    stored = conn.execute(
        text("SELECT tier FROM station WHERE name = :n"), {"n": f"层级测试{written}"}
    ).scalar_one()
    assert stored == tier
