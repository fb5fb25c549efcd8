"""Grid officers through the API and the CLI: appointed, changed, given grids within
their limit, retired; each change recorded (who, when) and followed by covering the
community's grids again; names and phones only to the roles that may see them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo_api.clock import today
from tests.cli_run import Run

ADMIN_FOR = "X-API-Key"


@pytest.fixture
def columns() -> int:
    """The CLI's tables here must fit a plain 80-column terminal."""
    return 80


def _community(conn: Connection, most_grids: bool = False) -> Any:
    """The officer key's community (the first compound's), or the one with the most
    grids that have an officer of their own, with those grids."""
    where = (
        "TRUE" if most_grids else "c.id = (SELECT community_id FROM compound ORDER BY id LIMIT 1)"
    )
    return conn.execute(
        text(f"""SELECT c.id, c.code, array_agg(g.code ORDER BY g.code) AS grids
                FROM community c JOIN grid g ON g.community_id = c.id
                WHERE {where} AND EXISTS (SELECT 1 FROM grid_officer o WHERE o.grid_id = g.id)
                GROUP BY c.id, c.code ORDER BY count(*) DESC, c.id LIMIT 1""")
    ).one()


def _cover(conn: Connection, grid: str) -> Any:
    return conn.execute(
        text("""SELECT pc.officer_id, pc.reason FROM place_cover pc JOIN grid g ON g.id = pc.grid_id
                WHERE pc.level = 'grid' AND pc.valid_to IS NULL AND g.code = :g"""),
        {"g": grid},
    ).first()


def _own_officer(conn: Connection, grid: str) -> int:
    return int(
        conn.execute(
            text("""SELECT o.id FROM grid_officer o JOIN grid g ON g.id = o.grid_id
                    WHERE g.code = :g ORDER BY o.id LIMIT 1"""),
            {"g": grid},
        ).scalar_one()
    )


def test_appoint_change_and_retire_through_the_api(
    client: TestClient, conn: Connection, keys: dict[str, str]
) -> None:
    place = _community(conn)
    admin = {ADMIN_FOR: keys["admin"]}
    grid = place.grids[0]
    # The grid's officer retires: their grid goes to another officer of the community.
    before = _own_officer(conn, grid)
    gone = client.delete(f"/officers/{before}", params={"reason": "调岗"}, headers=admin)
    assert gone.status_code == 200, gone.text
    assert gone.json()["left_on"] == str(today()) and gone.json()["left_reason"] == "调岗"
    assert gone.json()["grids"] == []
    cover = _cover(conn, grid)
    assert cover is None or cover.officer_id != before
    # A new officer of that grid: covers it at once, as their own.
    body = {"name": "王小网", "phone": "13812345678", "community": place.code, "grid": grid,
            "part_time": True, "max_grids": 2}  # fmt: skip
    made = client.post("/officers", json=body, headers=admin)
    assert made.status_code == 201, made.text
    new = made.json()
    assert (
        new["name"] == "王小网" and new["part_time"] is True and new["changed_by"] == "test admin"
    )
    assert [g["grid_code"] for g in new["grids"]][:1] == [grid]
    assert _cover(conn, grid) == (new["id"], "own")
    # The same person twice is refused, naming them.
    again = client.post("/officers", json=body, headers=admin)
    assert again.status_code == 422 and "exists already" in again.json()["detail"]
    # The change and the reads are recorded: who, what.
    audit = conn.execute(
        text("SELECT key_name, action FROM audit_log WHERE records = :r ORDER BY id"),
        {"r": f"officer:{new['id']}"},
    ).all()
    assert ("test admin", "officer add") in [tuple(a) for a in audit]
    # The command centre changes the phone; it sees the officer masked.
    changed = client.put(f"/officers/{new['id']}", json={"phone": "139 0000 1111"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == "139****1111" and changed.json()["name"] == "王*网"
    stored = conn.execute(
        text("SELECT phone, changed_by FROM grid_officer WHERE id = :i"), {"i": new["id"]}
    ).one()
    assert tuple(stored) == ("13900001111", "test command")
    # Bad values name the field.
    bad = client.put(f"/officers/{new['id']}", json={"phone": "12345"})
    assert bad.status_code == 422 and "phone '12345'" in bad.json()["detail"]
    other = conn.execute(
        text("SELECT code FROM grid WHERE community_id <> :c ORDER BY id LIMIT 1"), {"c": place.id}
    ).scalar_one()
    away = client.put(f"/officers/{new['id']}", json={"grid": other})
    assert away.status_code == 422 and "not in the officer's community" in away.json()["detail"]
    # The history keeps the cover with its dates.
    detail = client.get(f"/officers/{new['id']}", headers=admin).json()
    assert detail["history"][0]["grid_code"] == grid and detail["history"][0]["valid_to"] is None


def test_grids_given_by_hand_within_the_limit(
    client: TestClient, conn: Connection, keys: dict[str, str]
) -> None:
    place = _community(conn)
    first, second = place.grids[0], place.code + "999"
    officer = _own_officer(conn, first)
    # A second grid of the community, without an officer of its own (a test's city has
    # one grid a community), given to the first grid's officer by hand.
    conn.execute(
        text("""INSERT INTO grid (code, name, community_id, geom)
                SELECT :code, '新网格', community_id, geom FROM grid WHERE code = :first"""),
        {"code": second, "first": first},
    )
    client.put(f"/officers/{officer}", json={"max_grids": 1})
    assert _cover(conn, second) is None  # nobody has room
    over = client.put(f"/officers/{officer}/grids", json={"grids": [second]})
    assert over.status_code == 422 and "may cover 1 grids" in over.json()["detail"]
    client.put(f"/officers/{officer}", json={"max_grids": 2})
    given = client.put(f"/officers/{officer}/grids", json={"grids": [second]})
    assert given.status_code == 200, given.text
    assert _cover(conn, second) == (officer, "assigned")
    # A limit below what was given by hand is refused; a full run keeps the grid.
    low = client.put(f"/officers/{officer}", json={"max_grids": 1})
    assert low.status_code == 422 and "below the 2 grids" in low.json()["detail"]
    from geo_api.assign.places import assign_places

    assign_places(conn, None, 4546)
    assert _cover(conn, second) == (officer, "assigned")
    # A grid with an officer of its own cannot be given; an officer who leaves gives back
    # the grids given by hand, to the nearest with room (nobody else here).
    client.post("/officers", json={"name": "赵六", "phone": "13600000002", "community": place.code,
                                   "grid": second})  # fmt: skip
    staffed = client.put(f"/officers/{officer}/grids", json={"grids": [second]})
    assert staffed.status_code == 422 and "has an officer of its own" in staffed.json()["detail"]
    assert _cover(conn, second)[1] == "own"


def test_roles_and_areas(client: TestClient, conn: Connection, keys: dict[str, str]) -> None:
    place = _community(conn)
    officer = {ADMIN_FOR: keys["officer"]}
    planner = {ADMIN_FOR: keys["planner"]}
    listed = client.get("/officers", headers=officer)
    assert listed.status_code == 200
    rows = listed.json()["officers"]
    assert rows and {r["community_code"] for r in rows} == {place.code}
    stored = conn.execute(
        text("SELECT name FROM grid_officer WHERE id = :i"), {"i": rows[0]["id"]}
    ).scalar_one()
    assert rows[0]["name"] == stored  # an officer sees names in full, audited
    assert conn.execute(
        text("SELECT count(*) FROM audit_log WHERE key_name = 'test officer' "
             "AND action = 'GET /officers' AND records LIKE :r"),
        {"r": f"%officer:{rows[0]['id']}%"},
    ).scalar_one() == 1  # fmt: skip
    masked = client.get("/officers", params={"community": place.code}).json()["officers"]
    assert masked[0]["name"] != stored and "*" in masked[0]["name"]
    assert client.get("/officers", headers=planner).status_code == 403
    assert client.post("/officers", json={}, headers=planner).status_code == 403
    # An officer changes their own area only.
    far = conn.execute(
        text("""SELECT o.id, c.code FROM grid_officer o JOIN community c ON c.id = o.community_id
                WHERE o.community_id <> :c ORDER BY o.id LIMIT 1"""),
        {"c": place.id},
    ).one()
    refused = client.put(f"/officers/{far.id}", json={"max_grids": 4}, headers=officer)
    assert refused.status_code == 403 and "outside your area" in refused.json()["detail"]
    body = {"name": "李四", "phone": "13700000001", "community": far.code}
    assert client.post("/officers", json=body, headers=officer).status_code == 403
    mine = client.post("/officers", json={**body, "community": place.code}, headers=officer)
    assert mine.status_code == 201, mine.text
    assert client.get(f"/officers/{far.id}", headers=officer).status_code == 403
    assert client.get("/officers/999999").status_code == 404


def test_officers_from_the_command_line(run: Run, engine: Engine) -> None:
    with engine.connect() as c:
        place = _community(c)
    try:
        code, out, err = run("officers", "add", "陈网格", "13512340000", "--community", place.code,
                             "--part-time", "--max-grids", "2")  # fmt: skip
        assert code == 0, err
        assert (
            "陈网格" in out and "兼职" in out and all(len(line) <= 80 for line in out.splitlines())
        )
        with engine.connect() as c:
            officer = c.execute(
                text(
                    "SELECT id, part_time, changed_by FROM grid_officer WHERE phone = '13512340000'"
                )
            ).one()
        assert officer.part_time and officer.changed_by.startswith("cli:")
        code, out, err = run("officers", "list", "--community", place.code, "--lang", "en")
        assert code == 0 and "陈网格" in out and "part-time" in out, err
        code, _, err = run("officers", "change", str(officer.id), "--max-grids", "0")
        assert code == 1 and err.startswith("错误") and "max_grids 0" in err
        code, _, err = run("officers", "change", str(officer.id))
        assert code == 1 and "say what changes" in err
        code, out, err = run("officers", "retire", str(officer.id), "--reason", "辞职", "--on", "x")
        assert code == 1 and "--on 'x'" in err
        code, out, err = run("officers", "retire", str(officer.id), "--reason", "辞职")
        assert code == 0 and "辞职" in out, err
        code, _, err = run("officers", "retire", str(officer.id))
        assert code == 1 and "left already" in err
        with engine.connect() as c:
            actions = c.execute(
                text("SELECT action FROM audit_log WHERE records = :r AND key_name LIKE 'cli:%' "
                     "ORDER BY id"), {"r": f"officer:{officer.id}"}
            ).scalars().all()  # fmt: skip
        assert actions[0] == "officer add" and actions[-1].startswith("officer retire")
    finally:
        with engine.begin() as c:
            c.execute(text("DELETE FROM grid_officer WHERE phone = '13512340000'"))


def test_officers_in_exports_the_ogc_api_and_lookups(
    client: TestClient, conn: Connection, keys: dict[str, str], tmp_path: Path
) -> None:
    import pyogrio

    from geo_api.export.layers import export_layers

    place = _community(conn)
    grid = place.grids[0]
    officer = _own_officer(conn, grid)
    stored = conn.execute(
        text("SELECT name, phone FROM grid_officer WHERE id = :i"), {"i": officer}
    ).one()
    # Exports: no names, unless with people (in full, or masked for the command centre).
    plain = tmp_path / "plain.gpkg"
    export_layers(conn, "gpkg", plain)
    frame = pyogrio.read_dataframe(plain, layer="officers")
    assert "name" not in frame.columns and officer in set(frame["id"])
    full = tmp_path / "full.gpkg"
    export_layers(conn, "gpkg", full, people="full")
    named = pyogrio.read_dataframe(full, layer="officers").set_index("id")
    assert (named.loc[officer, "name"], named.loc[officer, "phone"]) == tuple(stored)
    masked = tmp_path / "masked.gpkg"
    export_layers(conn, "gpkg", masked, people="masked")
    hidden = pyogrio.read_dataframe(masked, layer="officers").set_index("id")
    assert hidden.loc[officer, "name"] != stored.name and "*" in hidden.loc[officer, "phone"]
    # The OGC API: the layer, without names; an officer's key sees its own area only.
    items = client.get("/ogc/collections/officers/items", params={"limit": 1000})
    assert items.status_code == 200, items.text
    features = items.json()["features"]
    assert officer in {f["id"] for f in features}
    assert "name" not in features[0]["properties"] and "phone" not in features[0]["properties"]
    own = client.get(
        "/ogc/collections/officers/items",
        params={"limit": 1000},
        headers={ADMIN_FOR: keys["officer"]},
    ).json()["features"]
    assert own and {f["properties"]["community_id"] for f in own} == {place.id}
    # A retired officer leaves the layer; /lookup still names the grid's officers now.
    client.delete(f"/officers/{officer}")
    after = client.get("/ogc/collections/officers/items", params={"limit": 1000}).json()
    assert officer not in {f["id"] for f in after["features"]}
    home = conn.execute(
        text("""SELECT ST_X(h.geom), ST_Y(h.geom) FROM household h JOIN unit u ON u.id = h.unit_id
                JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
                JOIN grid g ON g.id = cp.grid_id WHERE g.code = :g ORDER BY h.id LIMIT 1"""),
        {"g": grid},
    ).one()
    found = client.get("/lookup", params={"lon": home[0], "lat": home[1]})
    assert found.status_code == 200, found.text
    assert officer not in [o["id"] for o in found.json()["grid_officers"]]
    made = client.post("/officers", json={"name": "新人", "phone": "13512398765",
                                          "community": place.code, "grid": grid},
                       headers={ADMIN_FOR: keys["admin"]}).json()  # fmt: skip
    found = client.get("/lookup", params={"lon": home[0], "lat": home[1]})
    assert made["id"] in [o["id"] for o in found.json()["grid_officers"]]


def test_the_maps_show_who_covers_each_grid_without_names(
    client: TestClient, conn: Connection
) -> None:
    place = _community(conn)
    grid = place.grids[0]
    officer = _own_officer(conn, grid)
    name = conn.execute(
        text("SELECT name FROM grid_officer WHERE id = :i"), {"i": officer}
    ).scalar_one()
    page = client.get(f"/maps/grids/{grid}")
    assert page.status_code == 200, page.text
    assert "本网格网格员负责" in page.text and "专职网格员，负责 1/3 个网格" in page.text
    assert name not in page.text
    client.delete(f"/officers/{officer}")
    page = client.get(f"/maps/grids/{grid}", params={"lang": "en"})
    assert "no grid officer" in page.text or "covered by another officer" in page.text
