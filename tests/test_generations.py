"""Boundaries through time on the test city: a second generation splits a community;
it is imported (the current boundaries untouched), compared, looked up on dates
before and after, made current (only the two communities assigned again), and the
history stays consistent. Each test runs in the rolled-back transaction."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from geo_api.api.routes import maps as maps_routes
from geo_api.auth.keys import create_key
from geo_api.clock import today
from geo_api.errors import ConflictError, InvalidInputError, NotFoundError
from geo_api.export.layers import export_layers
from geo_api.generations.activate import activate
from geo_api.generations.apply import DEPENDENTS_SQL, _remove
from geo_api.generations.areas import BY_TABLE
from geo_api.generations.diff import diff_generations
from geo_api.generations.history import inconsistencies
from geo_api.generations.stage import import_generation
from geo_api.generations.store import at, current, named, parse_date, set_start
from geo_api.lookup.at import lookup_point_at
from geo_api.lookup.point import lookup_point
from maps.layers import area_layer
from maps.options import page_options
from tests.generations_city import Split, merge_files, split_files

NAME = "2026 redistricting"
PAST = date(2025, 6, 1)


def staged(conn: Connection, folder: Path) -> Split:
    """The split imported as a new generation (communities, then grids)."""
    split = split_files(conn, folder)
    set_start(conn, current(conn).id, date(2025, 1, 1))
    import_generation(conn, "communities", split.communities, NAME)
    import_generation(conn, "grids", split.grids, NAME)
    return split


def home_point(conn: Connection, household: int) -> tuple[float, float]:
    """A household's lon, lat."""
    row = conn.execute(
        text("SELECT ST_X(geom), ST_Y(geom) FROM household WHERE id = :h"), {"h": household}
    ).one()
    return float(row[0]), float(row[1])


def community_of(conn: Connection, household: int) -> str:
    """The code of a household's community, as the tables say now."""
    return str(
        conn.execute(
            text("""
                SELECT c.code FROM household h JOIN unit u ON u.id = h.unit_id
                JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
                JOIN community c ON c.id = cp.community_id WHERE h.id = :h
            """),
            {"h": household},
        ).scalar_one()
    )


def test_an_import_into_a_new_generation_leaves_the_current_boundaries(
    conn: Connection, tmp_path: Path
) -> None:
    before = conn.execute(
        text("SELECT count(*), sum(ST_Area(geom::geography)) FROM community")
    ).one()
    split = staged(conn, tmp_path)
    after = conn.execute(
        text("SELECT count(*), sum(ST_Area(geom::geography)) FROM community")
    ).one()
    assert tuple(after) == tuple(before)
    new = text("SELECT count(*) FROM community WHERE code = :c")
    assert conn.execute(new, {"c": split.new}).scalar_one() == 0
    gen = named(conn, NAME)
    assert gen.pending and set(gen.layers) == {"communities", "grids"}
    kept = conn.execute(
        text("SELECT layer, count(*) FROM area_version WHERE generation_low = :g GROUP BY layer"),
        {"g": gen.id},
    ).all()
    assert dict(kept) == {
        "community": before[0] + 1,
        "grid": conn.execute(text("SELECT count(*) FROM grid")).scalar_one(),
    }
    # The household is still in the old community, now and on any date.
    household = min(split.moved_households)
    assert community_of(conn, household) == split.old
    assert lookup_point(conn, *home_point(conn, household))["community"]["code"] == split.old


def test_the_diff_names_the_split_and_who_moves(conn: Connection, tmp_path: Path) -> None:
    split = staged(conn, tmp_path)
    found = diff_generations(conn, current(conn), named(conn, NAME))
    changes = {(c.layer, c.code): c.what for c in found.areas}
    assert changes[("communities", split.new)] == ("added",)
    assert changes[("communities", split.old)] == ("outline",)
    for grid in split.moved:
        assert changes[("grids", grid)] == ("community",)
    assert len(changes) == 2 + len(split.moved)  # nothing else differs
    households = found.moved("household")
    assert {m.id for m in households} == split.moved_households
    assert {(m.community_from, m.community_to) for m in households} == {(split.old, split.new)}
    heads = conn.execute(
        text("""
            SELECT count(*) FROM head hd
            LEFT JOIN unit u ON u.id = hd.unit_id
            LEFT JOIN building b ON b.id = coalesce(hd.building_id, u.building_id)
            JOIN compound cp ON cp.id = coalesce(hd.compound_id, b.compound_id)
            JOIN grid g ON g.id = cp.grid_id
            WHERE hd.left_on IS NULL AND g.code = ANY(:moved)
        """),
        {"moved": split.moved},
    ).scalar_one()
    assert len(found.moved("head")) == heads > 0
    assert found.communities() == {split.old, split.new}
    # The other way round, the same areas and people, reversed.
    back = diff_generations(conn, named(conn, NAME), current(conn))
    assert {m.id for m in back.moved("household")} == split.moved_households
    assert {(c.layer, c.code): c.what for c in back.areas}[("communities", split.new)] == (
        "removed",
    )


def test_activation_moves_the_split_and_assigns_only_its_two_communities(
    conn: Connection, tmp_path: Path
) -> None:
    split = staged(conn, tmp_path)
    household = min(split.moved_households)
    lon, lat = home_point(conn, household)
    # A locked assignment to a head of another community (made by hand, as a test
    # can): open when the generation is made current, it is closed then.
    stayer = conn.execute(
        text("""
            SELECT hd.id FROM head hd JOIN unit u ON u.id = hd.unit_id
            JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
            JOIN community c ON c.id = cp.community_id
            WHERE hd.role = 'unit' AND hd.left_on IS NULL AND c.code <> :old
            ORDER BY hd.id LIMIT 1
        """),
        {"old": split.old},
    ).scalar_one()
    conn.execute(
        text("UPDATE assignment SET valid_to = now() WHERE household_id = :h AND valid_to IS NULL"),
        {"h": household},
    )
    conn.execute(
        text(
            "INSERT INTO assignment (household_id, head_id, reason, distance_m, locked, "
            "changed_by) VALUES (:h, :hd, 'manual', 0, true, 'test')"
        ),
        {"h": household, "hd": stayer},
    )
    before_runs = conn.execute(text("SELECT max(id) FROM assignment_run")).scalar_one()
    parted = conn.execute(text("SELECT max(id) FROM assignment")).scalar_one()
    known = {f.assignment_id for f in inconsistencies(conn)} - {parted}
    done = activate(conn, NAME, by="test")

    assert done.generation.valid_from == today() and not done.generation.pending
    assert current(conn).name == NAME
    assert named(conn, done.previous.id).valid_to == today()
    ids = dict(
        conn.execute(
            text("SELECT code, id FROM community WHERE code = ANY(:c)"),
            {"c": [split.old, split.new]},
        ).all()
    )
    assert done.run is not None and done.run.communities == sorted(ids.values())
    assert community_of(conn, household) == split.new
    assert done.closed >= 1
    closed = conn.execute(
        text("SELECT valid_to IS NOT NULL, locked FROM assignment WHERE id = :a"), {"a": parted}
    ).one()
    assert tuple(closed) == (True, False)
    opened = conn.execute(
        text("""
            SELECT DISTINCT cp.community_id FROM assignment a
            JOIN household h ON h.id = a.household_id JOIN unit u ON u.id = h.unit_id
            JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
            WHERE a.run_id > :r
        """),
        {"r": before_runs},
    ).scalars()
    assert set(opened) <= set(ids.values())  # the rest of the city untouched
    # The parted household has a head of its new community; history is consistent.
    head_community = conn.execute(
        text("""
            SELECT cp.community_id FROM assignment a JOIN head hd ON hd.id = a.head_id
            JOIN unit u ON u.id = hd.unit_id JOIN building b ON b.id = u.building_id
            JOIN compound cp ON cp.id = b.compound_id
            WHERE a.household_id = :h AND a.valid_to IS NULL
        """),
        {"h": household},
    ).scalar()
    assert head_community in (None, ids[split.new])
    assert [f.message() for f in inconsistencies(conn) if f.assignment_id not in known] == []

    # Lookups: today the new community, on a past date the old boundaries.
    now = lookup_point(conn, lon, lat)
    assert now["community"]["code"] == split.new
    then = lookup_point_at(conn, lon, lat, PAST)
    assert then["community"]["code"] == split.old
    assert then["generation"]["name"] == "initial"
    assert then["unit"]["id"] == now["unit"]["id"]  # cells are today's
    assert lookup_point_at(conn, lon, lat, today())["community"]["code"] == split.new
    with pytest.raises(NotFoundError, match="no boundaries known before 2025-01-01"):
        lookup_point_at(conn, lon, lat, date(2024, 12, 31))
    # Made current once only; the old generation is history, not importable.
    with pytest.raises(ConflictError, match="already made current"):
        activate(conn, NAME)
    with pytest.raises(ConflictError, match="history"):
        import_generation(conn, "grids", split.grids, "initial")


def test_a_lookup_on_a_date_before_activation_is_the_current_one(
    conn: Connection, tmp_path: Path
) -> None:
    split = staged(conn, tmp_path)
    lon, lat = home_point(conn, min(split.moved_households))
    assert at(conn, None) is None and at(conn, today()) is None  # the tables themselves
    found = lookup_point_at(conn, lon, lat, PAST)
    assert found == {**lookup_point(conn, lon, lat), "generation": found["generation"]}


def test_history_check_finds_an_assignment_outside_a_term(conn: Connection) -> None:
    known = {f.assignment_id for f in inconsistencies(conn)}  # other tests' committed edits
    row = conn.execute(
        text(
            "SELECT a.id, hd.appointed_on FROM assignment a JOIN head hd ON hd.id = a.head_id "
            "WHERE a.valid_to IS NULL AND hd.appointed_on IS NOT NULL "
            "AND NOT a.id = ANY(:known) ORDER BY a.id LIMIT 1"
        ),
        {"known": list(known)},
    ).one()
    conn.execute(
        text("UPDATE assignment SET valid_from = :d WHERE id = :id"),
        {"d": row.appointed_on - timedelta(days=3), "id": row.id},
    )
    found = [f for f in inconsistencies(conn) if f.assignment_id not in known]
    assert [f.assignment_id for f in found] == [row.id]
    assert "before the head was appointed" in found[0].message()


def test_bad_dates_and_generations_are_named(conn: Connection, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="at '2025-13-01' is not an ISO 8601 date"):
        parse_date("2025-13-01", "at")
    with pytest.raises(NotFoundError, match="generation 'nope' does not exist"):
        named(conn, "nope")
    split = split_files(conn, tmp_path)
    with pytest.raises(InvalidInputError, match="layer 'buildings' has no generations"):
        import_generation(conn, "buildings", split.grids, NAME)
    with pytest.raises(InvalidInputError, match="not after the current generation"):
        import_generation(conn, "communities", split.communities, NAME, valid_from=date(2000, 1, 1))


def test_lookup_api_takes_a_date(client: TestClient, conn: Connection, tmp_path: Path) -> None:
    split = staged(conn, tmp_path)
    activate(conn, NAME)
    lon, lat = home_point(conn, min(split.moved_households))
    now = client.get("/lookup", params={"lon": lon, "lat": lat})
    assert now.status_code == 200 and now.json()["community"]["code"] == split.new
    assert now.json()["generation"] is None
    then = client.get("/lookup", params={"lon": lon, "lat": lat, "at": PAST.isoformat()})
    assert then.status_code == 200, then.text
    assert then.json()["community"]["code"] == split.old
    assert then.json()["generation"]["valid_to"] == today().isoformat()
    bad = client.get("/lookup", params={"lon": lon, "lat": lat, "at": "2025-06-31"})
    assert bad.status_code == 422 and "at '2025-06-31'" in bad.text
    early = client.get("/lookup", params={"lon": lon, "lat": lat, "at": "1999-01-01"})
    assert early.status_code == 404 and "no boundaries known before 2025-01-01" in early.text
    outside = client.get("/lookup", params={"lon": 0.5, "lat": 0.5, "at": PAST.isoformat()})
    assert outside.status_code == 404 and "outside every street" in outside.text


def test_a_date_does_not_open_todays_heads_of_another_community(
    client: TestClient, conn: Connection, engine: Engine, tmp_path: Path
) -> None:
    """An officer of the old community asks for a home on a date it was theirs: the
    answer's heads are today's, of the new community, so the lookup is refused."""
    split = staged(conn, tmp_path)
    activate(conn, NAME)
    lon, lat = home_point(conn, min(split.moved_households))
    name = f"old community officer {time.monotonic_ns()}"
    with engine.begin() as keys:
        key = create_key(keys, name, "officer", community=split.old, per_minute=10**6)
    try:
        asked = client.get(
            "/lookup", params={"lon": lon, "lat": lat, "at": PAST.isoformat()},
            headers={"X-API-Key": key},
        )  # fmt: skip
        assert asked.status_code == 403, asked.text
        assert "outside your area" in asked.json()["detail"]
    finally:
        with engine.begin() as keys:
            keys.execute(text("DELETE FROM api_key WHERE name = :n"), {"n": name})


def test_ogc_items_and_exports_on_a_date(
    client: TestClient, conn: Connection, tmp_path: Path
) -> None:
    split = staged(conn, tmp_path)
    activate(conn, NAME)
    url = "/ogc/collections/communities/items"

    def codes(**params: str) -> set[str]:
        answer = client.get(url, params={"limit": "1000", **params})
        assert answer.status_code == 200, answer.text
        return {f["properties"]["code"] for f in answer.json()["features"]}

    assert split.new in codes()
    assert split.new not in codes(datetime=PAST.isoformat())
    assert split.old in codes(datetime="2025-06-01T08:00:00Z")
    # 17:00 UTC yesterday is 01:00 today in China: today's boundaries, the new ones.
    late = f"{today() - timedelta(days=1)}T17:00:00Z"
    assert split.new in codes(datetime=late)
    assert split.new not in codes(datetime=f"{today() - timedelta(days=1)}T15:59:59Z")
    moved = client.get(
        "/ogc/collections/grids/items",
        params={"datetime": PAST.isoformat(), "code": split.moved[0]},
    ).json()["features"]
    old_id = conn.execute(
        text("SELECT id FROM community WHERE code = :c"), {"c": split.old}
    ).scalar_one()
    assert [f["properties"]["community_id"] for f in moved] == [old_id]
    interval = client.get(url, params={"datetime": "2025-01-01/2025-02-01"})
    assert interval.status_code == 422 and "intervals are not supported" in interval.text
    other = client.get("/ogc/collections/buildings/items", params={"datetime": "2025-06-01"})
    assert other.status_code == 422 and "buildings has no boundaries through time" in other.text

    out = tmp_path / "then.gpkg"
    written = export_layers(conn, "gpkg", out, at=PAST)
    then = pyogrio.read_dataframe(out, layer="communities")
    assert written["communities"] == len(then)
    assert split.new not in set(then["code"]) and split.old in set(then["code"])
    now = tmp_path / "now.gpkg"
    export_layers(conn, "gpkg", now)
    assert split.new in set(pyogrio.read_dataframe(now, layer="communities")["code"])
    with pytest.raises(NotFoundError, match="no boundaries known before"):
        export_layers(conn, "gpkg", tmp_path / "early.gpkg", at=date(2020, 1, 1))


def test_maps_draw_the_outlines_of_a_date(
    client: TestClient, conn: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    split = staged(conn, tmp_path)
    activate(conn, NAME)
    then = set(area_layer(conn, "community", at=PAST)["code"])
    assert split.old in then and split.new not in then
    assert split.new in set(area_layer(conn, "community")["code"])
    grids = area_layer(conn, "grid", community=split.old, at=PAST)
    assert set(split.moved) <= set(grids["code"])  # in the old community then
    assert page_options(at=PAST.isoformat()).at == PAST
    bad = client.get("/maps/command-centre", params={"at": "06/01/2025"})
    assert bad.status_code == 422 and "at '06/01/2025'" in bad.text
    # Any number of dates in one generation are one stored page, not one each.
    keys: list[str] = []
    real = maps_routes.stored

    def spy(conn: Connection, kind: str, key: str, *rest: Any) -> Any:
        keys.append(key)
        return real(conn, kind, key, *rest)

    monkeypatch.setattr(maps_routes, "stored", spy)
    for day in (PAST, PAST + timedelta(days=30), PAST + timedelta(days=31)):
        page = client.get("/maps/command-centre", params={"at": day.isoformat()})
        assert page.status_code == 200, page.text
    today_page = client.get("/maps/command-centre", params={"at": today().isoformat()})
    assert today_page.status_code == 200
    assert len(keys) == 4 and len(set(keys[:3])) == 1 and keys[3] != keys[0], keys
    assert keys[3].endswith("generation=current")


def test_the_import_route_takes_a_generation(
    client: TestClient, conn: Connection, tmp_path: Path
) -> None:
    split = split_files(conn, tmp_path)
    body = split.communities.read_bytes()
    answer = client.post(
        "/imports/communities",
        params={"generation": NAME, "valid_from": "2030-01-01"},
        files={"file": ("communities.geojson", body)},
    )
    assert answer.status_code == 200, answer.text
    assert any(NAME in n for n in answer.json()["notes"])
    gen = named(conn, NAME)
    assert gen.pending and gen.layers == ("communities",)
    assert gen.valid_from == date(2030, 1, 1)
    with pytest.raises(ConflictError, match="make it current on that day"):
        activate(conn, NAME)
    bad = client.post(
        "/imports/communities",
        params={"generation": NAME, "valid_from": "2030-1-1x"},
        files={"file": ("communities.geojson", body)},
    )
    assert bad.status_code == 422 and "valid_from '2030-1-1x'" in bad.text


def test_an_area_left_out_is_refused_while_anything_refers_to_it(conn: Connection) -> None:
    """What refers to an area is read from the catalogue: a community a new generation
    leaves out is refused while its party work (activities, demands...), not only its
    grids and compounds, still hangs on it; nothing is deleted."""
    code = conn.execute(
        text("""SELECT c.code FROM community c WHERE EXISTS
                (SELECT 1 FROM activity a WHERE a.community_id = c.id) ORDER BY c.id LIMIT 1""")
    ).scalar_one()
    with pytest.raises(ConflictError, match=rf"leaves out community {code} \(") as refused:
        _remove(conn, BY_TABLE["community"], current(conn), [code], current(conn).id)
    # Every table that holds it, with its count, in one message.
    for held in ("activity", "compound", "grid", "party demand"):
        assert re.search(rf"\b\d+ {held}\b", str(refused.value)), (held, refused.value)
    kept = conn.execute(text("SELECT count(*) FROM community WHERE code = :c"), {"c": code})
    assert kept.scalar_one() == 1


def test_a_waiting_generation_keeps_to_the_rules_of_a_new_one(
    conn: Connection, tmp_path: Path
) -> None:
    """A second import into the waiting generation may move its start, but not to before
    the current one's; and the store itself holds one waiting generation at most, so two
    imports starting two at once cannot both succeed."""
    split = staged(conn, tmp_path)
    with pytest.raises(InvalidInputError, match="not after the current generation"):
        import_generation(conn, "grids", split.grids, NAME, valid_from=date(2000, 1, 1))
    with pytest.raises(IntegrityError, match="uq_generation_one_pending"), conn.begin_nested():
        conn.execute(text("INSERT INTO generation (name) VALUES ('a second one, raced')"))


def test_compounds_in_a_generation_rebuild_the_network_when_made_current(
    conn: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staging a compounds file leaves the walking network alone (its rows are rolled
    back: a rebuild there is work thrown away); making it current rebuilds it, so
    homes reach the streets through the new outlines and gates."""
    from geo_api.generations import activate as activate_module
    from geo_api.importer import run as run_module

    builds: list[str] = []
    for module, where in ((run_module, "import"), (activate_module, "activation")):
        real = module.rebuild

        def counted(*args: Any, _real: Any = real, _where: str = where, **kw: Any) -> Any:
            builds.append(_where)
            return _real(*args, **kw)

        monkeypatch.setattr(module, "rebuild", counted)
    set_start(conn, current(conn).id, date(2025, 1, 1))
    frame = gpd.read_postgis(
        text("""
            SELECT cp.code, cp.name, g.code AS grid_code,
                   CASE WHEN cp.id = (SELECT min(id) FROM compound)
                        THEN ST_Multi(ST_Buffer(cp.geom::geography, -5)::geometry)
                        ELSE cp.geom END AS geom
            FROM compound cp JOIN grid g ON g.id = cp.grid_id ORDER BY cp.code
        """),
        conn,
        geom_col="geom",
    )
    path = tmp_path / "compounds.geojson"
    frame.to_file(path)
    _, report = import_generation(conn, "compounds", path, NAME)
    assert builds == [] and not any("walking network rebuilt" in n for n in report.notes)
    done = activate(conn, NAME, by="test")
    assert builds == ["activation"]
    assert done.network is not None and done.network.edges > 0 and done.network.gates > 0


def test_a_merge_is_refused_while_the_gone_community_holds_anything_then_made(
    conn: Connection, tmp_path: Path
) -> None:
    """Two neighbouring communities merged: the diff names every household of the one
    that goes; activation refuses, naming what still belongs to it (its station, its
    members...), until those are moved; then it goes into history and its homes
    belong to the merged community, today, while a past date still finds it."""
    merge = merge_files(conn, tmp_path)
    set_start(conn, current(conn).id, date(2025, 1, 1))
    import_generation(conn, "communities", merge.communities, NAME)
    import_generation(conn, "grids", merge.grids, NAME)
    found = diff_generations(conn, current(conn), named(conn, NAME))
    changes = {(c.layer, c.code): c.what for c in found.areas}
    assert changes[("communities", merge.gone)] == ("removed",)
    households = found.moved("household")
    assert {m.id for m in households} == merge.moved_households
    assert {(m.community_from, m.community_to) for m in households} == {(merge.gone, merge.kept)}
    assert merge.moved and all(changes[("grids", g)] == ("community",) for g in merge.moved)

    with (
        pytest.raises(ConflictError, match=f"leaves out community {merge.gone}") as refused,
        conn.begin_nested(),
    ):
        activate(conn, NAME, by="test")
    # Everything at once, each with its count: not only the first table found.
    assert re.search(r"\d+ station", str(refused.value)), refused.value
    assert re.search(r"\d+ member", str(refused.value)), refused.value
    # An operator moves what the gone community still holds (stations, members, keys...)
    # to the merged one; grids, compounds and officers follow their grids by themselves.
    ids = dict(conn.execute(text("SELECT code, id FROM community")).all())
    for table, column in conn.execute(text(DEPENDENTS_SQL), {"t": "community"}).all():
        if table not in ("grid", "compound", "grid_officer"):
            conn.execute(
                text(f"UPDATE {table} SET {column} = :kept WHERE {column} = :gone"),
                {"kept": ids[merge.kept], "gone": ids[merge.gone]},
            )
    done = activate(conn, NAME, by="test")
    assert done.written["communities removed"] == 1
    assert (
        conn.execute(
            text("SELECT count(*) FROM community WHERE code = :c"), {"c": merge.gone}
        ).scalar_one()
        == 0
    )
    household = min(merge.moved_households)
    lon, lat = home_point(conn, household)
    assert community_of(conn, household) == merge.kept
    assert lookup_point(conn, lon, lat)["community"]["code"] == merge.kept
    assert lookup_point_at(conn, lon, lat, PAST)["community"]["code"] == merge.gone
    assert done.run is not None and ids[merge.kept] in (done.run.communities or [])
