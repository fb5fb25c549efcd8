"""What the commands print and write: tables within 80 columns, one language per run,
names where codes are asked for, units by their address, the data's time on maps,
and the demo's key kept between runs."""

from __future__ import annotations

import re
import stat
from datetime import UTC, datetime
from pathlib import Path

import pyogrio
import pytest
from rich.cells import cell_len
from sqlalchemy import Engine, text

from geo_api.auth.keys import caller_for
from geo_api.demo.city import City
from tests.browser import visit
from tests.cli_run import Run

LATIN_WORD = re.compile(r"\b[a-z]{4,}\b")


# Every command that prints a table and changes nothing; C: the first community's code.
TABLES = [
    ["gaps"],
    ["recruit", "--reach", "250"],
    ["site", "--k", "2"],
    ["communities"],
    ["stats"],
    ["me", "heads", "--community", "C"],
    ["officers", "list"],
    ["members", "list", "--community", "C"],
    ["members", "registrations"],
    ["activities", "list"],
    ["points", "rules"],
    ["units", "list"],
    ["lists", "categories"],
    ["lists", "resources"],
    ["lists", "demands"],
    ["match"],
    ["audit", "--limit", "5"],
    ["users", "list"],
    ["db", "status"],
]
# Latin words a Chinese table may hold: commands it names, links.
COMMAND_WORDS = {"gridgov", "recruit", "site", "stats", "snapshot", "http", "maps", "communities"}
# Tables whose cells hold Latin text as recorded (a category's English name; an audit
# entry's key and request; the server's durability settings, in the test cluster
# off): only their titles and headers are checked in Chinese.
# Tables whose cells hold what people typed (keys' names: "test planner") or English
# by nature: only their titles and headers are held to the run's language.
LATIN_CELLS = {"lists categories", "audit", "db status", "users list"}
HAN = re.compile(r"[\u4e00-\u9fff]")


def with_community(args: list[str], city: City) -> list[str]:
    code = str(city.communities.iloc[0]["code"])
    return [code if a == "C" else a for a in args]


def heading(out: str) -> str:
    """A table's title and headers: the lines before its first row."""
    lines = []
    for line in out.splitlines():
        if line.startswith(("┡", "├", "│", "└")):
            break
        lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("args", [*TABLES, ["assign"]], ids=" ".join)
def test_tables_fit_80_columns(
    run: Run,
    city: City,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    for lang in ("zh", "en"):
        code, out, err = run(*with_community(args, city), "--lang", lang)
        assert code == 0, err
        widest = max(out.splitlines(), key=cell_len)
        assert cell_len(widest) <= 80, widest
        assert len(out.splitlines()) > 3


def test_gaps_in_one_language_per_run(run: Run) -> None:
    code, zh, err = run("gaps")
    assert code == 0, err
    assert "各社区问题" in zh and "小区无小区长" in zh and "Compound" not in zh
    code, en, err = run("gaps", "--lang", "en")
    assert code == 0, err
    assert "gaps per community" in en and "小区无小区长" not in en
    # English words in the Chinese tables are codes only (compound_without_head).
    words = {w for line in zh.splitlines() for w in LATIN_WORD.findall(line) if "_" not in w}
    assert words <= {"gridgov", "recruit", "site"}, words


@pytest.mark.parametrize("args", TABLES, ids=" ".join)
def test_every_table_in_one_language_per_run(run: Run, city: City, args: list[str]) -> None:
    """Chinese by default: no English word but the commands' names and codes (with _);
    --lang en: no Chinese in titles and headers, and no cell a word of the Chinese
    vocabulary (names of places and people stay Chinese)."""
    from geo_api.cli.words import ZH

    code, zh, err = run(*with_community(args, city))
    assert code == 0, err
    assert HAN.search(heading(zh)), zh
    checked = heading(zh) if " ".join(args[:2]) in LATIN_CELLS or args[0] in LATIN_CELLS else zh
    words = {w for w in LATIN_WORD.findall(checked) if "_" not in w}
    assert words <= COMMAND_WORDS, words
    code, en, err = run(*with_community(args, city), "--lang", "en")
    assert code == 0, err
    assert not HAN.search(heading(en)), heading(en)
    if args[:2] != ["lists", "categories"]:  # whose name column is the Chinese name
        cells = {cell.strip() for line in en.splitlines() for cell in re.split("[│┃]", line)}
        assert not cells & set(ZH.values()), cells & set(ZH.values())


def test_a_community_by_name_and_the_list_of_communities(
    run: Run,
    city: City,
) -> None:
    first = city.communities.iloc[0]
    code, out, err = run("communities", "--lang", "en")
    assert code == 0, err
    assert str(first["name"]) in out and str(first["code"]) in out
    assert f"/maps/communities/{first['code']}" in out.replace("\n", "").replace("│", "")
    by_code = run("gaps", "--community", str(first["code"]), "--lang", "en")
    by_name = run("gaps", "--community", str(first["name"]), "--lang", "en")
    assert by_code[0] == by_name[0] == 0 and by_code[1] == by_name[1]
    bare = str(first["name"]).removesuffix("社区")
    assert run("gaps", "--community", bare, "--lang", "en")[1] == by_code[1]
    code, _, err = run("gaps", "--community", str(first["name"])[:1] + "不存在")
    assert code == 1 and "no community (社区) is named" in err


def test_recruit_names_units_by_their_address(run: Run) -> None:
    code, out, err = run("recruit", "--reach", "250")
    assert code == 0, err
    flat = out.replace("\n", "")
    assert re.search(r"\d+号楼\d+单元", out), out
    assert "推荐的单元长" in flat


def test_site_writes_its_proposals(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "sites.gpkg"
    code, out, err = run("site", "--k", "2", "--out", str(target))
    assert code == 0, err
    sites = pyogrio.read_dataframe(target, layer="sites")
    best = sites[sites["set"] == "best_k"]
    assert 1 <= len(best) <= 2 and (sites.geom_type == "Point").all()
    assert str(best.iloc[0]["name"]) in out


def test_export_overwrites_only_when_asked(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "city.gpkg"
    assert run("export", "--out", str(target))[0] == 0
    code, _, err = run("export", "--out", str(target))
    assert code == 1 and "--overwrite" in err
    assert run("export", "--out", str(target), "--overwrite")[0] == 0
    assert len(pyogrio.list_layers(target)) > 10


def test_the_demo_keeps_its_key_unless_asked(
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    engine: Engine,
) -> None:
    import geo_api.cli.city as city_cli

    kept = tmp_path / ".gridgov" / "demo-key"
    monkeypatch.setattr(city_cli, "demo_key_file", lambda: kept)
    with engine.connect() as conn:
        first, fresh = city_cli.demo_key(engine, new=False)
        again, fresh_again = city_cli.demo_key(engine, new=False)
        assert fresh and not fresh_again and again == first
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert kept.read_text(encoding="utf-8").strip() == first
        replaced, fresh = city_cli.demo_key(engine, new=True)
        assert fresh and replaced != first
        assert caller_for(conn, first) is None and caller_for(conn, replaced) is not None
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM api_key WHERE name = 'demo'"))


def test_a_saved_map_shows_when_its_data_was_read(
    run: Run,
    tmp_path: Path,
    city: City,
) -> None:
    before = datetime.now().astimezone()
    target = tmp_path / "community.html"
    code, _, err = run(
        "map", "--community", str(city.communities.iloc[0]["name"]), "--out", str(target)
    )
    after = datetime.now().astimezone()
    assert code == 0, err
    html = target.read_text(encoding="utf-8")
    found = re.search(r'window\.gg_read_at = "([^"]+)"', html)
    assert found, "the page carries no data time"
    read_at = datetime.fromisoformat(found.group(1))
    assert before.replace(microsecond=0) <= read_at <= after
    assert "new Date()" not in html  # the opening time is shown nowhere


@pytest.mark.browser
def test_a_saved_map_opened_later_shows_the_datas_day(
    run: Run,
    tmp_path: Path,
) -> None:
    target = tmp_path / "cc.html"
    code, _, err = run("map", "--out", str(target), "--lang", "en")
    assert code == 0, err
    with visit(target.as_uri()) as seen:
        seen.page.clock.install(time=datetime(2031, 3, 4, 5, 6, tzinfo=UTC).timestamp())
        seen.page.reload(wait_until="load")
        seen.page.wait_for_function("window.gg_ready !== undefined")
        status = seen.page.locator("#gg-status").text_content() or ""
        read_at = datetime.fromisoformat(seen.page.evaluate("window.gg_read_at"))
    assert status.startswith("Updated") and "2031" not in status
    assert read_at.astimezone().strftime("%d/%m/%Y") in status


def test_demo_twice_prints_the_same_key(
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    scratch_url: str,
    tmp_path: Path,
) -> None:
    import geo_api.cli.city as city_cli

    monkeypatch.setenv("GEO_API_DATABASE_URL", scratch_url)
    monkeypatch.setattr(city_cli, "demo_key_file", lambda: tmp_path / "demo-key")
    keys = []
    for _ in range(2):
        code, out, err = run("demo", "--households", "1000", "--no-serve", "--lang", "en")
        assert code == 0, err
        keys.append(next(word for word in out.split() if word.startswith("gg_")))
    assert keys[0] == keys[1] and "the same command-centre key" in out
    code, out, err = run("demo", "--households", "1000", "--no-serve", "--new-key")
    assert code == 0, err
    assert keys[0] not in out and "新的" in out
