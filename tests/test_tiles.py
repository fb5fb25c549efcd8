"""Vector tiles: decoded with mapbox-vector-tile, features where they should be."""

from __future__ import annotations

import math

import httpx
import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from geo_api.geo.china import wgs84_to_gcj02
from geo_api.tiles.mvt import EXTENT, MEDIA_TYPE, tile

ZOOM = 16


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, float, float]:
    """The tile holding a point, and the point's place in it (0..1 from the top left)."""
    n = 2**z
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return int(x), int(y), x - int(x), y - int(y)


def decode(content: bytes) -> dict[str, list[dict[str, object]]]:
    """Layer name -> features, with y pointing down as in the tile itself."""
    tile = mapbox_vector_tile.decode(content, default_options={"y_coord_down": True})
    return {name: layer["features"] for name, layer in tile.items()}


def test_households_tile_has_each_unit_where_it_is(conn: Connection, client: TestClient) -> None:
    unit_id, lon, lat, households, covered = conn.execute(
        text(
            "SELECT u.id, ST_X(ST_PointOnSurface(u.geom)), ST_Y(ST_PointOnSurface(u.geom)), "
            "count(h.id), count(a.household_id) FROM unit u JOIN household h ON h.unit_id = u.id "
            "LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL "
            "GROUP BY u.id ORDER BY u.id LIMIT 1"
        )
    ).one()
    x, y, fx, fy = tile_of(lon, lat, ZOOM)
    response = client.get(f"/tiles/households/{ZOOM}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPE
    features = decode(response.content)["households"]
    unit = next(f for f in features if f["properties"]["unit_id"] == unit_id)
    assert unit["properties"] == {"unit_id": unit_id, "households": households, "covered": covered}
    px, py = unit["geometry"]["coordinates"]  # type: ignore[index]
    # Within a unit of the tile grid (4096 per tile: about 0.15 m at zoom 16).
    assert abs(px - fx * EXTENT) <= 1 and abs(py - fy * EXTENT) <= 1
    # Counts only: no personal data in a tile.
    assert all(set(f["properties"]) == {"unit_id", "households", "covered"} for f in features)


def test_buildings_tile_and_gcj02_tiles(conn: Connection, client: TestClient) -> None:
    building, number, lon, lat = conn.execute(
        text(
            "SELECT b.id, b.number, ST_X(ST_Centroid(b.geom)), ST_Y(ST_Centroid(b.geom)) "
            "FROM building b ORDER BY b.id LIMIT 1"
        )
    ).one()
    x, y, fx, fy = tile_of(lon, lat, ZOOM)
    features = decode(client.get(f"/tiles/buildings/{ZOOM}/{x}/{y}.mvt").content)["buildings"]
    found = next(f for f in features if f["properties"]["building_id"] == building)
    assert found["properties"]["number"] == number
    ring = found["geometry"]["coordinates"][0]  # type: ignore[index]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    assert min(xs) <= fx * EXTENT <= max(xs) and min(ys) <= fy * EXTENT <= max(ys)
    # In GCJ-02 the same building is drawn where geo/china.py moves its centre.
    glon, glat = wgs84_to_gcj02(lon, lat)
    gx, gy, gfx, gfy = tile_of(float(glon), float(glat), ZOOM)
    moved = client.get(f"/tiles/buildings/{ZOOM}/{gx}/{gy}.mvt", params={"crs": "gcj02"})
    found = next(
        f for f in decode(moved.content)["buildings"] if f["properties"]["building_id"] == building
    )
    ring = found["geometry"]["coordinates"][0]  # type: ignore[index]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    assert min(xs) <= gfx * EXTENT <= max(xs) and min(ys) <= gfy * EXTENT <= max(ys)
    assert (gx, gy) != (x, y) or abs(gfx - fx) * EXTENT > 50  # it did move


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/tiles/roads/10/0/0.mvt", 404, "no tile layer 'roads'"),
        ("/tiles/households/23/0/0.mvt", 422, "z must be 0 to 22, not 23"),
        ("/tiles/households/3/8/0.mvt", 422, "x must be 0 to 7 at zoom 3, not 8"),
        ("/tiles/buildings/3/0/-1.mvt", 422, "y must be 0 to 7 at zoom 3, not -1"),
        ("/tiles/buildings/3/0/0.mvt?crs=bd09", 422, "crs must be wgs84 or gcj02"),
        ("/tiles/buildings/three/0/0.mvt", 422, "z"),
    ],
)
def test_tile_errors(client: TestClient, path: str, status: int, says: str) -> None:
    response = client.get(path)
    assert response.status_code == status and says in str(response.json()["detail"])


def test_an_empty_tile_is_204(client: TestClient) -> None:
    for layer in ("households", "buildings"):
        for crs in ("wgs84", "gcj02"):
            response = client.get(f"/tiles/{layer}/{ZOOM}/0/0.mvt", params={"crs": crs})
            assert response.status_code == 204 and response.content == b""


@pytest.mark.parametrize("layer", ["households", "buildings"])
def test_a_live_server_serves_the_same_tiles(
    conn: Connection, live_server: str, keys: dict[str, str], layer: str
) -> None:
    """WGS 84 tiles come from the API's asyncio pool; GCJ-02 tiles from a thread."""
    lon, lat = conn.execute(
        text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM unit "
             "ORDER BY id LIMIT 1")
    ).one()  # fmt: skip
    with httpx.Client(base_url=live_server, headers={"X-API-Key": keys["command"]}) as api:
        for crs in ("wgs84", "gcj02"):
            # A GCJ-02 tile is where the shifted unit lies.
            shifted = wgs84_to_gcj02(lon, lat) if crs == "gcj02" else (lon, lat)
            x, y, _, _ = tile_of(float(shifted[0]), float(shifted[1]), ZOOM)
            got = api.get(f"/tiles/{layer}/{ZOOM}/{x}/{y}.mvt", params={"crs": crs})
            assert got.status_code == 200, crs
            assert got.headers["content-type"] == MEDIA_TYPE
            assert decode(got.content) == decode(
                tile(conn, layer, ZOOM, x, y, gcj02=crs == "gcj02")
            )
