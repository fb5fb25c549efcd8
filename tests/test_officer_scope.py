"""Officers see their own community (or grid) only, in exports, vector tiles and the
OGC API; nothing of another community, not even whether a feature exists."""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import pyogrio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo_api.auth.keys import create_key
from geo_api.catalogue.layers import LAYERS
from geo_api.catalogue.scope import Area
from geo_api.export.layers import FORMATS, export_layers
from geo_api.gaps.areas import area_gaps
from geo_api.gaps.finder import find_gaps
from geo_api.geo.china import wgs84_to_gcj02

# Each place with the community and grid it lies in (through its compound).
PLACES = {
    "households": """SELECT h.id, cp.community_id, cp.grid_id FROM household h
        JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
        JOIN compound cp ON cp.id = b.compound_id""",
    "units": """SELECT u.id, cp.community_id, cp.grid_id FROM unit u
        JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id""",
    "buildings": """SELECT b.id, cp.community_id, cp.grid_id FROM building b
        JOIN compound cp ON cp.id = b.compound_id""",
    "compounds": "SELECT cp.id, cp.community_id, cp.grid_id FROM compound cp",
    "gates": """SELECT gt.id, cp.community_id, cp.grid_id FROM compound_gate gt
        JOIN compound cp ON cp.id = gt.compound_id""",
    "heads": """SELECT hd.id, cp.community_id, cp.grid_id FROM head hd
        LEFT JOIN unit u ON u.id = hd.unit_id
        LEFT JOIN building b ON b.id = coalesce(hd.building_id, u.building_id)
        JOIN compound cp ON cp.id = coalesce(hd.compound_id, b.compound_id)""",
}
ZOOM = 16


def ids_in(conn: Connection, layer: str, community: int, grid: int | None = None) -> set[int]:
    """The ids of a layer's places in a community (or one grid of it), from the store."""
    rows = conn.execute(text(PLACES[layer])).all()
    return {r.id for r in rows if r.community_id == community and grid in (None, r.grid_id)}


@dataclass(frozen=True)
class Own:
    """The officer's community, its street, and another community."""

    id: int
    code: str
    street: int
    other: int


@pytest.fixture
def own(conn: Connection) -> Own:
    """The officer's community (the first compound's, as in conftest) and another one
    with households."""
    mine = conn.execute(
        text("SELECT c.id, c.code, c.street_id FROM community c "
             "WHERE c.id = (SELECT community_id FROM compound ORDER BY id LIMIT 1)")
    ).one()  # fmt: skip
    other = conn.execute(
        text(f"SELECT community_id FROM ({PLACES['households']}) p "
             "WHERE community_id <> :c ORDER BY id LIMIT 1"), {"c": mine.id}
    ).scalar_one()  # fmt: skip
    return Own(mine.id, mine.code, mine.street_id, other)


@pytest.fixture(scope="module")
def grid_key(engine: Engine, keys: dict[str, str]) -> tuple[str, int, int]:
    """A committed key of an officer of one grid (the one with most households), the
    grid's id and its community's."""
    with engine.begin() as conn:
        grid_id, community_id, code = conn.execute(
            text(f"""SELECT g.id, g.community_id, g.code FROM grid g
                     JOIN ({PLACES["households"]}) p ON p.grid_id = g.id
                     GROUP BY g.id ORDER BY count(*) DESC, g.id LIMIT 1""")
        ).one()
        key = create_key(conn, "test grid officer", "officer", grid=code, per_minute=10**6)
    return key, grid_id, community_id


def split_grid(conn: Connection, only: int | None = None) -> tuple[int, str, int, int]:
    """A new grid holding a new compound made of one building of the community whose
    households live in most buildings, or of community ``only`` (the test city has one
    grid and one compound a community): the community's id and code, the grid's id and
    the compound's."""
    community, code, building = conn.execute(
        text("""SELECT c.id, c.code, min(b.id) FROM community c
                JOIN compound cp ON cp.community_id = c.id
                JOIN building b ON b.compound_id = cp.id
                WHERE EXISTS (SELECT 1 FROM unit u JOIN household h ON h.unit_id = u.id
                              WHERE u.building_id = b.id)
                  AND c.id = coalesce(CAST(:only AS int), c.id)
                GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 1"""),
        {"only": only},
    ).one()
    grid = conn.execute(
        text("""INSERT INTO grid (code, name, community_id, geom)
                SELECT c.code || '999', '测试网格', c.id, ST_Multi(ST_Buffer(b.geom, 0.0001))
                FROM building b JOIN compound cp ON cp.id = b.compound_id
                JOIN community c ON c.id = cp.community_id WHERE b.id = :b
                RETURNING id"""),
        {"b": building},
    ).scalar_one()
    compound = conn.execute(
        text("""INSERT INTO compound (code, name, grid_id, community_id, geom)
                SELECT cp.code || '9', '测试小区', :g, cp.community_id, ST_Buffer(b.geom, 0.00005)
                FROM building b JOIN compound cp ON cp.id = b.compound_id WHERE b.id = :b
                RETURNING id"""),
        {"b": building, "g": grid},
    ).scalar_one()
    moved = {"cp": compound, "b": building}
    conn.execute(text("UPDATE building SET compound_id = :cp WHERE id = :b"), moved)
    return community, code, grid, compound


def test_every_layer_says_what_an_officer_sees() -> None:
    assert all(layer.scope for layer in LAYERS)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_an_export_holds_the_officers_community_only(
    conn: Connection, tmp_path: Path, own: Own, fmt: str
) -> None:
    out = tmp_path / ("area.gpkg" if fmt == "gpkg" else "area")
    area = Area(own.id, own.code)
    written = export_layers(conn, fmt, out, area=area, chunk_rows=5)
    for layer in PLACES:
        path = out if fmt == "gpkg" else out / f"{layer}{FORMATS[fmt][1]}"
        if fmt == "parquet":
            found = set(gpd.read_parquet(path)["id"])
        else:
            found = set(pyogrio.read_dataframe(path, layer=layer)["id"].astype(int))
        expected = ids_in(conn, layer, own.id)
        assert found == expected and written[layer] == len(expected) > 0, (fmt, layer)
    if fmt == "gpkg":
        communities = pyogrio.read_dataframe(out, layer="communities")
        assert list(communities["id"]) == [own.id]
        assert list(pyogrio.read_dataframe(out, layer="streets")["id"]) == [own.street]
        assert list(pyogrio.read_dataframe(out, layer="members")["community_id"]) == [own.id]
        grids = pyogrio.read_dataframe(out, layer="grids")
        assert set(grids["community_id"]) == {own.id}
        stations = pyogrio.read_dataframe(out, layer="stations")
        assert set(stations["community_id"].dropna()) <= {own.id}
        assert set(stations["street_id"].dropna()) <= {own.street}
        gaps = pyogrio.read_dataframe(out, layer="gap_points")
        assert set(gaps["community_code"].dropna()) <= {own.code}


def test_roads_are_those_crossing_the_community(conn: Connection, tmp_path: Path, own: Own) -> None:
    out = tmp_path / "area.gpkg"
    export_layers(conn, "gpkg", out, area=Area(own.id, own.code))
    roads = set(pyogrio.read_dataframe(out, layer="roads")["id"])
    crossing = conn.execute(
        text("SELECT r.id FROM road r JOIN community c ON ST_Intersects(r.geom, c.geom) "
             "WHERE c.id = :c"), {"c": own.id}
    ).scalars()  # fmt: skip
    assert roads == set(crossing)


def test_a_grid_officer_gets_their_grid(conn: Connection, tmp_path: Path) -> None:
    community, code, grid, compound = split_grid(conn)  # rolled back after the test
    out = tmp_path / "grid.gpkg"
    export_layers(conn, "gpkg", out, area=Area(community, code, grid))
    households = set(pyogrio.read_dataframe(out, layer="households")["id"])
    expected = ids_in(conn, "households", community, grid)
    whole = ids_in(conn, "households", community)
    assert households == expected and 0 < len(expected) < len(whole)
    assert list(pyogrio.read_dataframe(out, layer="compounds")["id"]) == [compound]
    assert list(pyogrio.read_dataframe(out, layer="grids")["id"]) == [grid]
    # Above the grid: their community, its street and its stations frame it.
    assert list(pyogrio.read_dataframe(out, layer="communities")["id"]) == [community]


def saved(content: bytes, folder: Path) -> Path:
    """A GeoPackage answer as a file (GDAL wants its .gpkg suffix)."""
    path = folder / "answer.gpkg"
    path.write_bytes(content)
    return path


def test_a_grid_officers_key_is_held_to_the_grid(
    client: TestClient, conn: Connection, tmp_path: Path, grid_key: tuple[str, int, int]
) -> None:
    key, grid_id, community = grid_key
    response = client.get("/exports/gpkg", headers={"X-API-Key": key})
    assert response.status_code == 200
    gpkg = saved(response.content, tmp_path)
    households = pyogrio.read_dataframe(gpkg, layer="households")
    expected = ids_in(conn, "households", community, grid_id)
    assert set(households["id"]) == expected and expected
    grids = pyogrio.read_dataframe(gpkg, layer="grids")
    assert list(grids["id"]) == [grid_id]
    items = client.get(
        "/ogc/collections/units/items", params={"limit": 10_000}, headers={"X-API-Key": key}
    ).json()
    assert {f["id"] for f in items["features"]} == ids_in(conn, "units", community, grid_id)


def test_exports_over_http_for_officers(
    client: TestClient, keys: dict[str, str], conn: Connection, tmp_path: Path, own: Own
) -> None:
    officer = {"X-API-Key": keys["officer"]}
    gpkg = client.get("/exports/gpkg", headers=officer)
    assert gpkg.status_code == 200
    households = pyogrio.read_dataframe(saved(gpkg.content, tmp_path), layer="households")
    assert set(households["id"]) == ids_in(conn, "households", own.id)
    assert not set(households["id"]) & ids_in(conn, "households", own.other)
    shp = client.get("/exports/shp", headers=officer)
    with zipfile.ZipFile(io.BytesIO(shp.content)) as archive:
        assert "households.shp" in archive.namelist()
    # Other roles still get the whole city.
    whole = client.get("/exports/gpkg", headers={"X-API-Key": keys["planner"]})
    everyone = pyogrio.read_info(saved(whole.content, tmp_path), layer="households")["features"]
    assert everyone == conn.execute(text("SELECT count(*) FROM household")).scalar_one()


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return int(x), int(y)


def tile_ids(client: TestClient, key: str, layer: str, x: int, y: int, crs: str) -> set[int]:
    response = client.get(
        f"/tiles/{layer}/{ZOOM}/{x}/{y}.mvt", params={"crs": crs}, headers={"X-API-Key": key}
    )
    assert response.status_code in (200, 204)
    if response.status_code == 204:
        return set()
    decoded = mapbox_vector_tile.decode(response.content)
    column = "unit_id" if layer == "households" else "building_id"
    return {f["properties"][column] for f in decoded.get(layer, {"features": []})["features"]}


@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
def test_tiles_hold_the_officers_community_only(
    client: TestClient, keys: dict[str, str], conn: Connection, own: Own, crs: str
) -> None:
    for community, seen in ((own.other, False), (own.id, True)):
        unit, building, lon, lat = conn.execute(
            text("""SELECT u.id, b.id, ST_X(ST_PointOnSurface(u.geom)),
                           ST_Y(ST_PointOnSurface(u.geom))
                    FROM unit u JOIN building b ON b.id = u.building_id
                    JOIN compound cp ON cp.id = b.compound_id
                    WHERE cp.community_id = :c ORDER BY u.id LIMIT 1"""),
            {"c": community},
        ).one()
        if crs == "gcj02":
            glon, glat = wgs84_to_gcj02(lon, lat)
            lon, lat = float(glon), float(glat)
        x, y = tile_of(lon, lat, ZOOM)
        units = tile_ids(client, keys["officer"], "households", x, y, crs)
        buildings = tile_ids(client, keys["officer"], "buildings", x, y, crs)
        assert (unit in units) is seen and (building in buildings) is seen
        assert units <= ids_in(conn, "units", own.id)
        assert buildings <= ids_in(conn, "buildings", own.id)
        # The command centre sees the same tile whole.
        assert unit in tile_ids(client, keys["command"], "households", x, y, crs)


@pytest.mark.parametrize("layer", ["households", "units", "buildings", "heads", "gates"])
def test_ogc_items_hold_the_officers_community_only(
    client: TestClient, keys: dict[str, str], conn: Connection, own: Own, layer: str
) -> None:
    officer = {"X-API-Key": keys["officer"]}
    url = f"/ogc/collections/{layer}/items"
    page = client.get(url, params={"limit": 10_000}, headers=officer).json()
    mine = ids_in(conn, layer, own.id)
    assert {f["id"] for f in page["features"]} == mine and page["numberMatched"] == len(mine)
    theirs = min(ids_in(conn, layer, own.other))
    assert client.get(f"{url}/{theirs}", headers=officer).status_code == 404
    assert client.get(f"{url}/{min(mine)}", headers=officer).status_code == 200
    assert client.get(f"{url}/{theirs}").status_code == 200  # the command centre's key
    # A box around another community's feature finds nothing of it.
    geometry = client.get(f"{url}/{theirs}").json()["geometry"]
    lon, lat = point_of(geometry)
    bbox = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    near = client.get(url, params={"bbox": bbox, "limit": 10_000}, headers=officer).json()
    assert {f["id"] for f in near["features"]} <= mine
    assert theirs not in {f["id"] for f in near["features"]}


def point_of(geometry: dict[str, Any]) -> tuple[float, float]:
    """Some vertex of a GeoJSON geometry."""
    coords: Any = geometry["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return float(coords[0]), float(coords[1])


def test_ogc_collections_and_gaps_for_officers(
    client: TestClient, keys: dict[str, str], conn: Connection, own: Own
) -> None:
    officer = {"X-API-Key": keys["officer"]}
    whole = client.get("/ogc/collections/households").json()["extent"]["spatial"]["bbox"][0]
    mine = client.get("/ogc/collections/households", headers=officer).json()
    bbox = mine["extent"]["spatial"]["bbox"][0]
    assert (
        bbox[0] >= whole[0] and bbox[2] <= whole[2] and (bbox[2] - bbox[0]) < (whole[2] - whole[0])
    )
    assert client.get("/ogc/collections", headers=officer).status_code == 200
    gaps = client.get(
        "/ogc/collections/gap_areas/items", params={"limit": 10_000}, headers=officer
    ).json()
    assert {f["properties"]["community_code"] for f in gaps["features"]} <= {own.code}
    mine = find_gaps(conn, community=own.code)
    assert gaps["numberMatched"] == int(mine.geom_type.isin(["Polygon", "MultiPolygon"]).sum())
    communities = client.get(
        "/ogc/collections/communities/items", params={"limit": 10_000}, headers=officer
    ).json()
    assert [f["id"] for f in communities["features"]] == [own.id]


def test_gaps_of_a_grid_officer_are_their_grids(
    client: TestClient, conn: Connection, grid_key: tuple[str, int, int]
) -> None:
    key, grid_id, community = grid_key
    # One building of the community moves to a grid of its own, cut from the officer's,
    # and its households lose their heads: gaps of the community outside the grid.
    _, code, other, compound = split_grid(conn, only=community)
    conn.execute(
        text("""UPDATE grid SET geom = ST_Multi(ST_Difference(grid.geom, o.geom))
                FROM grid o WHERE grid.id = :mine AND o.id = :other"""),
        {"mine": grid_id, "other": other},
    )
    conn.execute(
        text("""UPDATE assignment SET valid_to = now() WHERE valid_to IS NULL
                AND household_id IN (SELECT h.id FROM household h JOIN unit u ON u.id = h.unit_id
                JOIN building b ON b.id = u.building_id WHERE b.compound_id = :cp)"""),
        {"cp": compound},
    )
    expected = area_gaps(conn, Area(community, code, grid_id))
    assert len(expected) < len(find_gaps(conn, community=code))  # the two differ
    found = client.get("/gaps", headers={"X-API-Key": key}).json()["features"]
    assert {(f["properties"]["type"], f["properties"]["ref_id"]) for f in found} == set(
        zip(expected["type"], expected["ref_id"], strict=True)
    )


def test_a_grid_officer_reads_the_members_of_their_grid_only(
    client: TestClient, conn: Connection, grid_key: tuple[str, int, int]
) -> None:
    """Members register with a community, but a grid officer reads (list, one member,
    the year-end summary) only those whose home lies in their grid: by their household,
    else by their point."""
    key, grid_id, community = grid_key
    conn.execute(
        text("""INSERT INTO grid (code, name, community_id, geom)
                SELECT c.code || '998', '测试网格', c.id,
                       ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(111.0, 35.0), 4326), 0.001))
                FROM community c WHERE c.id = :c"""),
        {"c": community},
    )
    home = conn.execute(
        text("""SELECT min(h.id) FROM household h JOIN unit u ON u.id = h.unit_id
                JOIN building b ON b.id = u.building_id
                JOIN compound cp ON cp.id = b.compound_id WHERE cp.grid_id = :g"""),
        {"g": grid_id},
    ).scalar_one()
    members = {
        where: conn.execute(
            text("""INSERT INTO member (name, phone, community_id, household_id, placed_by,
                                        registered_on, status, geom)
                    VALUES (:n, '13600000000', :c, :h, 'household', '2026-01-05', 'serving',
                            ST_SetSRID(ST_MakePoint(111.0, 35.0), 4326))
                    RETURNING id"""),
            {"n": f"网格{where}", "c": community, "h": household},
        ).scalar_one()
        for where, household in (("mine", home), ("other", None))
    }
    officer = {"X-API-Key": key}
    listed = client.get("/members", params={"limit": 1000}, headers=officer)
    assert listed.status_code == 200, listed.text
    ids = {m["id"] for m in listed.json()["members"]}
    assert members["mine"] in ids and members["other"] not in ids
    assert client.get(f"/members/{members['mine']}", headers=officer).status_code == 200
    refused = client.get(f"/members/{members['other']}", headers=officer)
    assert refused.status_code == 403 and "outside your grid" in refused.json()["detail"]
    # Nor may they change one or end one there.
    change = client.put(f"/members/{members['other']}", json={"phone": "13600000009"},
                        headers=officer)  # fmt: skip
    assert change.status_code == 403, change.text
    assert client.delete(f"/members/{members['other']}", headers=officer).status_code == 403
    yearend = client.get("/yearend/members", params={"year": 2026}, headers=officer)
    assert yearend.status_code == 200, yearend.text
    shown = {int(row.split(",")[0]) for row in yearend.text.splitlines()[1:]}
    assert members["mine"] in shown and members["other"] not in shown
