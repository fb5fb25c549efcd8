"""OGC API - Features Part 3 and the common extras over HTTP on the test city:
queryables, CQL2 filters (text and JSON) against the same questions asked of the
store in plain SQL, spatial predicates against shapely and pyproj's geodesic
distances, filter-crs, sortby paged to the end, properties, bad filters named,
personal fields refused for every role and an officer's area always kept."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod, Transformer
from shapely.geometry import Point, box, shape
from sqlalchemy import Connection, text

from geo_api.catalogue.layers import LAYER_BY_NAME
from geo_api.ogc import layer_items
from geo_api.ogc.filtering.compile import compile_filter
from geo_api.ogc.filtering.parse import parse_filter
from geo_api.ogc.filtering.queryables import Queryable
from tests.test_officer_scope import Own, ids_in, own  # noqa: F401 - the fixture
from tests.test_ogc import NAMES, get, local

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
HOUSEHOLDS = LAYER_BY_NAME["households"].sql
GEOD = Geod(ellps="WGS84")


def items(client: TestClient, name: str, **params: Any) -> list[dict[str, Any]]:
    """Every feature of one page of up to 10,000 (the test city's layers fit in one)."""
    page = get(client, f"/ogc/collections/{name}/items", limit=10_000, **params)
    assert page["numberMatched"] == page["numberReturned"], "more than a page"
    features: list[dict[str, Any]] = page["features"]
    return features


def ids(client: TestClient, name: str, **params: Any) -> list[Any]:
    return sorted(f["id"] for f in items(client, name, **params))


def sql_ids(conn: Connection, where: str, layer: str = "households", **params: Any) -> list[int]:
    """The ids of a layer's rows matching a WHERE clause written by hand."""
    sql = f"SELECT id FROM ({LAYER_BY_NAME[layer].sql}) AS l WHERE {where} ORDER BY id"
    return [r[0] for r in conn.execute(text(sql), params)]


def test_conformance_lists_what_is_supported(client: TestClient) -> None:
    classes = set(get(client, "/ogc/conformance")["conformsTo"])
    part3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
    cql2 = "http://www.opengis.net/spec/cql2/1.0/conf/"
    for name in ("queryables", "queryables-query-parameters", "filter", "features-filter"):
        assert part3 + name in classes
    for name in ("cql2-text", "cql2-json", "basic-cql2", "advanced-comparison-operators",
                 "basic-spatial-functions", "basic-spatial-functions-plus",
                 "spatial-functions"):  # fmt: skip
        assert cql2 + name in classes
    # What the filters refuse is not claimed.
    for name in ("case-insensitive-comparison", "accent-insensitive-comparison",
                 "temporal-functions", "array-functions", "property-property",
                 "functions", "arithmetic"):  # fmt: skip
        assert cql2 + name not in classes
    assert "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-6/1.0/conf/property-selection" in classes


@pytest.mark.parametrize("name", NAMES)
def test_queryables_of_every_collection(client: TestClient, name: str) -> None:
    """A JSON Schema of each property (Part 3): every property an item has, typed as
    its values are, and the geometry; linked from the collection."""
    response = client.get(f"/ogc/collections/{name}/queryables")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/schema+json")
    doc = response.json()
    assert doc["$schema"].startswith("https://json-schema.org/")
    assert doc["$id"].endswith(f"/ogc/collections/{name}/queryables")
    assert doc["type"] == "object" and doc["additionalProperties"] is False
    props = doc["properties"]
    assert props["geometry"]["x-ogc-role"] == "primary-geometry"
    assert props["geometry"]["format"].startswith("geometry-")
    features = items(client, name)
    assert features, name
    seen = {k for f in features for k in f["properties"]}
    assert seen == set(props) - {"geometry"}, name
    python = {"integer": int, "number": (int, float), "string": str, "boolean": bool}
    for feature in features:
        for key, value in feature["properties"].items():
            kind = props[key]["type"]
            if value is not None and kind in python:
                assert isinstance(value, python[kind]), (name, key, value)
    collection = get(client, f"/ogc/collections/{name}")
    rels = {li["rel"]: li for li in collection["links"]}
    queryables = rels["http://www.opengis.net/def/rel/ogc/1.0/queryables"]
    assert local(queryables["href"]) == f"/ogc/collections/{name}/queryables"
    assert client.get("/ogc/collections/rivers/queryables").status_code == 404


@pytest.mark.parametrize(
    ("cql2_text", "cql2_json", "where"),
    [
        ("persons >= 3", {"op": ">=", "args": [{"property": "persons"}, 3]}, "persons >= 3"),
        ("3 > persons", {"op": ">", "args": [3, {"property": "persons"}]}, "persons < 3"),
        (
            "persons BETWEEN 2 AND 3 AND NOT head_id IS NULL",
            {"op": "and", "args": [
                {"op": "between", "args": [{"property": "persons"}, 2, 3]},
                {"op": "not", "args": [{"op": "isNull", "args": [{"property": "head_id"}]}]},
            ]},
            "persons >= 2 AND persons <= 3 AND head_id IS NOT NULL",
        ),
        (
            "head_id IS NULL OR persons <> 2",
            {"op": "or", "args": [
                {"op": "isNull", "args": [{"property": "head_id"}]},
                {"op": "<>", "args": [{"property": "persons"}, 2]},
            ]},
            "head_id IS NULL OR persons != 2",
        ),
        (
            "reason LIKE 'own%' AND distance_m < 40.5",
            {"op": "and", "args": [
                {"op": "like", "args": [{"property": "reason"}, "own%"]},
                {"op": "<", "args": [{"property": "distance_m"}, 40.5]},
            ]},
            "reason::text ~ '^own' AND distance_m < 40.5",
        ),
        (
            "unit_id IN (1, 2, 3, 5, 8) OR persons NOT IN (1, 2, 3)",
            {"op": "or", "args": [
                {"op": "in", "args": [{"property": "unit_id"}, [1, 2, 3, 5, 8]]},
                {"op": "not", "args": [{"op": "in", "args": [{"property": "persons"}, [1, 2, 3]]}]},
            ]},
            "unit_id IN (1, 2, 3, 5, 8) OR persons NOT IN (1, 2, 3)",
        ),
    ],
)  # fmt: skip
def test_filters_match_the_store(
    client: TestClient, conn: Connection, cql2_text: str, cql2_json: Any, where: str
) -> None:
    """The same question in CQL2 text, CQL2 JSON and hand-written SQL has one answer."""
    expected = sql_ids(conn, where)
    assert expected, where
    assert ids(client, "households", filter=cql2_text) == expected
    as_json = {"filter": json.dumps(cql2_json), "filter-lang": "cql2-json"}
    assert ids(client, "households", **as_json) == expected
    text_lang = {"filter": cql2_text, "filter-lang": "cql2-text"}
    assert ids(client, "households", **text_lang) == expected


def test_filters_on_text_and_enum_columns(client: TestClient, conn: Connection) -> None:
    tiers = {"filter": "tier IN ('community', 'outpost') AND floor_area_m2 > 100"}
    expected = sql_ids(conn, "tier IN ('community', 'outpost') AND floor_area_m2 > 100", "stations")
    assert ids(client, "stations", **tiers) == expected and expected
    code = conn.execute(text("SELECT code FROM compound ORDER BY id LIMIT 1")).scalar_one()
    prefix = code[:9]  # the community's part of a compound code
    expected = sql_ids(conn, "code LIKE :p", "compounds", p=f"{prefix}%")
    assert ids(client, "compounds", filter=f"code LIKE '{prefix}%'") == expected and expected
    one = ids(client, "compounds", filter=f"code = '{code}'")
    assert len(one) == 1


def test_filters_on_dates_and_booleans_of_the_party_and_officers_layers(
    client: TestClient, conn: Connection
) -> None:
    middle = conn.execute(text(
        "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY raised_on) FROM party_demand"
    )).scalar_one()  # fmt: skip
    expected = sql_ids(conn, "raised_on >= :d", "demands", d=middle)
    assert expected
    asked = f"raised_on >= DATE('{middle.isoformat()}')"
    assert ids(client, "demands", filter=asked) == expected
    as_json = {"op": ">=", "args": [{"property": "raised_on"}, {"date": middle.isoformat()}]}
    assert ids(client, "demands", filter=json.dumps(as_json), **{"filter-lang": "cql2-json"}) == (
        expected
    )
    for flag in (True, False):
        expected = sql_ids(conn, f"part_time IS {flag}", "officers")
        assert ids(client, "officers", filter=f"part_time = {str(flag).lower()}") == expected
    bad = client.get("/ogc/collections/demands/items", params={"filter": "raised_on > 3"})
    assert bad.status_code == 422 and "raised_on" in bad.json()["detail"]


def test_spatial_predicates_against_shapely(client: TestClient, conn: Connection) -> None:
    units = {f["id"]: shape(f["geometry"]) for f in items(client, "units")}
    uid, outline = next(iter(units.items()))
    inside = outline.representative_point()
    point = f"POINT({inside.x} {inside.y})"
    found = ids(client, "units", filter=f"S_INTERSECTS(geometry, {point})")
    assert uid in found and found == sorted(u for u, g in units.items() if g.intersects(inside))
    x1, y1, x2, y2 = outline.buffer(0.003).bounds
    area = box(x1, y1, x2, y2)
    within = sorted(u for u, g in units.items() if g.within(area))
    crossing = sorted(u for u, g in units.items() if g.intersects(area) and not g.within(area))
    assert within
    assert ids(client, "units", filter=f"S_WITHIN(geometry, BBOX({x1},{y1},{x2},{y2}))") == within
    polygon = f"POLYGON(({x1} {y1},{x2} {y1},{x2} {y2},{x1} {y2},{x1} {y1}))"
    assert ids(client, "units", filter=f"S_WITHIN(geometry, {polygon})") == within
    overlaps = ids(client, "units", filter=f"S_INTERSECTS(geometry, {polygon}) AND "
                                           f"NOT S_WITHIN(geometry, {polygon})")  # fmt: skip
    assert overlaps == crossing
    contains = ids(client, "units", filter=f"S_CONTAINS(geometry, {point})")
    assert contains == sorted(u for u, g in units.items() if g.contains(inside))
    disjoint = ids(client, "units", filter=f"S_DISJOINT(geometry, {polygon})")
    assert len(disjoint) == len(units) - len(within) - len(crossing)


def test_dwithin_is_metres_on_the_spheroid(client: TestClient, conn: Connection) -> None:
    """S_DWITHIN(geometry, POINT, 300) keeps the homes within 300 m by pyproj's geodesic
    distance, and only those (a hair's tolerance either way)."""
    homes = {f["id"]: f["geometry"]["coordinates"] for f in items(client, "households")}
    lon, lat = next(iter(homes.values()))
    lon, lat = lon + 0.001, lat + 0.0005
    found = set(ids(client, "households", filter=f"S_DWITHIN(geometry, POINT({lon} {lat}), 300)"))
    hid = np.array(list(homes))
    coords = np.array(list(homes.values()))
    _, _, metres = GEOD.inv(np.full(len(coords), lon), np.full(len(coords), lat),
                            coords[:, 0], coords[:, 1])  # fmt: skip
    assert set(hid[metres < 299.9]) <= found <= set(hid[metres <= 300.1])
    assert 0 < len(found) < len(homes)
    # The same point, latitude first in EPSG:4326, and in Web Mercator metres.
    lat_first = {"filter": f"S_DWITHIN(geometry, POINT({lat} {lon}), 300)",
                 "filter-crs": f"{EPSG}4326"}  # fmt: skip
    assert set(ids(client, "households", **lat_first)) == found
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(lon, lat)
    mercator = {"filter": f"S_DWITHIN(geometry, POINT({x} {y}), 300)",
                "filter-crs": f"{EPSG}3857"}  # fmt: skip
    assert set(ids(client, "households", **mercator)) == found
    crs84 = {"filter": f"S_DWITHIN(geometry, POINT({lon} {lat}), 300)", "filter-crs": CRS84}
    assert set(ids(client, "households", **crs84)) == found


def test_filters_on_the_gaps(client: TestClient) -> None:
    """Gap collections take the same filters, answered by PostGIS over their rows."""
    every = items(client, "gap_areas")
    busy = sorted(f["id"] for f in every if (f["properties"]["households"] or 0) > 2)
    assert busy
    assert ids(client, "gap_areas", filter="households > 2") == busy
    first = every[0]["properties"]["type"]
    typed = sorted(f["id"] for f in every if f["properties"]["type"] == first)
    assert ids(client, "gap_areas", filter=f"type = '{first}'") == typed
    points = items(client, "gap_points")
    lon, lat = points[0]["geometry"]["coordinates"]
    near = ids(client, "gap_points", filter=f"S_DWITHIN(geometry, POINT({lon} {lat}), 500)")
    expected = sorted(
        f["id"] for f in points if GEOD.inv(lon, lat, *f["geometry"]["coordinates"])[2] <= 500
    )
    assert near == expected and points[0]["id"] in near


def test_equality_filters_on_the_gaps_compare_numbers_as_numbers(client: TestClient) -> None:
    """``households=3`` finds the gaps of 3 households: the column is a float where some
    gaps have none, and its text (3.0) is not what the planner typed."""
    every = items(client, "gap_areas")
    counts = [f["properties"]["households"] for f in every]
    some = next(n for n in counts if n)
    wanted = sorted(f["id"] for f in every if f["properties"]["households"] == some)
    assert ids(client, "gap_areas", households=str(int(some))) == wanted
    assert ids(client, "gap_areas", households=f"{some:.1f}") == wanted
    got = client.get("/ogc/collections/gap_areas/items", params={"households": "many"})
    assert got.status_code == 422 and "households" in got.json()["detail"]
    first = every[0]["properties"]["type"]
    assert ids(client, "gap_areas", type=first) == sorted(
        f["id"] for f in every if f["properties"]["type"] == first
    )


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"filter": "persons >"}, "column 10"),
        ({"filter": "persons > 3 ANDD unit_id = 1"}, "column 18"),
        ({"filter": "colour = 'red'"}, "colour"),
        ({"filter": "persons = 'many'"}, "persons"),
        ({"filter": "reason LIKE 3"}, "reason"),
        ({"filter": "persons LIKE 'x%'"}, "persons"),
        ({"filter": "geometry = 3"}, "geometry"),
        ({"filter": "upper(reason) = 'OWN'"}, "UPPER"),
        ({"filter": "persons + 1 > 2"}, "+"),
        ({"filter": "persons = unit_id"}, "persons"),
        ({"filter": "S_INTERSECTS(geometry, POINT(500 20))"}, "outside the world"),
        ({"filter": "S_INTERSECTS(geometry, POLYGON((0 0,1 1,0 1,1 0,0 0)))"}, "not valid"),
        ({"filter": "S_DWITHIN(geometry, POINT(111 35), -5)"}, "S_DWITHIN"),
        ({"filter": "T_AFTER(persons, 3)"}, "T_AFTER is not supported"),
        ({"filter": "x" * 30_000}, "filter"),
        ({"filter": "(" * 200 + "persons = 1" + ")" * 200}, "deeper"),
        ({"filter": '{"op": "=", ', "filter-lang": "cql2-json"}, "cql2-json"),
        ({"filter": "persons = 1", "filter-lang": "cql-text"}, "filter-lang"),
        ({"filter": "persons = 1", "filter-crs": "EPSG:4326"}, "filter-crs"),
        ({"sortby": "colour"}, "colour"),
        ({"sortby": "geometry"}, "geometry"),
        ({"sortby": "persons,-persons"}, "persons"),
        ({"properties": "room"}, "room"),
        ({"sortby": "persons", "after": "5"}, "after"),
    ],
)
def test_bad_filters_are_refused_by_name(
    client: TestClient, params: dict[str, str], named: str
) -> None:
    response = client.get("/ogc/collections/households/items", params=params)
    assert response.status_code in (400, 422), (params, response.text)
    detail = json.dumps(response.json()["detail"], ensure_ascii=False)
    assert named in detail, (params, detail)


@pytest.mark.parametrize("role", ["admin", "command", "planner", "officer"])
def test_personal_fields_are_not_queryable_for_any_role(
    client: TestClient, keys: dict[str, str], conn: Connection, role: str
) -> None:
    """Names, phones, addresses and rooms are in no collection: a filter, a sortby or a
    properties list naming them is refused, the same for every role, so an answer's
    count can never tell whether someone is called so."""
    headers = {"X-API-Key": keys[role]}
    name = conn.execute(text("SELECT name FROM head WHERE name IS NOT NULL LIMIT 1")).scalar()
    for collection, asked in [
        ("households", {"filter": f"name = '{name}'"}),
        ("households", {"filter": "phone LIKE '13%'"}),
        ("households", {"filter": "address IS NULL"}),
        ("heads", {"filter": f"name = '{name}'"}),
        ("heads", {"sortby": "phone"}),
        ("alliance_units", {"filter": "contact_phone IS NOT NULL"}),
        ("demands", {"properties": "raised_by"}),
        ("officers", {"filter": "name LIKE '%'"}),
    ]:
        response = client.get(f"/ogc/collections/{collection}/items", params=asked,
                              headers=headers)  # fmt: skip
        assert response.status_code == 422, (role, collection, asked, response.text)
        assert "not a queryable" in response.json()["detail"]
    schema = client.get("/ogc/collections/households/queryables", headers=headers).json()
    assert not {"name", "phone", "address", "room"} & set(schema["properties"])


def test_an_officers_filter_stays_in_their_area(
    client: TestClient,
    keys: dict[str, str],
    conn: Connection,
    own: Own,  # noqa: F811
) -> None:
    """Whatever the filter (an OR that holds everywhere, a circle over the whole city),
    the officer's area is ANDed with it."""
    officer = {"X-API-Key": keys["officer"]}
    mine = ids_in(conn, "households", own.id)
    url = "/ogc/collections/households/items"
    for asked in (
        "persons >= 0 OR persons < 0 OR persons IS NULL OR TRUE",
        "S_DWITHIN(geometry, POINT(111.36 35.62), 100000)",
        "NOT (unit_id = -1)",
    ):
        page = client.get(url, params={"filter": asked, "limit": 10_000}, headers=officer).json()
        assert {f["id"] for f in page["features"]} == mine, asked
        assert page["numberMatched"] == len(mine)
    theirs = ids_in(conn, "households", own.other)
    other_unit = conn.execute(text("SELECT unit_id FROM household WHERE id = :h"),
                              {"h": min(theirs)}).scalar_one()  # fmt: skip
    page = client.get(url, params={"filter": f"unit_id = {other_unit}"}, headers=officer).json()
    assert page["numberMatched"] == 0 and page["features"] == []


def test_sortby_pages_through_a_sorted_layer(client: TestClient, conn: Connection) -> None:
    """sortby=-persons,unit_id: following next links (by offset, never after) visits every
    household once, in the store's order for the same ORDER BY."""
    expected = [r[0] for r in conn.execute(text(
        f"SELECT id FROM ({HOUSEHOLDS}) AS l ORDER BY persons DESC, unit_id, id"))]  # fmt: skip
    url: str | None = "/ogc/collections/households/items?sortby=-persons,unit_id&limit=97"
    seen: list[int] = []
    pages = 0
    while url:
        page = get(client, url)
        assert page["numberMatched"] == len(expected)
        seen += [f["id"] for f in page["features"]]
        following = next((li for li in page["links"] if li["rel"] == "next"), None)
        assert following is None or ("after=" not in following["href"] and
                                     "offset=" in following["href"])  # fmt: skip
        url = local(following["href"]) if following else None
        pages += 1
    assert seen == expected and pages == -(-len(expected) // 97)
    # A "+" left unescaped in a URL is a space: still ascending.
    first = get(client, "/ogc/collections/households/items?sortby=+persons&limit=5")
    persons = [f["properties"]["persons"] for f in first["features"]]
    low = conn.execute(text(f"SELECT min(persons) FROM ({HOUSEHOLDS}) AS l")).scalar_one()
    assert persons == sorted(persons) and persons[0] == low


def test_sortby_with_a_filter_and_on_the_gaps(client: TestClient, conn: Connection) -> None:
    expected = [r[0] for r in conn.execute(text(
        f"SELECT id FROM ({HOUSEHOLDS}) AS l WHERE persons >= 3 "
        "ORDER BY distance_m DESC NULLS LAST, id"))]  # fmt: skip
    found = items(client, "households", filter="persons >= 3", sortby="-distance_m")
    assert [f["id"] for f in found] == expected
    # Empty values last, either way, on layers (SQL) and gaps (pandas) alike.
    distances = [f["properties"]["distance_m"] for f in found]
    assert None in distances and distances[-1] is None and distances[0] is not None
    gaps = items(client, "gap_areas", sortby="-households,type")
    counts = [f["properties"]["households"] for f in gaps]
    known = [n for n in counts if n is not None]
    assert counts == known + [None] * (len(counts) - len(known))
    assert known == sorted(known, reverse=True)
    assert len(gaps) == len(items(client, "gap_areas"))


def test_properties_choose_the_columns(client: TestClient, conn: Connection) -> None:
    chosen = items(client, "households", properties="persons,head_id", filter="persons > 2")
    assert chosen and all(set(f["properties"]) == {"persons", "head_id"} for f in chosen)
    assert all(f["geometry"]["type"] == "Point" and isinstance(f["id"], int) for f in chosen)
    assert sorted(f["id"] for f in chosen) == sql_ids(conn, "persons > 2")
    bare = items(client, "units", properties="")
    assert bare and all(f["properties"] == {} and f["geometry"] for f in bare)
    areas = items(client, "service_areas", properties="households")  # a two-column key
    assert all(set(f["properties"]) == {"households"} and "-" in f["id"] for f in areas)
    gaps = items(client, "gap_points", properties="label")
    assert gaps and all(set(f["properties"]) == {"label"} for f in gaps)
    page = client.get("/ogc/collections/households/items",
                      params={"properties": "persons", "f": "html", "limit": 3})  # fmt: skip
    assert page.status_code == 200 and "persons" in page.text and "unit_id" not in page.text


def test_a_filter_pages_by_key_with_next_links(client: TestClient, conn: Connection) -> None:
    """Filtered pages keep paging by ``after``; the filter rides along in the links."""
    expected = sql_ids(conn, "persons >= 2 AND head_id IS NOT NULL")
    url: str | None = (
        "/ogc/collections/households/items?limit=61&filter=persons%20%3E%3D%202%20AND%20"
        "head_id%20IS%20NOT%20NULL"
    )
    seen: list[int] = []
    while url:
        page = get(client, url)
        seen += [f["id"] for f in page["features"]]
        following = next((li for li in page["links"] if li["rel"] == "next"), None)
        assert following is None or ("after=" in following["href"] and
                                     "filter=" in following["href"])  # fmt: skip
        url = local(following["href"]) if following else None
    assert seen == expected


@pytest.mark.parametrize("bound", [100_000, 40])
def test_a_filters_pages_and_count_whether_its_matches_are_few_or_many(
    client: TestClient, conn: Connection, monkeypatch: pytest.MonkeyPatch, bound: int
) -> None:
    """Few matches (under FIND_FIRST_BELOW) are counted in the page's own scan; more,
    and the page walks the key's index and counts apart. Both give the store's rows
    and count, sorted or not, and an offset past the matches still counts them."""
    monkeypatch.setattr(layer_items, "FIND_FIRST_BELOW", bound)
    expected = sql_ids(conn, "persons >= 2")
    assert len(expected) > 40
    url = "/ogc/collections/households/items"
    first = get(client, url, filter="persons >= 2", limit=25)
    assert [f["id"] for f in first["features"]] == expected[:25]
    assert first["numberMatched"] == len(expected)
    by_size = [r[0] for r in conn.execute(text(
        f"SELECT id FROM ({HOUSEHOLDS}) AS l WHERE persons >= 2 ORDER BY persons DESC, id"
    ))]  # fmt: skip
    page = get(client, url, filter="persons >= 2", sortby="-persons", limit=25, offset=25)
    assert [f["id"] for f in page["features"]] == by_size[25:50]
    assert page["numberMatched"] == len(expected)
    past = get(client, url, filter="persons >= 2", limit=25, offset=len(expected) + 5)
    assert past["features"] == [] and past["numberMatched"] == len(expected)


def test_points_in_a_filter_and_a_bbox(client: TestClient) -> None:
    """A filter combines with bbox and with ?property=value filters (ANDed)."""
    stations = items(client, "stations")
    lon, lat = stations[0]["geometry"]["coordinates"]
    bbox = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    inside = {f["id"] for f in stations
              if box(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01).intersects(
                  Point(f["geometry"]["coordinates"]))}  # fmt: skip
    tier = stations[0]["properties"]["tier"]
    both = ids(client, "stations", bbox=bbox, filter=f"tier = '{tier}'")
    assert both == sorted(f["id"] for f in stations
                          if f["id"] in inside and f["properties"]["tier"] == tier)  # fmt: skip
    assert ids(client, "stations", bbox=bbox, tier=tier, filter="TRUE") == both


def test_openapi_documents_the_filter_parameters(client: TestClient) -> None:
    paths = get(client, "/openapi.json")["paths"]
    assert "/ogc/collections/{collection_id}/queryables" in paths
    names = {
        p["name"] for p in paths["/ogc/collections/{collection_id}/items"]["get"]["parameters"]
    }
    assert {"filter", "filter-lang", "filter-crs", "sortby", "properties"} <= names


def test_values_are_bound_never_written_into_the_sql() -> None:
    """Every literal (text, numbers, geometries, distances) is a bound parameter: the
    compiled SQL holds only quoted queryable columns, operators and placeholders."""
    queryables = {
        "reason": Queryable("reason", "string"),
        "persons": Queryable("persons", "integer"),
        "geometry": Queryable("geometry", "geometry"),
    }
    sneaky = "own'; DROP TABLE household; --"
    asked = (
        f"reason = '{sneaky.replace(chr(39), chr(39) * 2)}' OR persons IN (7, 8) OR "
        "S_DWITHIN(geometry, POINT(111.3 35.6), 250) OR reason LIKE 'n%'"
    )
    found = parse_filter(asked, "cql2-text")
    assert found is not None
    condition = compile_filter(found, queryables)
    for literal in ("DROP", "own", "250", "111.3", "n%", "7"):
        assert literal not in condition.sql, condition.sql
    values = list(condition.params.values())
    assert sneaky in values and [7, 8] in values and 250 in values and "n%" in values


def test_a_quote_in_a_filter_cannot_end_the_statement(client: TestClient, conn: Connection) -> None:
    asked = "reason = 'own''; DELETE FROM household; --'"
    assert ids(client, "households", filter=asked) == []
    assert conn.execute(text("SELECT count(*) FROM household")).scalar_one() > 0
