"""Landing into an empty table: rows copied straight in, its indexes and foreign keys
built once at the end, exactly as they were; a clash fails naming it and leaves the
table as it was."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError
from geo_api.importer.lander import Lander
from geo_api.importer.layer import Landing
from geo_api.importer.run import import_file

DEFINITIONS = """
SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE tablename = 'household'
UNION ALL
SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'household'::regclass
ORDER BY 1
"""
EXPORT = """
SELECT cp.name AS 小区, b.number AS 楼栋, u.number AS 单元, h.room AS 门牌号,
       h.persons AS 人数, ST_X(h.geom) AS 经度, ST_Y(h.geom) AS 纬度
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id WHERE h.household_no = '' ORDER BY h.id
"""


def definitions(conn: Connection) -> list[str]:
    return [str(r) for r in conn.execute(text(DEFINITIONS)).scalars()]


def test_an_empty_table_is_loaded_whole_with_its_indexes_built_again(
    conn: Connection, tmp_path: Path
) -> None:
    before = definitions(conn)
    assert any("gist" in d for d in before) and any("FOREIGN KEY" in d for d in before)
    frame = pd.read_sql_query(text(EXPORT), conn)
    path = tmp_path / "households.csv"
    frame.to_csv(path, index=False)
    conn.execute(text("TRUNCATE household CASCADE"))
    report = import_file(conn, "households", path)
    assert report.landed.inserted == len(frame) == report.rows_in > 100
    assert definitions(conn) == before
    landed = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
    assert landed == len(frame)
    # The rebuilt key holds: the same file again changes nothing, row by row.
    again = import_file(conn, "households", path)
    assert again.landed.unchanged == len(frame) and again.landed.inserted == 0


def test_a_clash_found_when_the_key_is_built_fails_and_leaves_the_table_as_it_was(
    conn: Connection,
) -> None:
    before = definitions(conn)
    conn.execute(text("TRUNCATE household CASCADE"))
    unit_id = conn.execute(text("SELECT min(id) FROM unit")).scalar_one()
    columns = ("unit_id", "room", "household_no", "persons", "address", "geom")
    landing = Landing("household", ("unit_id", "room", "household_no"), columns, ())
    rows = gpd.GeoDataFrame(
        {
            "unit_id": [unit_id, unit_id],
            "room": ["101", "101"],
            "household_no": ["", ""],
            "persons": [1, 2],
            "address": ["a", "b"],
        },
        geometry=[shapely.Point(111.3, 35.6)] * 2,
        crs=4326,
    )
    lander = Lander(conn, [landing])
    assert lander.land(rows).inserted == 2  # copied: nothing checks the key yet
    with pytest.raises(InvalidInputError) as raised:
        lander.finish()
    assert "uq_household_current_room" in str(raised.value)
    assert "is duplicated" in str(raised.value)
    assert definitions(conn) == before
    assert conn.execute(text("SELECT count(*) FROM household")).scalar_one() == 0
