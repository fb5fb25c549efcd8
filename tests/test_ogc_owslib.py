"""owslib's OGCAPIFeatures, a client planners script with, against gridgov's OGC API
over real HTTP: conformance, queryables, and CQL2 filters in both encodings answered
as the store answers them."""

from __future__ import annotations

import json

from owslib.ogcapi.features import Features
from sqlalchemy import Engine, text

from geo_api.catalogue.layers import LAYER_BY_NAME
from tests import browser

HOUSEHOLDS = LAYER_BY_NAME["households"].sql


def features(live_server: str) -> Features:
    return Features(f"{live_server}/ogc", headers={"X-API-Key": browser.API_KEY})


def test_owslib_reads_conformance_and_queryables(live_server: str) -> None:
    api = features(live_server)
    classes = api.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in classes
    queryables = api.collection_queryables("households")
    assert {"persons", "unit_id", "geometry"} <= set(queryables["properties"])
    assert "households" in api.feature_collections()


def test_owslib_filters_in_cql2_text_and_json(live_server: str, engine: Engine) -> None:
    with engine.connect() as conn:
        expected = [r[0] for r in conn.execute(text(
            f"SELECT id FROM ({HOUSEHOLDS}) AS l WHERE persons BETWEEN 2 AND 3 "
            "AND reason IS NOT NULL ORDER BY id"))]  # fmt: skip
    assert expected
    api = features(live_server)
    asked = {"filter-lang": "cql2-text", "limit": 10_000}
    found = api.collection_items(
        "households", filter="persons BETWEEN 2 AND 3 AND reason IS NOT NULL", **asked
    )
    assert found["numberMatched"] == len(expected)
    assert sorted(f["id"] for f in found["features"]) == expected
    cql2_json = {"op": "and", "args": [
        {"op": "between", "args": [{"property": "persons"}, 2, 3]},
        {"op": "not", "args": [{"op": "isNull", "args": [{"property": "reason"}]}]},
    ]}  # fmt: skip
    again = api.collection_items(
        "households", filter=json.dumps(cql2_json), limit=10_000, **{"filter-lang": "cql2-json"}
    )
    assert sorted(f["id"] for f in again["features"]) == expected
