"""Placards (三长信息公示牌): who is named in full, who may read them, the A4 page in
Chromium, the PDF read back, and `gridgov placards` / `gridgov me heads`."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Connection, Engine, text

from geo_api.errors import RendererMissingError
from geo_api.placards.content import NO_PHONE, Placard, PlacardHead, Station
from geo_api.placards.page import MOST_HEADS, placard_html
from geo_api.placards.pdf import chromium, self_contained
from geo_api.privacy import mask_name
from tests.browser import visit
from tests.cli_run import Run

A4_PT = (595.3, 841.9)
A4_PX = (794, 1123)  # at 96 dpi
# A building of the officer's community with two unit heads or more.
BUILDING = """
SELECT b.id, b.compound_id, cp.community_id FROM building b
JOIN compound cp ON cp.id = b.compound_id JOIN unit u ON u.building_id = b.id
JOIN head hd ON hd.unit_id = u.id AND hd.role = 'unit' AND hd.left_on IS NULL
WHERE cp.community_id = (SELECT community_id FROM compound ORDER BY id LIMIT 1)
GROUP BY b.id, cp.community_id HAVING count(*) >= 2 ORDER BY b.id LIMIT 1"""
UNIT_HEADS = """SELECT hd.id, hd.name, hd.phone FROM head hd JOIN unit u ON u.id = hd.unit_id
WHERE u.building_id = :b AND hd.left_on IS NULL ORDER BY hd.id"""


def read_text(pdf: PdfReader) -> str:
    """A PDF's text without the spaces the extraction puts between Chinese characters."""
    return "".join("".join(page.extract_text().split()) for page in pdf.pages)


def audit_records(engine: Engine, key_name: str, action: str) -> set[str]:
    with engine.connect() as db:
        row = db.execute(
            text("SELECT records FROM audit_log WHERE key_name = :k AND action = :a "
                 "ORDER BY id DESC LIMIT 1"),
            {"k": key_name, "a": action},
        ).first()  # fmt: skip
    return set(row.records.split(",")) if row else set()


@pytest.fixture
def consenting(conn: Connection) -> dict[str, Any]:
    """A building whose first unit head agreed to be named and whose second did not."""
    building = conn.execute(text(BUILDING)).first()
    assert building is not None
    heads = conn.execute(text(UNIT_HEADS), {"b": building.id}).all()
    conn.execute(text("UPDATE head SET consent_public = (id = :h)"), {"h": heads[0].id})
    officers = conn.execute(
        text("""SELECT o.id, o.name FROM grid_officer o JOIN compound cp ON cp.grid_id = o.grid_id
                WHERE cp.id = :c"""),
        {"c": building.compound_id},
    ).all()  # fmt: skip
    return {"building": building, "yes": heads[0], "no": heads[1], "officers": officers}


def test_a_building_placard_names_only_those_who_agreed(
    client: TestClient, keys: dict[str, str], consenting: dict[str, Any], engine: Engine
) -> None:
    building, yes, no = consenting["building"], consenting["yes"], consenting["no"]
    answer = client.get(f"/placards/building/{building.id}", headers={"X-API-Key": keys["officer"]})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert "三长信息公示牌" in page and "size: A4" in page and "Noto Sans SC" in page
    assert yes.name in page and yes.phone in page
    assert no.phone not in page and no.name not in page and mask_name(no.name) in page
    assert "单元长" in page and "号楼" in page
    for o in consenting["officers"]:
        assert o.name in page
    assert "最近的党群服务站" in page and "米" in page
    records = audit_records(engine, "test officer", f"GET /placards/building/{building.id}")
    assert f"head:{yes.id}" in records and f"head:{no.id}" not in records
    assert {f"officer:{o.id}" for o in consenting["officers"]} <= records
    # The command centre reads it too (the consenting head in full: audited as well).
    assert client.get(f"/placards/building/{building.id}").status_code == 200
    records = audit_records(engine, "test command", f"GET /placards/building/{building.id}")
    assert f"head:{yes.id}" in records


def test_who_may_read_a_placard(client: TestClient, keys: dict[str, str], conn: Connection) -> None:
    elsewhere = conn.execute(
        text("""SELECT cp.id, min(b.id) AS building FROM compound cp
                JOIN building b ON b.compound_id = cp.id
                WHERE cp.community_id <> (SELECT community_id FROM compound ORDER BY id LIMIT 1)
                GROUP BY cp.id ORDER BY cp.id LIMIT 1""")
    ).first()
    assert elsewhere is not None
    officer = {"X-API-Key": keys["officer"]}
    for path in (f"/placards/compound/{elsewhere.id}", f"/placards/building/{elsewhere.building}"):
        assert client.get(path, headers=officer).status_code == 403, path
        assert client.get(path, headers={"X-API-Key": keys["planner"]}).status_code == 403
        assert client.get(path).status_code == 200
    assert client.get("/placards/building/999999").status_code == 404
    assert client.get("/placards/compound/1", params={"format": "png"}).status_code == 422


def test_a_compound_placard_lists_its_heads(client: TestClient, conn: Connection) -> None:
    compound = conn.execute(text("SELECT id, name FROM compound ORDER BY id LIMIT 1")).first()
    assert compound is not None
    page = client.get(f"/placards/compound/{compound.id}").text
    assert compound.name in page
    heads = conn.execute(
        text("""SELECT hd.role, hd.name FROM head hd LEFT JOIN building b ON b.id = hd.building_id
                WHERE hd.left_on IS NULL AND (hd.compound_id = :c OR b.compound_id = :c)"""),
        {"c": compound.id},
    ).all()  # fmt: skip
    assert heads
    for role, name in heads:
        assert mask_name(name) in page, (role, name)
    assert "小区长" in page and "楼长" in page and "全小区" in page


@pytest.mark.browser
def test_the_pdf_is_a4_and_names_only_those_who_agreed(
    client: TestClient, consenting: dict[str, Any], artifacts: Path
) -> None:
    building, yes, no = consenting["building"], consenting["yes"], consenting["no"]
    answer = client.get(f"/placards/building/{building.id}", params={"format": "pdf"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    (artifacts / "placard-building.pdf").write_bytes(answer.content)
    pdf = PdfReader(io.BytesIO(answer.content))
    assert len(pdf.pages) == 1
    box = pdf.pages[0].mediabox
    assert abs(float(box.width) - A4_PT[0]) < 2 and abs(float(box.height) - A4_PT[1]) < 2
    words = read_text(pdf)
    assert "三长信息公示牌" in words
    assert yes.name in words and yes.phone in words
    assert no.phone not in words and no.name not in words


def test_without_chromium_a_pdf_is_a_clear_503(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEO_API_CHROMIUM", "/nonexistent/chromium")
    answer = client.get("/placards/compound/1", params={"format": "pdf"})
    assert answer.status_code == 503 and "Chromium" in answer.json()["detail"]
    assert client.get("/placards/compound/1").status_code == 200  # the page still prints
    monkeypatch.delenv("GEO_API_CHROMIUM")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RendererMissingError, match="apt-get install chromium"):
        chromium()


def many_heads(count: int) -> Placard:
    """A placard of a big compound, to see that a long list still fits one page."""
    heads = [
        PlacardHead(i, "楼长", f"{i}号楼", "欧阳明月" if i % 2 else mask_name("张三明"),
                    "13912345678" if i % 2 else NO_PHONE, bool(i % 2))
        for i in range(1, count + 1)
    ]  # fmt: skip
    return Placard(
        "compound", "锦绣华城小区", "浍滨街道新田社区", 1, 1, heads, ["王网格"],
        Station("新田社区党群服务站", 420.0, walked=True), date(2026, 12, 7),
    )  # fmt: skip


@pytest.mark.browser
def test_the_page_fits_one_a4_sheet_in_chromium(
    live_server: str, engine: Engine, tmp_path: Path, artifacts: Path
) -> None:
    with engine.connect() as db:
        building = db.execute(
            text("""SELECT u.building_id FROM unit u GROUP BY u.building_id
                    ORDER BY count(*) DESC, u.building_id LIMIT 1""")
        ).scalar_one()
        compound = db.execute(
            text("""SELECT compound_id FROM building GROUP BY compound_id
                    ORDER BY count(*) DESC, compound_id LIMIT 1""")
        ).scalar_one()
    pages = {
        "placard-building": f"{live_server}/placards/building/{building}",
        "placard-compound": f"{live_server}/placards/compound/{compound}",
    }
    for count in (12, 40, 70):
        path = tmp_path / f"many-{count}.html"
        path.write_text(self_contained(placard_html(many_heads(count))), encoding="utf-8")
        pages[f"placard-{count}-heads"] = path.as_uri()
    for name, url in pages.items():
        with visit(url, viewport=A4_PX) as seen:
            page = seen.page
            page.emulate_media(media="print")
            page.evaluate("document.fonts.ready")
            fits = page.evaluate("""() => {
                const sheet = document.querySelector('.sheet').getBoundingClientRect();
                const inside = [...document.querySelectorAll('header, table, footer')]
                    .every(e => e.getBoundingClientRect().bottom <= sheet.bottom + 0.5);
                const cells = [...document.querySelectorAll('td')]
                    .every(td => td.scrollWidth <= td.clientWidth + 1);
                return {inside, cells, width: sheet.width, height: sheet.height,
                        font: document.fonts.check('16px "Noto Sans SC"', '公示牌')};
            }""")
            page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
            assert seen.errors == [] and seen.blocked == [], (name, seen.errors)
        assert fits["inside"] and fits["cells"], (name, fits)
        assert fits["height"] <= A4_PX[1] and fits["font"], (name, fits)
    # The longest list ends where the sheet does, and says how many more there are.
    longest = placard_html(many_heads(70))
    assert "另有" in longest and "70号楼" not in longest and f"{MOST_HEADS}号楼" in longest


def smallest_compound(engine: Engine) -> Any:
    with engine.connect() as db:
        return db.execute(
            text("""SELECT cp.id, cp.code, cp.name, count(b.id) AS buildings
                    FROM compound cp JOIN building b ON b.compound_id = cp.id
                    GROUP BY cp.id ORDER BY count(b.id), cp.id LIMIT 1""")
        ).first()


@pytest.mark.browser
def test_cli_writes_a_placard_per_building(run: Run, engine: Engine, tmp_path: Path) -> None:
    compound = smallest_compound(engine)
    code, out, err = run("placards", "--compound", compound.code, "--out", str(tmp_path / "p"))
    assert code == 0, err
    files = sorted((tmp_path / "p").glob("*.pdf"))
    assert len(files) == compound.buildings + 1, files
    with engine.connect() as db:
        phones = db.execute(
            text("""SELECT hd.phone FROM head hd LEFT JOIN unit u ON u.id = hd.unit_id
                    LEFT JOIN building b ON b.id = coalesce(u.building_id, hd.building_id)
                    WHERE coalesce(b.compound_id, hd.compound_id) = :c"""),
            {"c": compound.id},
        ).scalars().all()  # fmt: skip
    words = "".join(read_text(PdfReader(f)) for f in files)
    assert compound.name in words and "三长信息公示牌" in words
    assert phones and not any(p in words for p in phones)  # nobody in the city agreed
    assert "三长信息公示牌" in out and "号楼" in out


def test_cli_html_placards_and_mistakes(
    run: Run, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compound = smallest_compound(engine)
    code, _, err = run(
        "placards", "--compound", compound.name, "--out", str(tmp_path), "--format", "html"
    )
    assert code == 0, err
    pages = sorted(tmp_path.glob("*.html"))
    assert len(pages) == compound.buildings + 1
    assert all("/static/vendor" not in p.read_text(encoding="utf-8") for p in pages)
    code, _, err = run("placards", "--compound", "不存在小区", "--out", str(tmp_path))
    assert code == 1 and "错误: no compound (小区) is named '不存在小区'" in err
    monkeypatch.setenv("GEO_API_CHROMIUM", "/nonexistent/chromium")
    code, _, err = run("placards", "--compound", compound.code, "--out", str(tmp_path / "x"))
    assert code == 1 and "错误" in err and "Chromium" in err
    assert not (tmp_path / "x").exists()


def test_cli_me_heads_lists_a_community(run: Run, engine: Engine) -> None:
    with engine.connect() as db:
        community = db.execute(
            text("SELECT community_id FROM compound ORDER BY id LIMIT 1")
        ).scalar_one()
        code_, heads = db.execute(
            text("""SELECT c.code, count(hd.id) FROM community c JOIN compound cp
                    ON cp.community_id = c.id JOIN building b ON b.compound_id = cp.id
                    JOIN unit u ON u.building_id = b.id JOIN head hd ON hd.unit_id = u.id
                    WHERE c.id = :c GROUP BY c.code"""),
            {"c": community},
        ).one()  # fmt: skip
    code, out, err = run("me", "heads", "--community", code_)
    assert code == 0, err
    assert out.count("单元长") >= heads and "联系户数/目标/上限" in out
    code, out, err = run("me", "heads", "--community", code_, "--lang", "en")
    assert code == 0 and "load/target/max" in out
    code, _, err = run("me", "heads", "--community", "999999999999")
    assert code == 1 and "999999999999" in err


def test_help_of_the_new_commands(run: Run) -> None:
    for command in (["placards"], ["me"], ["me", "heads"]):
        code, out, _ = run(*command, "--help")
        assert code == 0 and "Usage" in out, command
    assert "--compound" in run("placards", "--help")[1]
