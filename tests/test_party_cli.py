"""gridgov units, lists and match as a user runs them (their rows removed after)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from geo_api.demo.city import City
from tests.cli_run import Run, invoker

YEAR = "2031"  # no other test's year: the CLI commits


@pytest.fixture
def run(
    db_url: str,
    city: City,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Iterator[Run]:
    """Run ``gridgov ARGS`` on the test city; what the commands made is deleted after."""
    monkeypatch.chdir(tmp_path)
    invoke = invoker(db_url, monkeypatch, capsys)
    yield invoke
    with engine.begin() as conn:
        for sql in (
            "DELETE FROM project_resource WHERE project_id IN "
            "(SELECT id FROM party_project WHERE year = 2031)",
            "DELETE FROM party_project WHERE year = 2031",
            "DELETE FROM party_resource WHERE year = 2031",
            "DELETE FROM party_demand WHERE year = 2031",
            "DELETE FROM alliance_agreement WHERE unit_id IN "
            "(SELECT id FROM alliance_unit WHERE name LIKE 'CLI测试%')",
            "DELETE FROM alliance_unit WHERE name LIKE 'CLI测试%'",
        ):
            conn.execute(text(sql))


def test_units_lists_and_match(run: Run, engine: Engine) -> None:
    """Add a unit, sign it to a street, list it masked, offer a resource, match a
    demand to it and accept: a project."""
    with engine.connect() as conn:
        street, community, lon, lat = conn.execute(
            text("""SELECT s.name, c.code, ST_X(ST_PointOnSurface(cp.geom)),
                           ST_Y(ST_PointOnSurface(cp.geom))
                    FROM compound cp JOIN community c ON c.id = cp.community_id
                    JOIN street s ON s.id = c.street_id ORDER BY cp.id LIMIT 1""")
        ).one()
    code, out, err = run(
        "units",
        "add",
        "CLI测试单位",
        "--kind",
        "school",
        "--contact",
        "赵一鸣",
        "--phone",
        "13900001111",
        "--lon",
        str(lon),
        "--lat",
        str(lat),
    )
    assert code == 0, err
    unit_id = out.split(":")[1].split()[0]
    code, out, err = run("units", "sign", unit_id, "--street", street, "--on", "2031-01-05")
    assert code == 0 and "已签订协议" in out, err
    code, out, err = run("units", "list", "--street", street)
    assert code == 0 and "赵*鸣" in out and "139****1111" in out, err
    code, out, err = run("units", "add", "CLI测试单位2", "--kind", "bakery")
    assert code != 0 and "错误" in err and "bakery" in err
    with engine.begin() as conn:
        conn.execute(
            text("""INSERT INTO party_resource (year, title, kind, category_id, unit_id, geom)
                    SELECT 2031, '课后托管', 'team', id, :u,
                           (SELECT geom FROM alliance_unit WHERE id = :u)
                    FROM list_category WHERE code = 'children'"""),
            {"u": int(unit_id)},
        )
        conn.execute(
            text("""INSERT INTO party_demand (year, title, category_id, community_id, geom)
                    SELECT 2031, '四点半课堂', lc.id, c.id,
                           ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)
                    FROM list_category lc, community c
                    WHERE lc.code = 'children' AND c.code = :c"""),
            {"c": community, "lon": lon + 0.001, "lat": lat},
        )
    code, out, err = run("match", "--year", YEAR, "--reach", "5000", "--accept", "--lang", "en")
    assert code == 0, err
    assert "四点半课堂" in out and "课后托管" in out and "projects made 1" in out
    code, out, err = run("lists", "demands", "--year", YEAR)
    assert code == 0 and "matched" in out, err
