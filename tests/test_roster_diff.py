"""Roster imports as a diff against the store (heads, officers, members): new,
changed with the fields that change, unchanged, missing; --dry-run writes nothing,
--full retires the missing; through the importer, the CLI and the API."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo_api.clock import today
from geo_api.errors import InvalidInputError
from geo_api.importer.run import import_file
from tests.cli_run import Run
from tests.test_import_heads import HEADS

OFFICERS = """
SELECT o.name AS 网格员, o.phone AS 电话, c.code AS 社区, g.code AS 网格,
       CASE WHEN o.part_time THEN '兼职' ELSE '专职' END AS 专职兼职, o.max_grids AS 最多网格数
FROM grid_officer o JOIN community c ON c.id = o.community_id LEFT JOIN grid g ON g.id = o.grid_id
WHERE o.left_on IS NULL ORDER BY o.id
"""


@pytest.fixture
def columns() -> int:
    """The CLI's tables here must fit a plain 80-column terminal."""
    return 80


def _officers_file(conn: Connection, path: Path) -> tuple[pd.DataFrame, str, str]:
    """The store's officers as a roster, with one row changed (part-time, limit), one
    left out and one new: (the frame, the changed officer's name, the left-out one's)."""
    frame = pd.read_sql_query(text(OFFICERS), conn)
    frame.loc[0, "专职兼职"] = "兼职"
    frame.loc[0, "最多网格数"] = 5
    left_out = str(frame.loc[1, "网格员"])
    frame = frame.drop(index=1)
    new = pd.DataFrame([{"网格员": "新网格员", "电话": "13911112222", "社区": frame.iloc[0]["社区"],
                         "网格": None, "专职兼职": "专职", "最多网格数": 2}])  # fmt: skip
    frame = pd.concat([frame, new], ignore_index=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return frame, str(frame.loc[0, "网格员"]), left_out


def test_a_dry_run_shows_the_diff_and_writes_nothing(conn: Connection, tmp_path: Path) -> None:
    frame, changed, left_out = _officers_file(conn, tmp_path / "网格员.csv")
    before = conn.execute(text("SELECT count(*), max(changed_at) FROM grid_officer")).one()
    report = import_file(conn, "officers", tmp_path / "网格员.csv", dry_run=True)
    diff = report.diff
    assert diff is not None and diff.dry_run
    assert (diff.new, diff.changed, diff.unchanged, diff.missing, diff.retired) == (
        1, 1, len(frame) - 2, 1, 0)  # fmt: skip
    row = next(r for r in diff.rows if r.kind == "changed")
    assert row.label == changed and sorted(row.fields) == ["max_grids", "part_time"]
    assert "max_grids: 3 → 5" in row.changes
    assert [r.label for r in diff.rows if r.kind == "retire"] == [left_out]
    assert [r.label for r in diff.rows if r.kind == "new"] == ["新网格员"]
    assert report.landed.inserted == report.landed.updated == 0
    after = conn.execute(text("SELECT count(*), max(changed_at) FROM grid_officer")).one()
    assert tuple(after) == tuple(before)
    part = conn.execute(
        text("SELECT part_time FROM grid_officer WHERE name = :n"), {"n": changed}
    ).scalar_one()
    assert part is False


def test_a_full_roster_retires_who_it_leaves_out(conn: Connection, tmp_path: Path) -> None:
    _, _, left_out = _officers_file(conn, tmp_path / "网格员.csv")
    grid = conn.execute(
        text("SELECT grid_id FROM grid_officer WHERE name = :n"), {"n": left_out}
    ).scalar_one()
    # Without --full the one left out stays.
    kept = import_file(conn, "officers", tmp_path / "网格员.csv")
    assert kept.diff is not None and kept.diff.missing == 1 and kept.diff.retired == 0
    assert kept.landed.inserted == 1 and kept.landed.updated == 1
    stays = conn.execute(
        text("SELECT left_on FROM grid_officer WHERE name = :n"), {"n": left_out}
    ).scalar_one()
    assert stays is None
    full = import_file(conn, "officers", tmp_path / "网格员.csv", full=True)
    assert full.diff is not None and full.diff.retired == 1 and full.diff.changed == 0
    gone = conn.execute(
        text("SELECT id, left_on, left_reason FROM grid_officer WHERE name = :n"), {"n": left_out}
    ).one()
    assert (gone.left_on, gone.left_reason) == (today(), "not in roster")
    # Their grid is covered again at once: by another officer of the community, or none.
    cover = conn.execute(
        text("SELECT officer_id FROM place_cover WHERE level = 'grid' AND grid_id = :g "
             "AND valid_to IS NULL"), {"g": grid}
    ).scalar()  # fmt: skip
    assert cover != gone.id
    assert any("covered again" in n for n in full.notes)


def test_heads_and_members_diff_and_retire(conn: Connection, tmp_path: Path) -> None:
    heads = pd.read_sql_query(text(HEADS), conn)
    heads.loc[0, "电话"] = "13700001111"
    dropped = str(heads.loc[2, "姓名"])
    heads = heads.drop(index=2)
    heads.to_excel(tmp_path / "三长.xlsx", index=False)
    report = import_file(conn, "heads", tmp_path / "三长.xlsx", full=True, dry_run=True)
    diff = report.diff
    assert diff is not None and (diff.changed, diff.missing, diff.new) == (1, 1, 0)
    assert next(r for r in diff.rows if r.kind == "changed").fields == ["phone"]
    report = import_file(conn, "heads", tmp_path / "三长.xlsx", full=True)
    assert report.diff is not None and report.diff.retired == 1
    left = (
        conn.execute(text("SELECT left_on FROM head WHERE name = :n"), {"n": dropped})
        .scalars()
        .all()
    )
    assert today() in left
    # Through the heads' domain: the term ends with its reason, and nobody is covered
    # by the head any more (their community was re-assigned).
    retired = conn.execute(
        text("SELECT id, left_reason FROM head WHERE name = :n AND left_on = china_today()"),
        {"n": dropped},
    ).one()
    assert retired.left_reason == "not in roster"
    still = "SELECT count(*) FROM assignment WHERE head_id = :h AND valid_to IS NULL"
    assert conn.execute(text(still), {"h": retired.id}).scalar_one() == 0
    members = pd.read_sql_query(
        text("SELECT name AS 姓名, phone AS 电话, address AS 地址, registered_on AS 报到日期 "
             "FROM member ORDER BY id LIMIT 20"), conn
    )  # fmt: skip
    members.to_csv(tmp_path / "党员.csv", index=False)
    report = import_file(conn, "members", tmp_path / "党员.csv", dry_run=True, full=True)
    total = conn.execute(text("SELECT count(*) FROM member")).scalar_one()
    assert report.diff is not None and report.diff.unchanged == 20
    assert report.diff.missing == total - 20


def test_a_dry_run_of_a_layer_not_a_roster_is_refused(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,lon,lat\nA,111.3,35.6\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="for the rosters: members, heads, officers"):
        import_file(conn, "stations", path, dry_run=True)


def test_the_officers_layer_names_bad_rows(conn: Connection, tmp_path: Path) -> None:
    code = conn.execute(text("SELECT code FROM community ORDER BY id LIMIT 1")).scalar_one()
    path = tmp_path / "网格员.csv"
    path.write_text(
        "姓名,电话,社区,网格,专职兼职,离任日期\n"
        f"甲,1381234,{code},,专职,\n"
        f"乙,13812345679,999999999999,,专职,\n"
        f"丙,13812345670,{code},nogrid,专职,\n"
        f"丁,13812345671,{code},,半职,\n"
        f"戊,13812345672,{code},,兼职,明天\n",
        encoding="utf-8",
    )
    from geo_api.importer.report import ImportRejectedError

    with pytest.raises(ImportRejectedError) as refused:
        import_file(conn, "officers", path)
    said = {r.row: (r.column, r.reason) for r in refused.value.report.rejects}
    # Rows as the file counts them: the header is line 1.
    assert said[2][0] == "电话" and "not a Chinese phone number" in said[2][1]
    assert said[3] == ("社区", "no such community (its 12-digit code or its name)")
    assert said[4] == ("网格", "no such grid (its code or its name)")
    assert said[5][0] == "专职兼职"
    assert said[6][0] == "离任日期" and "not a date" in said[6][1]


def test_the_diff_from_the_cli_and_the_api(
    run: Run, engine: Engine, client: TestClient, conn: Connection, keys: dict[str, str],
    tmp_path: Path,
) -> None:  # fmt: skip
    with engine.connect() as c:
        _, changed, left_out = _officers_file(c, tmp_path / "网格员.csv")
        before = c.execute(text("SELECT count(*), max(changed_at) FROM grid_officer")).one()
    code, out, err = run("import", "officers", str(tmp_path / "网格员.csv"), "--dry-run",
                         "--full", "--lang", "en")  # fmt: skip
    assert code == 0, err
    assert "dry run: nothing written" in out and "max_grids: 3 → 5" in out and left_out in out
    assert all(len(line) <= 80 for line in out.splitlines())
    with engine.connect() as c:
        after = c.execute(text("SELECT count(*), max(changed_at) FROM grid_officer")).one()
    assert tuple(after) == tuple(before)
    with (tmp_path / "网格员.csv").open("rb") as f:
        answer = client.post("/imports/officers", params={"dry_run": "true", "full": "true"},
                             files={"file": ("网格员.csv", f, "text/csv")})  # fmt: skip
    assert answer.status_code == 200, answer.text
    diff = answer.json()["diff"]
    assert (diff["new"], diff["changed"], diff["missing"]) == (1, 1, 1)
    shown = next(r for r in diff["rows"] if r["kind"] == "changed")
    assert shown["label"] != changed and "*" in shown["label"] and shown["changes"] == []
    with (tmp_path / "网格员.csv").open("rb") as f:
        answer = client.post("/imports/officers", params={"full": "true"},
                             files={"file": ("网格员.csv", f, "text/csv")},
                             headers={"X-API-Key": keys["admin"]})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["diff"]["retired"] == 1
    with engine.connect() as c:
        recorded = c.execute(
            text("SELECT action FROM audit_log WHERE key_name = 'test admin' "
                 "AND action LIKE 'POST /imports/officers%' ORDER BY id DESC LIMIT 2")
        ).scalars().all()  # fmt: skip
    assert "POST /imports/officers: 1 new, 1 changed, 1 retired" in recorded
    assert "max_grids: 3 → 5" in answer.json()["diff"]["rows"][0]["changes"]
    left = conn.execute(
        text("SELECT left_on FROM grid_officer WHERE name = :n"), {"n": left_out}
    ).scalar_one()
    assert left == today()


def test_a_full_members_roster_retires_the_members_it_leaves_out(
    conn: Connection, tmp_path: Path
) -> None:
    """A --full members import (not a dry run) ends every serving member the file
    leaves out: left today, "not in roster"; the members it lists stay."""
    active = "left_on IS NULL OR left_on > china_today()"
    members = pd.read_sql_query(
        text("SELECT name AS 姓名, phone AS 电话, address AS 地址, registered_on AS 报到日期 "
             f"FROM member WHERE {active} ORDER BY id LIMIT 20"), conn
    )  # fmt: skip
    serving = conn.execute(text(f"SELECT count(*) FROM member WHERE {active}")).scalar_one()
    assert serving > 20, "the test city needs members beyond the file's"
    members.to_csv(tmp_path / "党员.csv", index=False)
    report = import_file(conn, "members", tmp_path / "党员.csv", full=True)
    assert report.diff is not None and not report.diff.dry_run
    assert report.diff.missing == report.diff.retired == serving - 20
    listed = list(members["电话"].astype(str))
    still = conn.execute(
        text(f"SELECT phone FROM member WHERE {active} ORDER BY phone")
    ).scalars().all()  # fmt: skip
    assert sorted(still) == sorted(listed)
    gone = conn.execute(
        text("SELECT left_on, left_reason, count(*) AS n FROM member "
             "WHERE NOT (phone = ANY(:p)) AND left_on = :today GROUP BY 1, 2"),
        {"p": listed, "today": today()},
    ).all()  # fmt: skip
    assert [(g.left_on, g.left_reason, g.n) for g in gone] == [
        (today(), "not in roster", serving - 20)
    ]
