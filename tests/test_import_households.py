"""Importing households from spreadsheets: addresses, columns, encodings, coordinates
and the classic mistakes, on files the tests write from the test city."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from sqlalchemy import Connection, text

from geo_api.geo.china import wgs84_to_gcj02
from geo_api.importer.run import ImportRejectedError, import_file

GEOD = Geod(ellps="WGS84")
HOMES = """
SELECT h.id, h.address, h.room, h.persons, cp.name AS compound, b.number AS building,
       u.number AS unit, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id ORDER BY h.id LIMIT 40
"""


def homes(conn: Connection) -> pd.DataFrame:
    return pd.read_sql_query(text(HOMES), conn)


def count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM household")).scalar_one())


def test_a_gbk_register_by_address_reimports_unchanged(conn: Connection, tmp_path: Path) -> None:
    frame = homes(conn)
    path = tmp_path / "户籍.csv"
    pd.DataFrame(
        {
            "地址": frame["address"],
            "人数": frame["persons"],
            "经度": frame["lon"],
            "纬度": frame["lat"],
        }
    ).to_csv(path, index=False, encoding="gbk")
    report = import_file(conn, "households", path)
    assert report.rows_in == 40 == report.landed.unchanged, report.rejects[:3]


def test_new_homes_by_columns_and_shorthand_land_at_their_unit(
    conn: Connection, tmp_path: Path
) -> None:
    frame = homes(conn).iloc[:2]
    path = tmp_path / "new.csv"
    pd.DataFrame(
        {
            "小区": [frame["compound"].iat[0], None],
            "楼栋": [str(frame["building"].iat[0]), None],
            "单元": [str(frame["unit"].iat[0]), None],
            "门牌号": ["9901", None],
            "地址": [
                None,
                f"{frame['compound'].iat[1]}{frame['building'].iat[1]}-{frame['unit'].iat[1]}-9902",
            ],
            "人数": ["三", "2"],
        }
    ).to_csv(path, index=False, encoding="utf-8-sig")
    before = count(conn)
    report = import_file(conn, "households", path)
    assert report.landed.inserted == 2 and count(conn) == before + 2
    assert any("placed at their unit" in n for n in report.notes)
    persons = conn.execute(text("SELECT persons FROM household WHERE room = '9901'")).scalar_one()
    assert persons == 3
    inside = conn.execute(
        text(
            "SELECT bool_and(ST_Covers(u.geom, h.geom)) FROM household h "
            "JOIN unit u ON u.id = h.unit_id WHERE h.room IN ('9901', '9902')"
        )
    ).scalar_one()
    assert inside


def test_gcj02_coordinates_from_amap_land_within_half_a_metre(
    conn: Connection, tmp_path: Path
) -> None:
    frame = homes(conn)
    lon, lat = wgs84_to_gcj02(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    path = tmp_path / "amap.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["详细地址", "人口", "lng", "lat"])
    for row, x, y in zip(frame.itertuples(), lon, lat, strict=True):
        sheet.append([row.address, row.persons, float(x), float(y)])
    book.save(path)
    report = import_file(conn, "households", path, crs="gcj02")
    assert report.landed.updated + report.landed.unchanged == 40
    back = homes(conn)
    _, _, metres = GEOD.inv(back["lon"], back["lat"], frame["lon"], frame["lat"])
    assert float(np.max(metres)) < 0.5


def test_mistakes_are_named_and_nothing_lands(conn: Connection, tmp_path: Path) -> None:
    frame = homes(conn).iloc[:6].reset_index(drop=True)
    rows = pd.DataFrame(
        {
            "地址": frame["address"],
            "人数": frame["persons"].astype(str),
            "经度": frame["lon"],
            "纬度": frame["lat"],
        }
    )
    rows.loc[0, "地址"] = "不存在花园1号楼1单元101室"  # no such compound
    rows.loc[1, "人数"] = "abc"  # not a number
    rows.loc[2, ["经度", "纬度"]] = [frame["lat"].iat[2], frame["lon"].iat[2]]  # swapped
    rows.loc[3, "地址"] = rows.loc[4, "地址"]  # the same home twice
    rows.loc[5, ["经度", "纬度"]] = [116.39, 39.9]  # Beijing: outside the city
    path = tmp_path / "bad.csv"
    rows.to_csv(path, index=False)
    before = count(conn)
    savepoint = conn.begin_nested()
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "households", path)
    savepoint.rollback()
    message = str(raised.value)
    assert "5 of 6 rows rejected" in message
    assert "(line 2), 地址 '不存在花园': no such compound" in message
    assert "(line 3), 人数 'abc': not a whole number" in message
    assert "(line 4), 经度/纬度" in message and "swapped" in message
    assert "the same home as data row" in message
    assert "(line 7), 经度/纬度 '116.39, 39.9 → lon 116.39" in message
    assert "outside the city" in message
    assert count(conn) == before
    report = import_file(conn, "households", path, skip_bad=True)
    assert report.rows_in == 6 == report.rows_landed + len(report.rejects)


def test_upload_over_the_api_lands_and_reports(
    client: TestClient, conn: Connection, tmp_path: Path
) -> None:
    frame = homes(conn).iloc[:5]
    path = tmp_path / "户籍.csv"
    pd.DataFrame({"地址": frame["address"], "人数": frame["persons"]}).to_csv(
        path, index=False, encoding="gb18030"
    )
    with path.open("rb") as upload:
        answer = client.post("/imports/households", files={"file": ("户籍.csv", upload)})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["rows_in"] == 5 == body["unchanged"] and body["rejected"] == 0
    path.write_text("地址,人数\n不存在花园1号楼1单元101室,2\n", encoding="utf-8")
    with path.open("rb") as upload:
        refused = client.post("/imports/households", files={"file": ("bad.csv", upload)})
    assert refused.status_code == 422 and "不存在花园" in refused.text
    with path.open("rb") as upload:
        skipped = client.post(
            "/imports/households", params={"skip_bad": True}, files={"file": ("bad.csv", upload)}
        )
    assert skipped.status_code == 200 and skipped.json()["rejects"][0]["row"] == 2
    with path.open("rb") as upload:
        unknown = client.post("/imports/planets", files={"file": ("bad.csv", upload)})
    assert unknown.status_code == 422 and "importable" in unknown.text
    # Columns no alias knows, named by a mapping file uploaded beside the data.
    odd = tmp_path / "odd.csv"
    pd.DataFrame({"where": frame["address"], "how_many": frame["persons"]}).to_csv(odd, index=False)
    with odd.open("rb") as upload:
        mapped = client.post(
            "/imports/households",
            files={
                "file": ("odd.csv", upload),
                "mapping": ("m.json", b'{"address": "where", "persons": "how_many"}'),
            },
        )
    assert mapped.status_code == 200 and mapped.json()["unchanged"] == 5, mapped.text
    for name in ("..", "."):
        with path.open("rb") as upload:
            nameless = client.post("/imports/households", files={"file": (name, upload)})
        assert nameless.status_code == 422 and "no file name" in nameless.text


def test_a_row_without_coordinates_never_moves_a_stored_home(
    conn: Connection, tmp_path: Path
) -> None:
    frame = homes(conn).iloc[:3].reset_index(drop=True)
    rows = pd.DataFrame(
        {
            "地址": frame["address"],
            "经度": frame["lon"].astype(object),
            "纬度": frame["lat"].astype(object),
        }
    )
    rows.loc[0, ["经度", "纬度"]] = [None, None]  # no point: the stored one stays
    rows.loc[1, "纬度"] = None  # half a point: rejected
    rows.loc[2, "地址"] = (
        rows.loc[2, "地址"].replace("室", "").rstrip("0123456789")
        + "0"
        + str(frame["room"].iat[2])
        + "室"
    )  # 0101 is 101
    path = tmp_path / "partial.csv"
    rows.to_csv(path, index=False)
    report = import_file(conn, "households", path, skip_bad=True)
    assert [r.row for r in report.rejects] == [3]
    assert "give both longitude and latitude" in report.rejects[0].reason
    assert report.rows_landed == 2 and report.landed.inserted == 0  # 0101 found 101
    after = homes(conn)
    assert (after["lon"].iat[0], after["lat"].iat[0]) == (frame["lon"].iat[0], frame["lat"].iat[0])


def test_a_compound_in_another_community_is_refused(conn: Connection, tmp_path: Path) -> None:
    frame = homes(conn).iloc[:1]
    path = tmp_path / "wrong.csv"
    pd.DataFrame(
        {
            "社区": ["别的社区"],
            "小区": frame["compound"],
            "楼栋": frame["building"],
            "单元": frame["unit"],
            "门牌号": frame["room"],
        }
    ).to_csv(path, index=False)
    report = import_file(conn, "households", path, skip_bad=True)
    assert len(report.rejects) == 1 and "is not in 别的社区" in report.rejects[0].reason


def test_homes_named_by_columns_alone_change_nothing_stored(
    conn: Connection, tmp_path: Path
) -> None:
    frame = homes(conn)
    path = tmp_path / "rooms.csv"
    pd.DataFrame(
        {
            "小区": frame["compound"],
            "楼栋": frame["building"],
            "单元": frame["unit"],
            "门牌号": frame["room"],
        }
    ).to_csv(path, index=False)
    before = pd.read_sql_query(text("SELECT * FROM household ORDER BY id"), conn)
    report = import_file(conn, "households", path)
    after = pd.read_sql_query(text("SELECT * FROM household ORDER BY id"), conn)
    assert report.landed.unchanged == len(frame) and report.landed.updated == 0
    assert before.drop(columns="geom").equals(after.drop(columns="geom"))
