"""What household registers really carry, kept and checked: the head of household, a
phone, a registration date and remarks; several households in one room (分户); a
coordinate-system column; numbers that are not finite; lettered buildings (12A号楼);
and the addresses gridgov writes itself, which its own parser must read back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from sqlalchemy import Connection, text

from geo_api.address import parse_address
from geo_api.geo.china import wgs84_to_bd09, wgs84_to_gcj02
from geo_api.importer.run import ImportRejectedError, import_file

GEOD = Geod(ellps="WGS84")
UNIT = """
SELECT u.id, cp.name AS compound, cp.code, b.number AS building, u.number AS unit,
       ST_X(ST_PointOnSurface(u.geom)) AS lon, ST_Y(ST_PointOnSurface(u.geom)) AS lat
FROM unit u JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
ORDER BY u.id LIMIT 1
"""


def a_unit(conn: Connection) -> pd.Series:
    return pd.read_sql_query(text(UNIT), conn).iloc[0]


def stored(conn: Connection, unit_id: int, room: str) -> pd.DataFrame:
    return pd.read_sql_query(
        text(
            "SELECT household_no, head_name, phone, registered_on, remarks, address, "
            "ST_X(geom) AS lon, ST_Y(geom) AS lat FROM household "
            "WHERE unit_id = :u AND room = :r ORDER BY household_no"
        ),
        conn,
        params={"u": unit_id, "r": room},
    )


def test_register_columns_are_kept_and_phones_and_dates_checked(
    conn: Connection, tmp_path: Path
) -> None:
    u = a_unit(conn)
    home = f"{u['compound']}{u['building']}号楼{u['unit']}单元"
    rows = pd.DataFrame(
        {
            "地址": [home + "9101室", home + "9102室", home + "9103室", home + "9104室"],
            "户主姓名": ["王大明", "李小红", "赵四", "钱五"],
            "联系电话": ["138 1234 5678", "3575123456", "1.38E+10", "0357-5123456"],
            "登记日期": ["2023.5.6", "2023年5月6日", "2023/5/6", "2023-13-01"],
            "备注": ["独居老人", None, None, None],
        }
    )
    path = tmp_path / "register.csv"
    rows.to_csv(path, index=False, encoding="gbk")
    with pytest.raises(ImportRejectedError) as raised:
        savepoint = conn.begin_nested()
        try:
            import_file(conn, "households", path)
        finally:
            savepoint.rollback()
    message = str(raised.value)
    assert "(line 4), 联系电话 '1.38E+10': digits lost to scientific notation" in message
    assert "(line 5), 登记日期 '2023-13-01': not a date" in message
    report = import_file(conn, "households", path, skip_bad=True)
    assert report.landed.inserted == 2 and len(report.rejects) == 2
    assert any("(line 3), 联系电话 '3575123456': looks like a landline that lost its leading 0" in n
               for n in report.notes)  # fmt: skip
    first = stored(conn, int(u["id"]), "9101").iloc[0]
    assert (first["head_name"], first["phone"], first["remarks"]) == ("王大明", "13812345678",
                                                                       "独居老人")  # fmt: skip
    assert first["registered_on"] == date(2023, 5, 6)
    assert stored(conn, int(u["id"]), "9102").iloc[0]["registered_on"] == date(2023, 5, 6)


def test_several_households_in_one_room_by_number_or_head(conn: Connection, tmp_path: Path) -> None:
    u = a_unit(conn)
    home = f"{u['compound']}{u['building']}号楼{u['unit']}单元"
    rows = pd.DataFrame(
        {
            "地址": [home + "9201室"] * 2 + [home + "9202室"] * 2 + [home + "9203室"] * 2,
            "户号": ["1", "2", None, None, None, None],
            "户主姓名": ["甲", "乙", "丙", "丁", "戊", "戊"],
        }
    )
    path = tmp_path / "split.csv"
    rows.to_csv(path, index=False)
    report = import_file(conn, "households", path, skip_bad=True)
    assert report.landed.inserted == 5 and len(report.rejects) == 1
    assert (
        report.rejects[0].where == "data row 6 (line 7)"
        and "the same home as data row 5 (line 6)" in report.rejects[0].reason
    )
    assert list(stored(conn, int(u["id"]), "9201")["household_no"]) == ["1", "2"]
    assert list(stored(conn, int(u["id"]), "9202")["household_no"]) == ["", "丁"]
    again = import_file(conn, "households", path, skip_bad=True)
    assert again.landed.unchanged == 5 and again.landed.inserted == 0


def test_each_row_in_its_own_coordinate_system(conn: Connection, tmp_path: Path) -> None:
    u = a_unit(conn)
    lon, lat = float(u["lon"]), float(u["lat"])
    gcj = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    bd = wgs84_to_bd09(np.array([lon]), np.array([lat]))
    rows = pd.DataFrame(
        {
            "地址": [f"{u['compound']}{u['building']}号楼{u['unit']}单元{r}室" for r in (9301, 9302,
                                                                                  9303, 9304)],
            "经度": [float(gcj[0][0]), float(bd[0][0]), lon, float(gcj[0][0])],
            "纬度": [float(gcj[1][0]), float(bd[1][0]), lat, float(gcj[1][0])],
            "坐标系": ["火星坐标", "百度", "WGS84", "高德"],
        }
    )  # fmt: skip
    path = tmp_path / "mixed.csv"
    rows.to_csv(path, index=False)
    report = import_file(conn, "households", path)
    assert report.landed.inserted == 4
    for room in ("9301", "9302", "9303", "9304"):
        at = stored(conn, int(u["id"]), room).iloc[0]
        assert GEOD.inv(lon, lat, at["lon"], at["lat"])[2] < 1.0, room


@pytest.mark.parametrize("bad", ["inf", "-inf", "1e309", "nan", "NaN"])
def test_numbers_that_are_not_finite_are_never_stored(
    conn: Connection, tmp_path: Path, bad: str
) -> None:
    u = a_unit(conn)
    path = tmp_path / "odd.csv"
    path.write_text(
        f"地址,经度,纬度\n{u['compound']}{u['building']}号楼{u['unit']}单元9401室,{bad},{u['lat']}\n",
        encoding="utf-8",
    )
    report = import_file(conn, "households", path, skip_bad=True)
    assert report.landed.inserted == 0 and len(report.rejects) == 1, report.rejects
    assert report.rejects[0].column in ("经度", "经度/纬度")
    stations = tmp_path / "stations.csv"
    stations.write_text(
        f"站点名称,层级,面积,经度,纬度\n怪站,驿站,{bad},{u['lon']},{u['lat']}\n", encoding="utf-8"
    )
    assert len(import_file(conn, "stations", stations, skip_bad=True).rejects) == 1


def test_lettered_buildings_and_written_addresses_read_back(
    conn: Connection, tmp_path: Path
) -> None:
    u = a_unit(conn)
    x, y = float(u["lon"]), float(u["lat"])
    import geopandas as gpd

    footprint = shapely.box(x + 0.0003, y + 0.0003, x + 0.0006, y + 0.0006)
    gpd.GeoDataFrame(
        {"小区编码": [u["code"]], "楼号": ["12A号楼"]}, geometry=[footprint], crs=4326
    ).to_file(tmp_path / "b.geojson")
    import_file(conn, "buildings", tmp_path / "b.geojson")
    label, number = conn.execute(
        text("SELECT b.label, b.number FROM building b JOIN compound cp ON cp.id = b.compound_id "
             "WHERE cp.code = :c AND b.label IS NOT NULL"), {"c": u["code"]}
    ).one()  # fmt: skip
    assert label == "12A" and number != 12
    gpd.GeoDataFrame(
        {"小区编码": [u["code"]], "楼栋": ["12A"], "单元": [1]}, geometry=[footprint], crs=4326
    ).to_file(tmp_path / "u.geojson")
    import_file(conn, "units", tmp_path / "u.geojson")
    # Again: the same building, not a new one.
    assert import_file(conn, "buildings", tmp_path / "b.geojson").landed.unchanged == 1
    by_columns = pd.DataFrame(
        {"小区": [u["compound"]] * 2, "楼栋": ["12A", str(u["building"])],
         "单元": ["1", str(u["unit"])], "室": ["101", "9501"]}
    )  # fmt: skip
    by_columns.to_csv(tmp_path / "h.csv", index=False)
    import_file(conn, "households", tmp_path / "h.csv")
    written = conn.execute(
        text("SELECT h.address, coalesce(b.label, b.number::text), u.number, h.room "
             "FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b "
             "ON b.id = u.building_id WHERE h.room IN ('101', '9501') AND b.compound_id = "
             "(SELECT id FROM compound WHERE code = :c)"), {"c": u["code"]}
    ).all()  # fmt: skip
    assert len(written) >= 2
    for address, building, unit, room in written:
        parsed = parse_address(address)
        assert parsed.compound == u["compound"], address
        assert (parsed.building_label or str(parsed.building)) == building, address
        assert (parsed.unit, parsed.room) == (unit, room), address
    by_address = tmp_path / "a.csv"
    pd.DataFrame({"地址": [f"{u['compound']}12A号楼1单元102室"]}).to_csv(by_address, index=False)
    import_file(conn, "households", by_address)
    placed = conn.execute(
        text("SELECT b.label FROM household h JOIN unit u ON u.id = h.unit_id "
             "JOIN building b ON b.id = u.building_id WHERE h.address = :a"),
        {"a": f"{u['compound']}12A号楼1单元102室"},
    ).scalar_one()  # fmt: skip
    assert placed == "12A"
