"""The personal-data variant of exports: in full for admins and officers (their own
area), masked for the command centre, refused to planners, and every full export in
the audit log with how many records it held."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import pyogrio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo_api.catalogue.scope import Area
from geo_api.export.layers import export_layers
from geo_api.export.people import written_privately
from geo_api.privacy import mask_address, mask_name, mask_phone, mask_room

OFFICERS_COMMUNITY = "SELECT community_id FROM compound ORDER BY id LIMIT 1"


def stored(conn: Connection, sql: str) -> dict[int, tuple[Any, ...]]:
    return {row[0]: tuple(row[1:]) for row in conn.execute(text(sql))}


def saved(content: bytes, folder: Path) -> Path:
    path = folder / "answer.gpkg"
    path.write_bytes(content)
    return path


def by_id(frame: gpd.GeoDataFrame, *columns: str) -> dict[int, tuple[Any, ...]]:
    return {int(r[0]): tuple(r[1:]) for r in frame[["id", *columns]].itertuples(index=False)}


def test_full_and_masked_variants(conn: Connection, tmp_path: Path) -> None:
    homes = stored(conn, "SELECT id, address, room FROM household")
    heads = stored(conn, "SELECT id, name, phone FROM head")
    full = tmp_path / "full.gpkg"
    export_layers(conn, "gpkg", full, people="full", chunk_rows=50)
    assert by_id(pyogrio.read_dataframe(full, layer="households"), "address", "room") == homes
    assert by_id(pyogrio.read_dataframe(full, layer="heads"), "name", "phone") == heads
    masked = tmp_path / "masked"
    export_layers(conn, "parquet", masked, people="masked")
    shown = by_id(gpd.read_parquet(masked / "heads.parquet"), "name", "phone")
    assert shown == {i: (mask_name(n), mask_phone(p)) for i, (n, p) in heads.items()}
    assert any("*" in name for name, _ in shown.values())
    # The test city's households carry no register names or phones (the next test gives
    # one them); their address shows as to the command centre's other answers.
    assert len(gpd.read_parquet(masked / "households.parquet")) == len(homes)
    plain = tmp_path / "plain.gpkg"
    export_layers(conn, "gpkg", plain)
    fields = set(pyogrio.read_info(plain, layer="heads")["fields"])
    fields |= set(pyogrio.read_info(plain, layer="households")["fields"])
    assert not {"name", "phone", "address", "room"} & fields


def test_an_officers_variant_holds_their_area(conn: Connection, tmp_path: Path) -> None:
    community, code = conn.execute(
        text(f"SELECT id, code FROM community WHERE id = ({OFFICERS_COMMUNITY})")
    ).one()
    out = tmp_path / "area.gpkg"
    written = export_layers(conn, "gpkg", out, area=Area(community, code), people="full")
    homes = stored(
        conn,
        """SELECT h.id, h.address, h.room FROM household h JOIN unit u ON u.id = h.unit_id
           JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
           WHERE cp.community_id = (SELECT community_id FROM compound ORDER BY id LIMIT 1)""",
    )
    found = by_id(pyogrio.read_dataframe(out, layer="households"), "address", "room")
    assert found == homes and written["households"] == len(homes)


def audited_ids(records: list[str], kind: str) -> set[int]:
    """The ids of ``kind`` an audit row's records name ("household:1-40" is 40)."""
    ids: set[int] = set()
    for entry in records:
        name, _, span = entry.partition(":")
        if name == kind:
            first, _, last = span.partition("-")
            ids |= set(range(int(first), int(last or first) + 1))
    return ids


def last_audit(engine: Engine, key_name: str, action: str) -> Any:
    with engine.connect() as db:
        return db.execute(
            text("""SELECT role, records, reason FROM audit_log
                    WHERE key_name = :k AND action = :a ORDER BY id DESC LIMIT 1"""),
            {"k": key_name, "a": action},
        ).first()


@pytest.mark.parametrize("role", ["admin", "officer"])
def test_full_exports_over_http_are_audited(
    client: TestClient,
    keys: dict[str, str],
    engine: Engine,
    conn: Connection,
    tmp_path: Path,
    role: str,
) -> None:
    headers = {"X-API-Key": keys[role], "X-Purpose": quote("走访")}
    response = client.get("/exports/gpkg", params={"people": "true"}, headers=headers)
    assert response.status_code == 200, response.text
    path = saved(response.content, tmp_path)
    heads = pyogrio.read_dataframe(path, layer="heads")
    households = pyogrio.read_dataframe(path, layer="households")
    names = stored(conn, "SELECT id, name, phone FROM head")
    assert all(names[i] == (n, p) for i, n, p in heads[["id", "name", "phone"]].itertuples(False))
    row = last_audit(engine, f"test {role}", "GET /exports/gpkg?people=true")
    assert row is not None and row.role == role and row.reason == "走访"
    # How many of each layer, and which: the ids exported, as ranges (issue 20).
    records = row.records.split(",")
    assert {f"heads:{len(heads)}", f"households:{len(households)}"} <= set(records)
    assert audited_ids(records, "household") == set(households["id"])
    assert audited_ids(records, "head") == set(heads["id"])
    if role == "officer":
        everyone = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
        assert 0 < len(households) < everyone


def test_the_command_centre_gets_masks_and_planners_nothing(
    client: TestClient, keys: dict[str, str], engine: Engine, conn: Connection, tmp_path: Path
) -> None:
    response = client.get("/exports/gpkg", params={"people": "true"})  # the command centre
    assert response.status_code == 200
    heads = pyogrio.read_dataframe(saved(response.content, tmp_path), layer="heads")
    names = stored(conn, "SELECT id, name, phone FROM head")
    masked = {i: (mask_name(n), mask_phone(p)) for i, (n, p) in names.items()}
    assert by_id(heads, "name", "phone") == masked
    # Households' addresses down to the unit, without the room (issue 20).
    homes = pyogrio.read_dataframe(saved(response.content, tmp_path), layer="households")
    full = stored(conn, "SELECT id, address, room FROM household")
    shown = by_id(homes, "address", "room")
    assert shown == {i: (mask_address(a), mask_room(r)) for i, (a, r) in full.items()}
    assert all(a.endswith("单元***") and r == "***" for a, r in shown.values())
    # Masks show no one: nothing to audit, as for the command centre's other answers.
    assert last_audit(engine, "test command", "GET /exports/gpkg?people=true") is None
    planner = {"X-API-Key": keys["planner"]}
    refused = client.get("/exports/gpkg", params={"people": "true"}, headers=planner)
    assert refused.status_code == 403
    assert "may not export personal data" in refused.json()["detail"]
    assert client.get("/exports/gpkg", headers=planner).status_code == 200


def test_a_people_export_from_the_cli_is_owner_only(tmp_path: Path, conn: Connection) -> None:
    folder = tmp_path / "people"
    with written_privately(folder):
        export_layers(conn, "csv", folder, people="full")
    files = list(folder.rglob("*"))
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    single = tmp_path / "people.gpkg"
    single.write_bytes(b"")
    single.chmod(0o644)  # written over: tightened too
    with written_privately(single):
        export_layers(conn, "gpkg", single, people="full")
    assert stat.S_IMODE(single.stat().st_mode) == 0o600


def test_the_registers_kept_fields_are_personal_too(conn: Connection, tmp_path: Path) -> None:
    """A register's head of household, phone, household number, registration date and
    remarks (kept by the household import) are in full only in the full variant,
    masked in the masked one, and absent from the plain export."""
    conn.execute(
        text("""UPDATE household SET head_name = '张建国', phone = '13912345678',
                       household_no = '2', registered_on = '2023-05-06', remarks = '独居老人'
                WHERE id = (SELECT min(id) FROM household)""")
    )
    first = conn.execute(text("SELECT min(id) FROM household")).scalar_one()
    kept = ("head_name", "phone", "household_no", "remarks")
    full = tmp_path / "full.gpkg"
    export_layers(conn, "gpkg", full, people="full", chunk_rows=50)
    homes = by_id(pyogrio.read_dataframe(full, layer="households"), *kept, "registered_on")
    assert homes[first][:4] == ("张建国", "13912345678", "2", "独居老人")
    assert str(homes[first][4]).startswith("2023-05-06")
    masked = tmp_path / "masked"
    export_layers(conn, "parquet", masked, people="masked")
    shown = by_id(gpd.read_parquet(masked / "households.parquet"), *kept)
    assert shown[first] == (mask_name("张建国"), mask_phone("13912345678"), mask_name("2"), "***")
    plain = tmp_path / "plain.gpkg"
    export_layers(conn, "gpkg", plain)
    fields = set(pyogrio.read_info(plain, layer="households")["fields"])
    assert not {*kept, "registered_on"} & fields
