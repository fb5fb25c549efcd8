"""Every endpoint over HTTP, with bad input getting 404/422 and never a 500."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyogrio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from geo_api.gaps.finder import find_gaps


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["revision"] == body["expected_revision"]


def test_lookup_inside(client: TestClient, conn: Connection) -> None:
    lon, lat, unit = conn.execute(
        text("SELECT ST_X(geom), ST_Y(geom), unit_id FROM household ORDER BY id LIMIT 1")
    ).one()
    body = client.get("/lookup", params={"lon": lon, "lat": lat}).json()
    assert body["unit"]["id"] == unit
    assert body["street"]["code"].startswith("141081")


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"lon": 116.4, "lat": 39.9}, 404, "outside every street"),
        ({"lon": "abc", "lat": 35.6}, 422, "valid number"),
        ({"lon": 111.3, "lat": 135.6}, 422, "not a WGS 84 longitude/latitude"),
        ({"lon": 35.6, "lat": 111.3}, 422, "swapped? lon comes first"),
        ({"lon": 1e308, "lat": 1e308}, 422, "not a WGS 84"),
        ({"lon": 111.3}, 422, "Field required"),
        ({"lon": "nan", "lat": 35.6}, 422, "not a finite number"),
        ({"lon": "inf", "lat": 35.6}, 422, "not a finite number"),
    ],
)
def test_lookup_bad_input(
    client: TestClient, params: dict[str, object], status: int, says: str
) -> None:
    response = client.get("/lookup", params=params)
    assert response.status_code == status
    assert says in response.text


def test_head(client: TestClient, conn: Connection) -> None:
    head_id, load = conn.execute(
        text(
            "SELECT head_id, count(*) FROM assignment WHERE valid_to IS NULL "
            "GROUP BY head_id HAVING count(*) > 3 LIMIT 1"
        )
    ).one()
    body = client.get(f"/heads/{head_id}", params={"limit": 3}).json()
    assert body["id"] == head_id and len(body["households"]["items"]) == 3
    assert body["households"]["total"] == body["load"] == load
    assert "*" in body["name"] and "household_id" not in body
    last = client.get(f"/heads/{head_id}", params={"limit": 3, "offset": load - 1}).json()
    assert len(last["households"]["items"]) == 1


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/heads/99999999", 404),
        ("/heads/abc", 422),
        ("/heads/0", 422),
        ("/heads/1?limit=0", 422),
        ("/heads/1?limit=100000", 422),
        ("/heads/1?offset=-1", 422),
        ("/heads/99999999999999999999", 422),
    ],
)
def test_head_bad_input(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.json()["detail"]


def test_household_endpoint(client: TestClient, conn: Connection) -> None:
    household = conn.execute(
        text("SELECT household_id FROM assignment WHERE valid_to IS NULL LIMIT 1")
    ).scalar_one()
    body = client.get(f"/households/{household}").json()
    assert body["id"] == household and body["unit_head"]["reason"]
    past = client.get(f"/households/{household}", params={"at": "2001-01-01T00:00:00Z"})
    assert past.status_code == 200 and past.json()["unit_head"] is None
    assert client.get("/households/99999999").status_code == 404
    assert client.get("/households/1", params={"at": "yesterday"}).status_code == 422


def test_gaps_geojson_and_filters(client: TestClient, conn: Connection) -> None:
    response = client.get("/gaps")
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == len(body["features"]) == len(find_gaps(conn))
    kinds = {f["properties"]["type"] for f in body["features"]}
    assert {"unit_without_head", "compound_without_head", "station_below_standard"} <= kinds
    only = client.get("/gaps", params={"type": "compound_without_head"}).json()
    assert {f["properties"]["type"] for f in only["features"]} == {"compound_without_head"}
    assert client.get("/gaps", params={"type": "nope"}).status_code == 422
    assert client.get("/gaps", params={"community": "12"}).status_code == 422
    unknown = client.get("/gaps", params={"community": "141081999999"})
    assert unknown.status_code == 404 and "141081999999" in unknown.json()["detail"]
    assert client.get("/gaps", params={"severity": "dire"}).status_code == 422


def test_assign_endpoint_moves_nobody_on_a_rerun(client: TestClient) -> None:
    body = client.post("/assign").json()
    assert body["moved"] == 0 and body["kept"] == body["assigned"]
    client.post("/assign", params={"solver": "flow"})
    again = client.post("/assign", params={"solver": "flow"}).json()
    assert again["moved"] == again["added"] == again["dropped"] == 0
    assert client.post("/assign", params={"solver": "magic"}).status_code == 422


def test_export_gpkg_reopens_with_every_layer(client: TestClient, tmp_path: Path) -> None:
    response = client.get("/exports/gpkg")
    assert response.status_code == 200
    path = tmp_path / "city.gpkg"
    path.write_bytes(response.content)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert {"streets", "households", "stations", "gap_areas", "gap_points"} <= layers


def test_export_geojson_zip(client: TestClient) -> None:
    response = client.get("/exports/geojson")
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "households.geojson" in names and "gap_points.geojson" in names
    assert client.get("/exports/kml").status_code == 422


def test_map_page(client: TestClient) -> None:
    response = client.get("/maps/command-centre")
    assert response.status_code == 200
    assert "/static/vendor/leaflet/dist/leaflet.js" in response.text
    assert (
        "cdn.jsdelivr" not in response.text and "https://" not in response.text.split("<body>")[0]
    )


def test_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/health",
        "/lookup",
        "/heads/{head_id}",
        "/households/{household_id}",
        "/gaps",
        "/assign",
        "/exports/{fmt}",
        "/maps/command-centre",
    } <= set(paths)


def test_gaps_take_a_grid_limit(client: TestClient) -> None:
    few = client.get("/gaps", params={"type": "grid_over_households", "grid_limit": 1})
    assert few.status_code == 200 and few.json()["numberMatched"] > 0
    none = client.get("/gaps", params={"type": "grid_over_households", "grid_limit": 1_000_000})
    assert none.json()["numberMatched"] == 0
    assert client.get("/gaps", params={"grid_limit": 0}).status_code == 422


def test_gaps_download_as_csv_and_geopackage(client: TestClient, tmp_path: Path) -> None:
    import pyogrio

    csv = client.get("/gaps", params={"f": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("type,") and lines[0].endswith(",wkt") and len(lines) > 1
    gpkg = client.get("/gaps", params={"f": "gpkg"})
    assert gpkg.status_code == 200 and gpkg.content.startswith(b"SQLite format 3")
    (tmp_path / "gaps.gpkg").write_bytes(gpkg.content)
    assert len(pyogrio.read_dataframe(tmp_path / "gaps.gpkg")) == len(lines) - 1
