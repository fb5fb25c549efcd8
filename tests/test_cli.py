"""The gridgov command as a user runs it: output, files, exit codes."""

from __future__ import annotations

import stat
from pathlib import Path

import pyogrio
import pytest
from sqlalchemy import Engine, text

from geo_api.auth.keys import caller_for
from geo_api.demo.city import City
from geo_api.export.layers import LAYER_NAMES
from tests.browser import visit
from tests.cli_run import Run


def test_help_on_every_command(run: Run) -> None:
    for command in (
        [],
        ["db"],
        ["demo"],
        ["generate"],
        ["assign"],
        ["recruit"],
        ["capacity"],
        ["import"],
        ["gaps"],
        ["export"],
        ["serve"],
        ["map"],
        ["db", "up"],
        ["db", "check"],
    ):
        code, out, _ = run(*command, "--help")
        assert code == 0 and "Usage" in out, command


def test_gaps_prints_a_table_per_community(run: Run, tmp_path: Path) -> None:
    code, out, err = run("gaps", "--geojson", str(tmp_path / "gaps.geojson"))
    assert code == 0, err
    assert "小区无小区长" in out and "compound_without_head" in out and "社区" in out
    assert len(pyogrio.read_dataframe(tmp_path / "gaps.geojson")) > 0


def test_assign_reports_no_churn_on_a_rerun(run: Run) -> None:
    code, out, err = run("assign", "--lang", "en")
    assert code == 0, err
    churn = next(line for line in out.splitlines() if "moved to another head (churn)" in line)
    assert churn.strip("│ ").endswith(" 0"), churn
    # Buildings, compounds and grids, and the party members, are in the report too.
    for level in ("building", "compound", "grid"):
        line = next(line for line in out.splitlines() if line.strip("│ ").startswith(level))
        assert "own" in line and "changed" not in line, line
    assert "by their address" in out


def test_recruit_prints_coverage_before_and_after(run: Run) -> None:
    code, out, err = run("recruit", "--reach", "250", "--lang", "en")
    assert code == 0, err
    assert "over target: now" in out and "new unit heads proposed" in out
    code, _, err = run("recruit", "--community", "999999999999")
    assert code == 1 and "999999999999" in err


def test_export_writes_a_geopackage(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "out" / "city.gpkg"
    code, out, err = run("export", "--format", "gpkg", "--out", str(target))
    assert code == 0, err
    assert len(pyogrio.list_layers(target)) == len(LAYER_NAMES) and "households" in out


def test_export_with_people_is_audited(run: Run, tmp_path: Path, engine: Engine) -> None:
    out = tmp_path / "csv"
    code, _, err = run(
        "export", "--format", "csv", "--out", str(out), "--people", "--reason", "核查"
    )
    assert code == 0, err
    header = (out / "heads.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert {"name", "phone"} <= set(header)
    with engine.connect() as db:
        row = db.execute(
            text("""SELECT key_name, role, records, reason FROM audit_log
                    WHERE action = 'gridgov export --format csv --people'""")
        ).one()
    assert row.key_name.startswith("cli:") and row.role == "admin" and row.reason == "核查"
    # How many, and which (issue 20): "heads:57", "head:1-57", "household:1-1000", ...
    records = row.records.split(",")
    assert any(r.startswith("heads:") for r in records)
    assert any(r.startswith("households:") for r in records)
    assert any(r.startswith("household:") for r in records)
    # Written readable by its owner only (issue 20).
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in out.iterdir())


def test_db_status_and_check(run: Run) -> None:
    code, out, _ = run("db", "status", "--lang", "en")
    assert code == 0 and "schema revision" in out
    code, _, err = run("db", "check")
    assert code == 0 and "inside its parent" in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["gaps", "--type", "nope"], "unknown gap type nope"),
        (["generate", "--households", "10"], "--households must be between"),
        (["export", "--format", "kml", "--out", "x"], "unknown export format"),
        (["db", "migrate", "nosuchrev"], "unknown revision 'nosuchrev'"),
        (["assign", "--solver", "magic"], "unknown solver 'magic'"),
        (["map", "--out", "map.pdf"], "give a .html path"),
        (["gaps", "--community", "141081999999"], "no community has the code"),
        (["map", "--grid", "123", "--out", "g.html"], "a grid code is 15 digits, not '123'"),
        (["map", "--community", "141081999999", "--out", "c.html"], "no community has the code"),
        (["map", "--lang", "de", "--out", "m.html"], "lang must be one of zh, en, not 'de'"),
        (["map", "--basemap", "bing", "--out", "m.html"], "basemap 'bing' is neither one of"),
    ],
)
def test_errors_exit_1_with_the_message(run: Run, args: list[str], says: str) -> None:
    code, _, err = run(*args)
    assert code == 1
    assert says in " ".join(err.split())


@pytest.mark.browser
def test_map_file_opens_with_no_server_and_no_network(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "cc.html"
    code, _, err = run("map", "--out", str(target))
    assert code == 0, err
    html = target.read_text(encoding="utf-8")
    assert "/static/vendor" not in html and "<script src=" not in html
    with visit(target.as_uri()) as seen:
        layers = seen.page.locator(".leaflet-control-layers-overlays label").count()
    assert seen.errors == [] and seen.blocked == [] and layers >= 18


@pytest.mark.browser
def test_officer_map_file_in_english_on_a_big_screen(run: Run, tmp_path: Path, city: City) -> None:
    code = str(city.communities["code"].iloc[0])
    target = tmp_path / "community.html"
    code_ok, _, err = run("map", "--community", code, "--lang", "en", "--big", "--out", str(target))
    assert code_ok == 0, err
    html = target.read_text(encoding="utf-8")
    assert "/static/vendor" not in html and "gg_refresh_every" not in html  # a snapshot
    with visit(target.as_uri()) as seen:
        title = seen.page.locator("#gg-panel h1").text_content() or ""
        ground = seen.page.evaluate(
            "getComputedStyle(document.querySelector('.folium-map')).backgroundColor"
        )
    assert seen.errors == [] and seen.blocked == []
    assert title.endswith("Community grid map") and code in title
    assert ground == "rgb(11, 22, 34)"


def test_capacity_for_a_community_and_its_mistakes(run: Run, city: City) -> None:
    code = str(city.communities["code"].iloc[0])
    code_ok, out, err = run("capacity", "--community", code, "--target", "18", "--maximum", "25")
    assert code_ok == 0 and "25" in out, err
    failed, _, err = run("capacity", "--community", code, "--target", "18")
    assert failed == 1 and "--target and --maximum" in err
    failed, _, err = run("capacity", "--target", "18")
    assert failed == 1 and "--community CODE or --head ID" in err


def test_import_reports_counts_and_writes_rejects(run: Run, tmp_path: Path, db_url: str) -> None:
    import geopandas as gpd
    from sqlalchemy import text

    from geo_api.db.engine import make_engine

    engine = make_engine(db_url, pool_size=1)
    with engine.connect() as conn:
        frame = gpd.read_postgis(text("SELECT code, name, geom FROM street ORDER BY id"), conn)
    engine.dispose()
    frame.loc[0, "code"] = "12"  # one bad row
    path = tmp_path / "streets.geojson"
    frame.to_file(path)
    code, _, err = run("import", "streets", str(path))
    assert code == 1 and "feature 1, code '12': must be 9 digits" in err
    assert (
        (tmp_path / "streets.geojson.rejects.csv")
        .read_text(encoding="utf-8-sig")
        .startswith("row,where,column,value,reason")
    )
    code, out, err = run("import", "streets", str(path), "--skip-bad", "--lang", "en")
    assert code == 0, err
    rejected = next(line for line in out.splitlines() if "rejected" in line and "│" in line)
    assert rejected.strip("│ ").endswith("1"), rejected
    code, _, err = run("import", "planets", str(path))
    assert code == 1 and "unknown layer 'planets'" in err


def test_gaps_export_to_geopackage_and_csv(run: Run, tmp_path: Path) -> None:
    import pandas as pd
    import shapely

    code, _, err = run("gaps", "--out", str(tmp_path / "gaps.gpkg"))
    assert code == 0, err
    gpkg = pyogrio.read_dataframe(tmp_path / "gaps.gpkg", layer="gaps")
    code, _, err = run("gaps", "--out", str(tmp_path / "gaps.csv"))
    assert code == 0, err
    table = pd.read_csv(tmp_path / "gaps.csv", encoding="utf-8-sig")
    assert len(gpkg) == len(table) > 0
    assert shapely.from_wkt(table["wkt"]).tolist() and "type" in table and "detail" in table
    code, _, err = run("gaps", "--out", str(tmp_path / "gaps.xls"))
    assert code == 1 and ".gpkg, .csv or .geojson" in err


def test_keys_from_the_command_line(run: Run, engine: Engine) -> None:
    code, out, _ = run("users", "create-admin", "--name", "cli admin")
    assert code == 0
    key = next(word for word in out.split() if word.startswith("gg_"))
    with engine.connect() as conn:
        found = caller_for(conn, key)
    assert found is not None and found[0].role == "admin"
    code, out, err = run("users", "create", "cli officer", "--role", "officer")
    assert code == 1 and "needs their community" in err
    code, out, _ = run("users", "list")
    assert "cli admin" in out and key not in out
    assert run("users", "revoke", "cli admin")[0] == 0
    with engine.connect() as conn:
        assert caller_for(conn, key) is None
    code, _, err = run("users", "revoke", "cli admin")
    assert code == 1 and "no live key" in err
    code, out, _ = run("audit", "--limit", "5", "--lang", "en")
    assert code == 0 and "personal data read in full" in out
