"""The three lists (资源清单, 需求清单, 项目清单) from communities' spreadsheets: Chinese
headers, the party domain's rules, mistakes named by row and column, re-imports that
change nothing, the lists' exports imported back unchanged, and the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo_api.catalogue.layers import LAYER_BY_NAME
from geo_api.export.batches import store_stream
from geo_api.export.layers import write_stream
from geo_api.importer.run import ImportRejectedError, import_file
from geo_api.party.categories import retire_category
from tests.cli_run import Run

UNIT = "侯马市清单测试银行"
OURS = ["银行会议室", "义诊队伍", "老年食堂", "儿童托管", "爱心食堂"]


@pytest.fixture
def columns() -> int:
    """The CLI's tables here must fit a plain 80-column terminal."""
    return 80


def _place(conn: Connection) -> dict[str, Any]:
    """A community with a named compound, its code and name, and a member to offer."""
    row = conn.execute(
        text("""SELECT c.id, c.code, c.name AS community, cp.name AS compound,
                       ST_X(p) AS lon, ST_Y(p) AS lat
                FROM (SELECT *, ST_PointOnSurface(geom) AS p FROM compound) cp
                JOIN community c ON c.id = cp.community_id
                WHERE cp.name IS NOT NULL ORDER BY cp.id LIMIT 1""")
    ).one()
    return dict(row._mapping)


def _unit(conn: Connection, lon: float, lat: float) -> int:
    """An alliance unit at a point (the resources' provider, the projects' lead)."""
    return int(
        conn.execute(
            text("""INSERT INTO alliance_unit (name, kind, geom)
                    VALUES (:n, 'bank', ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"""),
            {"n": UNIT, "x": lon, "y": lat},
        ).scalar_one()
    )


def _member(conn: Connection, community: int) -> tuple[str, str]:
    """A registered member of the store (name, phone)."""
    found = conn.execute(text("SELECT name, phone FROM member ORDER BY id LIMIT 1")).first()
    if found is not None:
        return str(found.name), str(found.phone)
    conn.execute(
        text("""INSERT INTO member (name, phone, community_id)
                VALUES ('王清单', '13900001234', :c)"""),
        {"c": community},
    )
    return "王清单", "13900001234"


def _resources(place: dict[str, Any], member: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "资源名称": ["银行会议室", "义诊队伍"],
            "类型": ["场地", "志愿队伍"],
            "类别": ["养老助老", "elderly"],
            "数量": ["80", None],
            "计量单位": ["平方米", None],
            "可服务需求数": ["2", None],
            "提供单位": [UNIT, None],
            "提供党员": [None, member[0]],
            "电话": [None, member[1]],
            "社区": [place["code"], place["community"]],
            "地址": ["平阳街8号", None],
            "年度": ["2021", "2021年"],
        }
    )


def _demands(place: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "需求名称": ["老年食堂", "儿童托管"],
            "类别": ["养老助老", "儿童关爱"],
            "社区": [place["community"], place["code"]],
            "小区": [place["compound"], None],
            "提出人": ["居民代表", None],
            "提出日期": ["2021.3.5", "2021年2月1日"],
            "紧急程度": ["紧急", "1"],
            "完成节点": ["年末", None],
            "年度": [2021, 2021],
        }
    )


def _projects(place: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "项目名称": ["爱心食堂"],
            "需求": ["老年食堂"],
            "社区": [place["code"]],
            "牵头单位": [UNIT],
            "负责人": ["赵主任"],
            "状态": ["进行中"],
            "年度": ["2021"],
            "年初节点": ["2021-03-20"],
        }
    )


def _lists(conn: Connection, tmp_path: Path) -> dict[str, Any]:
    """The three lists imported into the store (in the test's transaction)."""
    place = _place(conn)
    _unit(conn, place["lon"], place["lat"])
    member = _member(conn, place["id"])
    for name, frame in (
        ("resources", _resources(place, member)),
        ("demands", _demands(place)),
        ("projects", _projects(place)),
    ):
        frame.to_excel(tmp_path / f"{name}.xlsx", index=False)
        report = import_file(conn, name, tmp_path / f"{name}.xlsx")
        assert report.rows_landed == len(frame), report.rejects[:3]
    return place


def test_resources_land_and_a_reimport_changes_nothing(conn: Connection, tmp_path: Path) -> None:
    """A unit's and a member's resources land; the unit's stands at the unit's place;
    the same file again is unchanged; a changed capacity is one update."""
    place = _lists(conn, tmp_path)
    rows = conn.execute(
        text("""SELECT r.title, r.kind, lc.code, r.quantity, r.capacity, r.unit_id IS NOT NULL,
                       r.member_id IS NOT NULL, r.community_id, r.geom IS NOT NULL
                FROM party_resource r JOIN list_category lc ON lc.id = r.category_id
                WHERE r.title IN ('银行会议室', '义诊队伍') ORDER BY r.title""")
    ).all()
    assert [tuple(r) for r in rows] == [
        ("义诊队伍", "team", "elderly", None, 1, False, True, place["id"], False),
        ("银行会议室", "venue", "elderly", 80.0, 2, True, False, place["id"], True),
    ]
    again = import_file(conn, "resources", tmp_path / "resources.xlsx")
    assert (again.landed.inserted, again.landed.updated, again.landed.unchanged) == (0, 0, 2)
    assert again.records == []
    frame = pd.read_excel(tmp_path / "resources.xlsx", dtype=str)
    frame.loc[0, "可服务需求数"] = "3"
    frame.to_csv(tmp_path / "changed.csv", index=False)
    changed = import_file(conn, "resources", tmp_path / "changed.csv")
    assert (changed.landed.updated, changed.landed.unchanged) == (1, 1)
    assert len(changed.records) == 1 and changed.records[0].startswith("party_resource:")


def test_resource_mistakes_are_named(conn: Connection, tmp_path: Path) -> None:
    """An unknown category lists the known ones; an unknown unit, a bad kind, a member
    without a phone and a repeated row are each named by line and column."""
    place = _place(conn)
    _unit(conn, place["lon"], place["lat"])
    frame = pd.DataFrame(
        {
            "资源名称": ["甲", "乙", "丙", "丁", "甲"],
            "类型": ["场地", "场地", "飞船", "资金", "场地"],
            "类别": ["外星关爱", "养老助老", "养老助老", "养老助老", "养老助老"],
            "提供单位": [UNIT, "不存在的单位", UNIT, None, UNIT],
            "提供党员": [None, None, None, "张三", None],
            "社区": [place["code"]] * 5,
            "年度": ["2021"] * 5,
        }
    )
    frame.loc[5] = frame.loc[4]  # line 7 repeats line 6 (line 6 repeats line 2, rejected)
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "resources", tmp_path / "bad.csv")
    said = {r.row: r for r in raised.value.report.rejects}
    assert said[2].column == "类别" and "known: elderly 养老助老" in said[2].reason
    assert said[3].column == "提供单位" and "no alliance unit" in said[3].reason
    assert said[4].column == "类型" and said[4].value == "飞船"
    assert said[5].field == "phone" and "name and phone" in said[5].reason
    assert said[7].column == "资源名称" and "(line 6) has this year" in said[7].reason
    assert len(said) == 5
    report = import_file(conn, "resources", tmp_path / "bad.csv", skip_bad=True)
    assert report.rows_landed == 1 and len(report.rejects) == 5


def test_a_retired_category_is_refused_for_new_items_only(conn: Connection, tmp_path: Path) -> None:
    """Once 养老助老 retires, the stored items keep it on re-import; a new one may not take it."""
    _lists(conn, tmp_path)
    retire_category(conn, "elderly")
    again = import_file(conn, "resources", tmp_path / "resources.xlsx")
    assert again.landed.unchanged == 2
    frame = pd.read_excel(tmp_path / "resources.xlsx", dtype=str)
    frame.loc[0, "资源名称"] = "新会议室"
    frame.to_csv(tmp_path / "new.csv", index=False)
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "resources", tmp_path / "new.csv")
    (reject,) = raised.value.report.rejects
    assert reject.row == 2 and "retired" in reject.reason


def test_demands_stand_at_their_compound_or_community(conn: Connection, tmp_path: Path) -> None:
    """Urgency and checkpoint words, dates as officers write them; no coordinates: the
    compound's centre, else the community's, and the import says so."""
    place = _place(conn)
    _demands(place).to_csv(tmp_path / "demands.csv", index=False)
    report = import_file(conn, "demands", tmp_path / "demands.csv")
    assert report.landed.inserted == 2
    assert any("placed at their compound's centre" in n for n in report.notes)
    assert any("placed at their community's centre" in n for n in report.notes)
    assert any("经度/纬度" in w for w in report.warnings)
    rows = conn.execute(
        text("""SELECT d.title, d.urgency, d.due, d.raised_on, d.compound_id IS NOT NULL,
                       ST_Distance(d.geom::geography,
                                   ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography)
                FROM party_demand d WHERE d.title IN ('老年食堂', '儿童托管')
                ORDER BY d.urgency"""),
        {"x": place["lon"], "y": place["lat"]},
    ).all()
    assert [tuple(r)[:5] for r in rows] == [
        ("儿童托管", 1, "mid", date(2021, 2, 1), False),
        ("老年食堂", 3, "end", date(2021, 3, 5), True),
    ]
    assert rows[1][5] < 1.0  # metres: at the compound's point


def test_demand_mistakes_are_named(conn: Connection, tmp_path: Path) -> None:
    """A bad urgency, an unknown community and compound, an Excel serial in a text
    file, a point outside the city: each rejected naming line and column."""
    place = _place(conn)
    frame = _demands(place)
    frame = pd.concat([frame, frame.iloc[:1]], ignore_index=True)
    frame.loc[0, "紧急程度"] = "非常急"
    frame.loc[1, "社区"] = "火星社区"
    frame.loc[2, "提出日期"] = "45292"
    frame["经度"] = [place["lon"], place["lon"], 116.4]  # the last in Beijing
    frame["纬度"] = [place["lat"], place["lat"], 39.9]
    frame.loc[2, "提出日期"] = "2021-03-05"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "demands", tmp_path / "bad.csv")
    said = {r.row: r for r in raised.value.report.rejects}
    assert said[2].column == "紧急程度" and "一般, 较急 or 紧急" in said[2].reason
    assert said[3].column == "社区" and "no community" in said[3].reason
    assert said[4].column == "经度/纬度"
    serial = _demands(place).iloc[:1].copy()
    serial["提出日期"] = "45292"
    serial.to_csv(tmp_path / "serial.csv", index=False)
    with pytest.raises(ImportRejectedError) as dated:
        import_file(conn, "demands", tmp_path / "serial.csv")
    (reject,) = dated.value.report.rejects
    assert reject.column == "提出日期" and "not a date" in reject.reason


def test_projects_follow_the_domain_rules(conn: Connection, tmp_path: Path) -> None:
    """A project meets its demand (matched), gets its three milestones with the start
    one done; done meets the demand; a done project cannot go back; a matched demand
    takes no second project."""
    place = _lists(conn, tmp_path)
    project = conn.execute(
        text("""SELECT p.id, p.status, p.owners, d.status AS demand, p.lead_unit_id IS NOT NULL,
                       p.created_by
                FROM party_project p JOIN party_demand d ON d.id = p.demand_id
                WHERE p.title = '爱心食堂'""")
    ).one()
    assert tuple(project)[1:] == ("underway", "赵主任", "matched", True, "import")
    milestones = conn.execute(
        text("""SELECT checkpoint, done_on FROM project_milestone WHERE project_id = :p
                ORDER BY due_on"""),
        {"p": project.id},
    ).all()
    assert [tuple(m) for m in milestones] == [
        ("start", date(2021, 3, 20)), ("mid", None), ("end", None)
    ]  # fmt: skip
    again = import_file(conn, "projects", tmp_path / "projects.xlsx")
    assert again.landed.unchanged == 1
    done = _projects(place)
    done["状态"], done["年中节点"] = "完成", "2021.6.28"
    done.to_csv(tmp_path / "done.csv", index=False)
    assert import_file(conn, "projects", tmp_path / "done.csv").landed.updated == 1
    demand = conn.execute(
        text("SELECT status FROM party_demand WHERE id = (SELECT demand_id FROM party_project "
             "WHERE id = :p)"),
        {"p": project.id},
    ).scalar_one()  # fmt: skip
    assert demand == "met"
    back = _projects(place)
    back["状态"] = "计划"
    back.loc[1] = back.loc[0]
    back.loc[1, "项目名称"] = "第二食堂"
    back.to_csv(tmp_path / "back.csv", index=False)
    with pytest.raises(ImportRejectedError) as raised:
        import_file(conn, "projects", tmp_path / "back.csv")
    said = {r.row: r for r in raised.value.report.rejects}
    assert said[2].column == "状态" and "cannot become planned" in said[2].reason
    assert said[3].column == "需求" and "not open" in said[3].reason


def test_the_lists_exports_import_back_unchanged(conn: Connection, tmp_path: Path) -> None:
    """The catalogue's resources, demands and projects, written as GeoJSON, imported
    again: every row found and unchanged. (The test's own rows: the demo's lists repeat
    a few titles within a year and community, which a file keyed on them may not.)"""
    _lists(conn, tmp_path)
    # The export leaves out who offers a member's resource: only units' go round.
    conn.execute(text("DELETE FROM party_resource WHERE member_id IS NOT NULL"))
    for name in ("resources", "demands", "projects"):
        folder = tmp_path / f"export-{name}"
        folder.mkdir()
        ours = store_stream(conn, LAYER_BY_NAME[name], "l.title = ANY(:t)", {"t": OURS})
        written = write_stream(ours, "geojson", folder)
        (path,) = folder.glob("*.geojson")
        assert written == len(gpd.read_file(path)) > 0
        report = import_file(conn, name, path)
        assert report.rejects == [] and report.landed.unchanged == written, (name, report)
        assert report.landed.inserted == report.landed.updated == 0


def test_the_cli_imports_a_list_and_audits_it(run: Run, engine: Engine, tmp_path: Path) -> None:
    """gridgov import demands FILE lands the rows and writes one audit row naming them;
    a bad file says 错误: with the line and column."""
    with engine.begin() as conn:
        place = _place(conn)
    _demands(place).to_csv(tmp_path / "需求清单.csv", index=False, encoding="gbk")
    try:
        code, _, err = run("import", "demands", str(tmp_path / "需求清单.csv"))
        assert code == 0, err
        with engine.connect() as conn:
            ids = conn.execute(
                text("SELECT id FROM party_demand WHERE title IN ('老年食堂', '儿童托管')")
            ).scalars().all()  # fmt: skip
            audit = conn.execute(
                text("SELECT action, records FROM audit_log WHERE action LIKE 'import demands%' "
                     "ORDER BY id DESC LIMIT 1")
            ).one()  # fmt: skip
        assert len(ids) == 2 and "2 added or changed" in audit.action
        assert all(f"party_demand:{i}" in audit.records or "-" in audit.records for i in ids)
        bad = _demands(place)
        bad.loc[1, "紧急程度"] = "马上"
        bad.to_csv(tmp_path / "bad.csv", index=False)
        code, _, err = run("import", "demands", str(tmp_path / "bad.csv"))
        assert code != 0 and "错误:" in err and "紧急程度" in err and "马上" in err
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM party_demand WHERE title IN ('老年食堂', '儿童托管')"))


def test_the_api_imports_a_list_and_audits_it_under_the_key(
    client: TestClient, conn: Connection, engine: Engine, keys: dict[str, str], tmp_path: Path
) -> None:
    """POST /imports/projects lands the rows in the caller's transaction and writes the
    audit row under the caller's key, naming the projects it added."""
    place = _place(conn)
    _projects(place).drop(columns=["需求"]).to_csv(tmp_path / "项目清单.csv", index=False)
    with (tmp_path / "项目清单.csv").open("rb") as f:
        answer = client.post("/imports/projects", files={"file": ("项目清单.csv", f, "text/csv")},
                             headers={"X-API-Key": keys["admin"]})  # fmt: skip
    assert answer.status_code == 422 and "牵头单位" in answer.text  # the unit is not stored
    _unit(conn, place["lon"], place["lat"])
    with (tmp_path / "项目清单.csv").open("rb") as f:
        answer = client.post("/imports/projects", files={"file": ("项目清单.csv", f, "text/csv")},
                             headers={"X-API-Key": keys["admin"]})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["inserted"] == 1
    project = conn.execute(text("SELECT id FROM party_project WHERE title = '爱心食堂'")).scalar()
    with engine.connect() as c:
        audit = c.execute(
            text("SELECT records FROM audit_log WHERE key_name = 'test admin' "
                 "AND action = 'POST /imports/projects: 1 added or changed' "
                 "ORDER BY id DESC LIMIT 1")
        ).scalar_one()  # fmt: skip
    assert audit == f"party_project:{project}"
