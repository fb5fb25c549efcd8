"""The address lookup on the store: lettered buildings by their label, zones,
traditional characters, financial numerals and Latin compound names."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from geo_api.address import format_address
from geo_api.address.fold import TO_SIMPLIFIED
from tests.test_address import FINANCIAL_DIGITS as FINANCIAL
from tests.test_address import to_chinese

HOME = """
SELECT h.id, h.room, u.id AS unit_id, u.number AS unit, b.id AS building_id,
       b.number AS building, cp.id AS compound_id, cp.name AS compound, c.name AS community
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id JOIN community c ON c.id = cp.community_id
WHERE cp.id IN (SELECT compound_id FROM building GROUP BY compound_id HAVING count(*) > 1)
ORDER BY h.id
"""
TO_TRADITIONAL = {chr(s) if isinstance(s, int) else s: chr(t) for t, s in TO_SIMPLIFIED.items()}


@pytest.fixture
def home(conn: Connection) -> Any:
    # A household some way into the city (not the first compound's first), whatever
    # the city's size.
    homes = conn.execute(text(HOME)).all()
    return homes[min(40, len(homes) - 1)]


def _ask(client: TestClient, query: str) -> dict[str, Any]:
    response = client.get("/lookup/address", params={"q": query})
    assert response.status_code == 200, (query, response.text)
    body: dict[str, Any] = response.json()
    return body


def _household(client: TestClient, query: str) -> int:
    body = _ask(client, query)
    assert body["found"] == "household", (query, body)
    return int(body["household"]["id"])


def test_a_lettered_building_is_found_by_its_label_in_every_form(
    client: TestClient, conn: Connection, home: Any
) -> None:
    conn.execute(text("UPDATE building SET label = '12A' WHERE id = :id"), {"id": home.building_id})
    for tail in (f"12A号楼{home.unit}单元{home.room}室", f"12号楼A座{home.unit}单元{home.room}",
                 f"12A-{home.unit}-{home.room}", f"12-A-{home.unit}单元{home.room}"):  # fmt: skip
        assert _household(client, home.compound + tail) == home.id
    body = _ask(client, f"{home.compound}12A号楼")
    assert body["found"] == "building" and body["parsed"]["building_label"] == "12A"
    # Its number is now only its place in the sequence: a plain number does not name it.
    plain = _ask(client, f"{home.compound}{home.building}号楼{home.unit}单元{home.room}室")
    assert plain["found"] == "compound" and plain["household"] is None
    # Another letter of the same number is another building, absent here.
    assert _ask(client, f"{home.compound}12B号楼")["found"] == "compound"


def test_a_letter_only_building(client: TestClient, conn: Connection, home: Any) -> None:
    conn.execute(text("UPDATE building SET label = 'A' WHERE id = :id"), {"id": home.building_id})
    for tail in (f"A座{home.unit}单元{home.room}室", f"A栋{home.unit}-{home.room}"):
        assert _household(client, home.compound + tail) == home.id


def test_labels_are_unique_in_a_compound_and_canonical(conn: Connection, home: Any) -> None:
    other = conn.execute(
        text("SELECT id FROM building WHERE compound_id = :c AND id <> :b LIMIT 1"),
        {"c": home.compound_id, "b": home.building_id},
    ).scalar_one()
    conn.execute(text("UPDATE building SET label = '3A' WHERE id = :id"), {"id": home.building_id})
    with pytest.raises(IntegrityError, match="uq_building_compound_label"), conn.begin_nested():
        conn.execute(text("UPDATE building SET label = '3A' WHERE id = :id"), {"id": other})
    with pytest.raises(IntegrityError, match="ck_building_label_form"), conn.begin_nested():
        conn.execute(text("UPDATE building SET label = '3a' WHERE id = :id"), {"id": other})
    # Other compounds may use the same label; buildings without one are many.
    conn.execute(
        text("UPDATE building SET label = '3A' WHERE compound_id <> :c AND number = 1"),
        {"c": home.compound_id},
    )


def test_a_zone_finds_the_compound_with_it_or_without_it(
    client: TestClient, conn: Connection, home: Any
) -> None:
    query = f"{home.compound}B区{home.building}号楼{home.unit}单元{home.room}室"
    body = _ask(client, query)
    assert body["found"] == "household" and body["household"]["id"] == home.id
    assert body["parsed"]["zone"] == "B区" and body["candidates"][0]["score"] == 0.95
    # A store that keeps the zone as a compound of its own finds that one.
    conn.execute(
        text("UPDATE compound SET name = :n WHERE id = :id"),
        {"n": f"{home.compound}B区", "id": home.compound_id},
    )
    body = _ask(client, query)
    assert body["candidates"][0] == {
        "compound_id": home.compound_id,
        "compound": f"{home.compound}B区",
        "community": home.community,
        "score": 1.0,
    }
    assert body["household"]["id"] == home.id
    assert _household(client, f"{home.compound}b区{home.building}-{home.unit}-{home.room}") == (
        home.id
    )


def test_traditional_characters_and_financial_numerals(
    client: TestClient, conn: Connection, home: Any
) -> None:
    # A compound name with characters that have traditional forms.
    conn.execute(
        text("UPDATE compound SET name = '阳光华庭' WHERE id = :id"), {"id": home.compound_id}
    )
    simplified = f"{home.community}阳光华庭{home.building}号楼{home.unit}单元{home.room}室"
    traditional = "".join(TO_TRADITIONAL.get(ch, ch) for ch in simplified)
    assert "陽光華庭" in traditional and "號樓" in traditional and "單元" in traditional
    assert _household(client, traditional) == home.id
    # 大写: the building and unit as numbers (拾贰), the room digit by digit (伍零壹).
    building, unit = (
        "".join(FINANCIAL.get(ch, ch) for ch in to_chinese(n)) for n in (home.building, home.unit)
    )
    room = "".join("零壹贰叁肆伍陆柒捌玖"[int(d)] for d in home.room)
    assert _household(client, f"阳光华庭{building}号楼{unit}单元{room}室") == home.id


def test_a_latin_compound_name_round_trips_through_the_lookup(
    client: TestClient, conn: Connection, home: Any
) -> None:
    conn.execute(
        text("UPDATE compound SET name = 'Kortteli 111' WHERE id = :id"), {"id": home.compound_id}
    )
    written = format_address(home.community, "Kortteli 111", home.building, home.unit, home.room)
    assert "11141" not in written
    for query in (
        written,
        f"Kortteli 111, {home.building}-{home.unit}-{home.room}",
        f"Kortteli 111 building {home.building} unit {home.unit} room {home.room}",
        f"kortteli 111, {home.building}-{home.unit}-{home.room}",
    ):
        assert _household(client, query) == home.id
    no_name = client.get(
        "/lookup/address", params={"q": f"{home.building}-{home.unit}-{home.room}"}
    )
    assert no_name.status_code == 422 and "names no compound" in no_name.text
