"""The heads roster's left_on and retired columns: a row ends a serving head's term
(through the rosters domain), the communities are re-assigned once, a re-import of the
same file changes nothing, and a row naming no head is refused with its row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from geo_api.importer.run import import_file
from geo_api.rosters.change import today
from tests.rosters_helpers import a_unit_head, broken, one

ROW = """
SELECT home.address AS 地址, cp.name AS 小区, b.number AS 楼栋, u.number AS 单元,
       hd.name AS 姓名, hd.phone AS 电话
FROM head hd JOIN household home ON home.id = hd.household_id JOIN unit u ON u.id = hd.unit_id
JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
WHERE hd.id = :h
"""


def roster(conn: Connection, head_id: int, tmp_path: Path, **columns: object) -> Path:
    row = one(conn, ROW, h=head_id)
    frame = pd.DataFrame([{"角色": "单元长", **row._asdict(), **columns}])
    path = tmp_path / "三长.csv"
    frame.to_csv(path, index=False)
    return path


def test_retired_column_ends_the_term(conn: Connection, tmp_path: Path) -> None:
    head = a_unit_head(conn)
    path = roster(conn, head.id, tmp_path, 是否卸任="是")
    report = import_file(conn, "heads", path)
    assert any("1 heads stepped down" in n for n in report.notes), report.notes
    left = one(conn, "SELECT left_on, left_reason, left_by FROM head WHERE id = :h", h=head.id)
    assert left == (today(conn), "roster import", "import")
    assert not conn.execute(
        text("SELECT 1 FROM assignment WHERE head_id = :h AND valid_to IS NULL"), {"h": head.id}
    ).first()
    assert broken(conn) == {}
    again = import_file(conn, "heads", path)  # the same file: nothing more to do
    assert not any("stepped down" in n for n in again.notes)
    assert one(conn, "SELECT count(*) FROM head WHERE household_id = :h AND unit_id = :u",
               h=head.household_id, u=head.unit_id)[0] == 1  # fmt: skip


def test_left_on_date_and_bad_values(conn: Connection, tmp_path: Path) -> None:
    head = a_unit_head(conn)
    path = roster(conn, head.id, tmp_path, 卸任日期=today(conn).isoformat())
    import_file(conn, "heads", path)
    assert one(conn, "SELECT left_on FROM head WHERE id = :h", h=head.id)[0] == today(conn)
    other = a_unit_head(conn)
    bad = roster(conn, other.id, tmp_path, 卸任日期="someday")
    with pytest.raises(Exception, match="not a date"), conn.begin_nested():
        import_file(conn, "heads", bad)
    stranger = roster(conn, other.id, tmp_path, 是否卸任="是")
    frame = pd.read_csv(stranger)
    frame["单元"] = 9  # a unit the head does not serve
    frame.to_csv(stranger, index=False)
    with pytest.raises(Exception, match="unit"), conn.begin_nested():
        import_file(conn, "heads", stranger)
