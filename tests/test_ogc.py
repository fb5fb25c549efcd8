"""OGC API - Features under /ogc: documents, counts against the store, paging,
filters, CRS (against pyproj), HTML, bad parameters, and no personal data."""

from __future__ import annotations

from collections import Counter
from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Transformer
from shapely.geometry import box, shape
from sqlalchemy import Connection, Engine, text

from geo_api.catalogue.layers import LAYER_BY_NAME, LAYERS, Layer
from geo_api.db.results import forget
from geo_api.gaps import finder
from geo_api.gaps.finder import find_gaps
from geo_api.ogc.collections import COLLECTIONS
from geo_api.ogc.links import page_links, self_links

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
NAMES = [layer.name for layer in LAYERS] + ["gap_areas", "gap_points"]


def store_count(conn: Connection, name: str) -> int:
    """How many features the store holds for a collection, counted in SQL."""
    if name in ("gap_areas", "gap_points"):  # the finder's gaps, split by geometry
        kinds = ("Point",) if name == "gap_points" else ("Polygon", "MultiPolygon")
        return int(find_gaps(conn).geom_type.isin(kinds).sum())
    sql = f"SELECT count(*) FROM ({LAYER_BY_NAME[name].sql}) AS l"
    return int(conn.execute(text(sql)).scalar_one())


def get(client: TestClient, url: str, **params: Any) -> dict[str, Any]:
    # An empty params would replace the query of ``url`` (httpx).
    response = client.get(url, params=params) if params else client.get(url)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def local(href: str) -> str:
    """A link's path and query, to follow it with the test client."""
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_landing_and_conformance(client: TestClient) -> None:
    landing = get(client, "/ogc/")
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert {"self", "conformance", "data", "service-desc", "service-doc"} <= set(rels)
    assert rels["data"].endswith("/ogc/collections")
    assert client.get(local(rels["service-desc"])).status_code == 200
    assert client.get("/ogc").json() == landing
    classes = get(client, "/ogc/conformance")["conformsTo"]
    for part in ("core", "oas30", "html", "geojson"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{part}" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


def test_collections_are_the_catalogue(client: TestClient, conn: Connection) -> None:
    listed = get(client, "/ogc/collections")["collections"]
    assert [c["id"] for c in listed] == NAMES == list(COLLECTIONS)
    for c in listed:
        assert c["itemType"] == "feature" and c["storageCrs"] == CRS84
        assert CRS84 in c["crs"] and f"{EPSG}4326" in c["crs"] and f"{EPSG}3857" in c["crs"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in c["title"]), c["title"]
        x1, y1, x2, y2 = c["extent"]["spatial"]["bbox"][0]
        assert 100 < x1 <= x2 < 125 and 20 < y1 <= y2 < 45, c["id"]  # in China, lon first
        assert {"self", "items"} <= {link["rel"] for link in c["links"]}
        assert get(client, f"/ogc/collections/{c['id']}") == c
    extent = next(c for c in listed if c["id"] == "buildings")["extent"]["spatial"]["bbox"][0]
    assert extent == pytest.approx(list(buildings(conn).total_bounds), abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_a_collections_extent_holds_every_feature(client: TestClient, name: str) -> None:
    """Big layers report the extent of the table that encloses them (units for
    households, compounds for heads, the streets for gaps): it must hold them all."""
    x1, y1, x2, y2 = get(client, f"/ogc/collections/{name}")["extent"]["spatial"]["bbox"][0]
    features = get(client, f"/ogc/collections/{name}/items", limit=10_000)["features"]
    assert features, name
    bounds = shapely.GeometryCollection([shape(f["geometry"]) for f in features]).bounds
    tolerance = 1e-7  # items give 7 decimals (about 1 cm)
    assert x1 - tolerance <= bounds[0] and y1 - tolerance <= bounds[1], name
    assert bounds[2] <= x2 + tolerance and bounds[3] <= y2 + tolerance, name


@pytest.mark.parametrize("name", NAMES)
def test_number_matched_is_the_store_count(client: TestClient, conn: Connection, name: str) -> None:
    expected = store_count(conn, name)
    assert expected > 0, name
    page = get(client, f"/ogc/collections/{name}/items", limit=5)
    assert page["numberMatched"] == expected
    assert page["numberReturned"] == len(page["features"]) == min(5, expected)
    assert page["type"] == "FeatureCollection" and page["timeStamp"].endswith("Z")


@pytest.mark.parametrize("layer", [x for x in LAYERS if x.counted_sql], ids=lambda x: x.name)
def test_a_layers_count_without_its_joins_is_its_rows(
    client: TestClient, conn: Connection, layer: Layer
) -> None:
    """``counted_sql`` has the layer's rows, one for one, and every column but the
    joined ones; counts by a joined column still read the joins."""
    full = conn.execute(text(f"SELECT * FROM ({layer.sql}) AS l ORDER BY id")).mappings().all()
    bare = conn.execute(text(f"SELECT * FROM ({layer.counted_sql}) AS l ORDER BY id"))
    rows = bare.mappings().all()
    assert set(rows[0]) == set(full[0]) - set(layer.joined)
    assert [r["id"] for r in rows] == [r["id"] for r in full]
    for column in layer.joined:  # the most common value: more than a page of one
        values = Counter(r[column] for r in full if r[column] is not None)
        value, known = values.most_common(1)[0]
        assert known > 1, column
        page = get(client, f"/ogc/collections/{layer.name}/items", limit=1, **{column: value})
        assert page["numberMatched"] == known, column


def test_next_links_walk_a_whole_collection(client: TestClient, conn: Connection) -> None:
    ids = [r[0] for r in conn.execute(text("SELECT id FROM unit ORDER BY id"))]
    url: str | None = "/ogc/collections/units/items?limit=37"
    seen: list[int] = []
    pages = 0
    while url:
        page = get(client, url)
        links = {link["rel"]: link["href"] for link in page["links"]}
        assert ("prev" in links) == (pages > 0)
        seen += [f["id"] for f in page["features"]]
        url = local(links["next"]) if "next" in links else None
        pages += 1
    assert seen == ids and pages == -(-len(ids) // 37)


@pytest.mark.parametrize("name", ["gap_areas", "gap_points"])
def test_gaps_page_through_with_stable_ids(client: TestClient, conn: Connection, name: str) -> None:
    total = store_count(conn, name)
    first = get(client, f"/ogc/collections/{name}/items", limit=max(1, total // 2))
    rest = get(client, f"/ogc/collections/{name}/items", offset=max(1, total // 2), limit=10_000)
    ids = [f["id"] for f in first["features"] + rest["features"]]
    assert len(ids) == len(set(ids)) == total > 0
    kinds = {f["geometry"]["type"] for f in first["features"] + rest["features"]}
    assert kinds == ({"Point"} if name == "gap_points" else kinds & {"Polygon", "MultiPolygon"})
    gap = first["features"][0]
    assert (
        get(client, f"/ogc/collections/{name}/items/{gap['id']}")["properties"] == gap["properties"]
    )
    # A gap of the other geometry is not in this collection.
    other = "gap_points" if name == "gap_areas" else "gap_areas"
    assert client.get(f"/ogc/collections/{other}/items/{gap['id']}").status_code == 404


def walk(client: TestClient, name: str, limit: int) -> list[str]:
    """Every feature id of a collection, following its next links."""
    url: str | None = f"/ogc/collections/{name}/items?limit={limit}"
    ids: list[str] = []
    while url:
        page = get(client, url)
        ids += [f["id"] for f in page["features"]]
        url = next((local(li["href"]) for li in page["links"] if li["rel"] == "next"), None)
    return ids


def test_gap_pages_are_cut_from_gaps_found_once(
    client: TestClient, conn: Connection, engine: Engine
) -> None:
    """Paging through the gap collections (twice, as GDAL reopening a layer) runs the
    gap finder once for the data version, not once a page: the finder raises after
    its first computation."""
    with engine.begin() as writer:  # a new data version: nothing stored for it yet
        writer.execute(
            text(
                "UPDATE household SET persons = persons WHERE id = (SELECT min(id) FROM household)"
            )
        )
    calls: list[int] = []

    def find_once(*args: Any, **kwargs: Any) -> gpd.GeoDataFrame:
        calls.append(1)
        if len(calls) > 1:
            raise AssertionError("the gap finder ran again for a page")
        return finder.find_gaps(*args, **kwargs)

    with patch("geo_api.gaps.stored.find_gaps", side_effect=find_once):
        for name in ("gap_areas", "gap_points"):
            total = get(client, f"/ogc/collections/{name}/items", limit=1)["numberMatched"]
            limit = max(1, total // 5)  # about six pages
            first = walk(client, name, limit)
            forget()  # as another worker: this process's memory is gone, the store is not
            assert walk(client, name, limit) == first
            assert len(first) == len(set(first)) == total > limit
    assert calls == [1]


def buildings(conn: Connection) -> gpd.GeoDataFrame:
    return gpd.read_postgis(text("SELECT id, geom FROM building"), conn, geom_col="geom", crs=4326)


def test_bbox_matches_shapely_in_every_bbox_crs(client: TestClient, conn: Connection) -> None:
    frame = buildings(conn)
    x1, y1, x2, y2 = frame.total_bounds
    # The south-west quarter of the buildings' extent.
    bbox = (x1, y1, (x1 + x2) / 2, (y1 + y2) / 2)
    expected = sorted(frame[frame.intersects(box(*bbox))]["id"])
    assert 0 < len(expected) < len(frame)

    def ids(**params: Any) -> list[int]:
        page = get(client, "/ogc/collections/buildings/items", limit=10_000, **params)
        assert page["numberMatched"] == page["numberReturned"]
        return sorted(f["id"] for f in page["features"])

    assert ids(bbox=",".join(map(str, bbox))) == expected
    lat_first = f"{bbox[1]},{bbox[0]},{bbox[3]},{bbox[2]}"
    assert ids(bbox=lat_first, **{"bbox-crs": f"{EPSG}4326"}) == expected
    to_metres = Transformer.from_crs(4326, 3857, always_xy=True)
    mx1, my1 = to_metres.transform(bbox[0], bbox[1])
    mx2, my2 = to_metres.transform(bbox[2], bbox[3])
    assert ids(bbox=f"{mx1},{my1},{mx2},{my2}", **{"bbox-crs": f"{EPSG}3857"}) == expected


def test_property_filters(client: TestClient, conn: Connection) -> None:
    community = conn.execute(text("SELECT count(*) FROM station WHERE tier = 'community'"))
    page = get(client, "/ogc/collections/stations/items", tier="community")
    assert page["numberMatched"] == community.scalar_one() > 0
    assert {f["properties"]["tier"] for f in page["features"]} == {"community"}
    community_id, grids = conn.execute(
        text("SELECT community_id, count(*) FROM grid GROUP BY 1 ORDER BY 1 LIMIT 1")
    ).one()
    page = get(client, "/ogc/collections/grids/items", community_id=community_id)
    assert page["numberMatched"] == grids
    assert {f["properties"]["community_id"] for f in page["features"]} == {community_id}
    # Filters combine with paging and with each other.
    page = get(client, "/ogc/collections/grids/items", community_id=community_id, limit=1)
    assert page["numberMatched"] == grids and page["numberReturned"] == 1
    bad = client.get("/ogc/collections/stations/items", params={"colour": "red"})
    assert bad.status_code == 422 and "colour" in bad.json()["detail"]
    bad = client.get("/ogc/collections/grids/items", params={"community_id": "three"})
    assert bad.status_code == 422 and "community_id" in bad.json()["detail"]


def test_single_item_and_404(client: TestClient, conn: Connection) -> None:
    station = conn.execute(text("SELECT id, name FROM station ORDER BY id LIMIT 1")).one()
    found = get(client, f"/ogc/collections/stations/items/{station.id}")
    assert found["type"] == "Feature" and found["id"] == station.id
    assert found["properties"]["name"] == station.name
    area = get(client, "/ogc/collections/service_areas/items", limit=1)["features"][0]
    again = get(client, f"/ogc/collections/service_areas/items/{area['id']}")
    assert again["properties"] == area["properties"]
    for url, named in [
        ("/ogc/collections/stations/items/999999", "999999"),
        ("/ogc/collections/stations/items/abc", "abc"),
        ("/ogc/collections/service_areas/items/1", "'1'"),
        ("/ogc/collections/gap_areas/items/nothing-1", "nothing-1"),
        ("/ogc/collections/rivers/items", "rivers"),
        ("/ogc/collections/rivers", "rivers"),
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert named in response.json()["detail"]


def test_a_point_in_every_crs(client: TestClient, conn: Connection) -> None:
    sid, lon, lat = conn.execute(
        text("SELECT id, ST_X(geom), ST_Y(geom) FROM station ORDER BY id LIMIT 1")
    ).one()
    url = f"/ogc/collections/stations/items/{sid}"

    def point(crs: str | None) -> list[float]:
        response = client.get(url, params={"crs": crs} if crs else {})
        assert response.status_code == 200
        assert response.headers["content-crs"] == f"<{crs or CRS84}>"
        coords: list[float] = response.json()["geometry"]["coordinates"]
        return coords

    assert point(None) == pytest.approx([lon, lat], abs=1e-7)
    assert point(CRS84) == pytest.approx([lon, lat], abs=1e-7)
    assert point(f"{EPSG}4326") == pytest.approx([lat, lon], abs=1e-7)  # latitude first
    assert point(f"{EPSG}4490") == pytest.approx([lat, lon], abs=1e-5)  # CGCS2000: < 1 m
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(lon, lat)
    assert point(f"{EPSG}3857") == pytest.approx([x, y], abs=0.02)
    page = client.get("/ogc/collections/stations/items", params={"crs": f"{EPSG}3857"})
    assert page.headers["content-crs"] == f"<{EPSG}3857>"
    first = next(f for f in page.json()["features"] if f["id"] == sid)
    assert first["geometry"]["coordinates"] == pytest.approx([x, y], abs=0.02)


def test_html_pages(client: TestClient, conn: Connection) -> None:
    for url in ("/ogc/", "/ogc/conformance", "/ogc/collections", "/ogc/collections/grids"):
        response = client.get(url, params={"f": "html"})
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "text/html"
        )
        # A collection's page previews its extent on a map (tests/test_ogc_preview.py).
        assert ("<script" in response.text) == url.endswith("/grids") and "http" in response.text
    grid = conn.execute(text("SELECT id, code FROM grid ORDER BY id LIMIT 1")).one()
    page = client.get("/ogc/collections/grids/items", params={"f": "html", "limit": 5})
    assert page.status_code == 200 and "<table>" in page.text and grid.code in page.text
    assert 'rel="next"' not in page.text and "offset=5" in page.text  # the next page's link
    one = client.get(f"/ogc/collections/grids/items/{grid.id}", params={"f": "html"})
    assert one.status_code == 200 and grid.code in one.text


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "many"},
        {"offset": "-1"},
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "112,36,111,35"},
        {"bbox": "111,35,112,nan"},
        {"bbox": "111,35,112,95"},
        {"crs": "EPSG:4326"},
        {"crs": "http://www.opengis.net/def/crs/EPSG/0/9999"},
        {"bbox": "111,35,112,36", "bbox-crs": "wgs84"},
        {"f": "xml"},
        {"persons": "many"},
        {"name": "x"},
    ],
)
def test_bad_parameters_are_4xx(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/ogc/collections/households/items", params=params)
    assert 400 <= response.status_code < 500, (params, response.text)
    assert response.json()["detail"]


def test_bad_ids_and_crs_on_one_item_are_4xx(client: TestClient) -> None:
    for url in (
        "/ogc/collections/households/items/99999999999999999999999",
        "/ogc/collections/households/items/1?crs=bad",
        "/ogc/collections/gap_points/items/1?crs=bad",
    ):
        assert 400 <= client.get(url).status_code < 500, url


def test_no_collection_exposes_personal_data(client: TestClient, conn: Connection) -> None:
    personal = {
        value
        for table in ("head", "member", "grid_officer")
        for row in conn.execute(text(f"SELECT name, phone FROM {table}"))
        for value in row
    } | {
        value for row in conn.execute(text("SELECT address, room FROM household")) for value in row
    }
    assert personal
    places = {"streets", "communities", "grids", "compounds", "stations", "roads", "gates"}
    for name in NAMES:
        features = get(client, f"/ogc/collections/{name}/items", limit=10_000)["features"]
        keys = {key for f in features for key in f["properties"]}
        assert not {k for k in keys if any(w in k for w in ("phone", "address", "room"))}, name
        if name not in places:
            assert "name" not in keys, name
        values = {v for f in features for v in f["properties"].values() if isinstance(v, str)}
        assert not values & personal, name


def test_openapi_documents_the_ogc_routes(client: TestClient) -> None:
    paths = get(client, "/openapi.json")["paths"]
    for path in (
        "/ogc/",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/{collection_id}",
        "/ogc/collections/{collection_id}/items",
        "/ogc/collections/{collection_id}/items/{feature_id}",
    ):
        assert path in paths
    limit = next(
        p
        for p in paths["/ogc/collections/{collection_id}/items"]["get"]["parameters"]
        if p["name"] == "limit"
    )
    assert limit["schema"]["maximum"] == 10_000


def test_links_keep_filters_and_format() -> None:
    url = "http://h/ogc/collections/roads/items?ref=html&limit=2"
    self_link, alternate = self_links(url)
    assert self_link["href"] == url and self_link["type"] == "application/json"
    assert alternate["href"] == f"{url}&f=html"
    (following,) = page_links(url, offset=0, limit=2, returned=2, matched=5)
    assert following["rel"] == "next" and following["type"] == "application/geo+json"
    assert following["href"] == "http://h/ogc/collections/roads/items?ref=html&offset=2&limit=2"
    last = page_links(f"{url}&f=html&offset=4", offset=4, limit=2, returned=1, matched=5)
    assert [(li["rel"], li["type"]) for li in last] == [("prev", "text/html")]


@pytest.mark.parametrize("name", ["households", "service_areas", "gap_areas"])
def test_next_links_page_by_key_through_the_whole_layer(
    client: TestClient, conn: Connection, name: str
) -> None:
    """Following next links (which carry ``after``, the last id) visits every feature
    once, in key order; pages of the store's layers after the first are not counted
    again."""
    limit = max(1, store_count(conn, name) // 7)  # about eight pages
    page = get(client, f"/ogc/collections/{name}/items", limit=limit)
    assert page["numberMatched"] == store_count(conn, name)
    seen = [f["id"] for f in page["features"]]
    pages = 1
    while following := next((li for li in page["links"] if li["rel"] == "next"), None):
        assert "after=" in following["href"]
        page = get(client, local(following["href"]))
        assert ("numberMatched" in page) == (name == "gap_areas")  # gaps: always counted
        seen += [f["id"] for f in page["features"]]
        pages += 1
    assert len(seen) == len(set(seen)) == store_count(conn, name) and pages >= 7
    if name != "gap_areas":  # gaps go by (type, ref_id); the layers by their keys
        assert seen == sorted(seen, key=lambda i: [int(p) for p in str(i).split("-")])
    bad = client.get(f"/ogc/collections/{name}/items", params={"after": "not-an-id-at-all"})
    assert bad.status_code == 422 and "follow the next link" in bad.json()["detail"]


def test_limit_above_the_maximum_is_clamped(client: TestClient, conn: Connection) -> None:
    """OGC API Features: a limit over the maximum is served as the maximum, not refused."""
    total = store_count(conn, "households")
    page = get(client, "/ogc/collections/households/items", limit=10_001)
    assert page["numberReturned"] == min(total, 10_000)
    nxt = [link for link in page["links"] if link["rel"] == "next"]
    assert all("limit=10000" in link["href"] or "limit=10001" in link["href"] for link in nxt)


def test_gap_areas_hold_multipolygons_only(client: TestClient) -> None:
    """Every gap area is a MultiPolygon (a unit's polygon as one part), as the
    collection declares, so that GDAL's layer type holds for every page."""
    features = get(client, "/ogc/collections/gap_areas/items", limit=10_000)["features"]
    assert features
    assert {f["geometry"]["type"] for f in features} == {"MultiPolygon"}
    points = get(client, "/ogc/collections/gap_points/items", limit=10_000)["features"]
    assert {f["geometry"]["type"] for f in points} <= {"Point"}
