"""The OGC API's documents: landing page, conformance, collections and one collection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from geo_api.catalogue.layers import LAYER_BY_NAME, LAYERS
from geo_api.catalogue.scope import Area
from geo_api.errors import NotFoundError
from geo_api.ogc import gap_items
from geo_api.ogc.crs import CRS_URIS, STORAGE_CRS, Bbox
from geo_api.ogc.filtering.queryables import SCHEMA_JSON, queryables_document
from geo_api.ogc.layer_items import layer_extent
from geo_api.ogc.links import GEOJSON, HTML, JSON, link

FEATURES_3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    # Part 3 (filtering): /queryables, ?prop=value for each, filter on items.
    f"{FEATURES_3}queryables",
    f"{FEATURES_3}queryables-query-parameters",
    f"{FEATURES_3}filter",
    f"{FEATURES_3}features-filter",
    # CQL2: both encodings; comparisons, LIKE/IN/BETWEEN, and the eight spatial
    # functions on any geometry literal (geo_api.ogc.filtering.compile). Not claimed:
    # CASEI/ACCENTI, temporal and array functions, property-property comparisons,
    # arithmetic and custom functions, which it refuses, named.
    f"{CQL2}cql2-text",
    f"{CQL2}cql2-json",
    f"{CQL2}basic-cql2",
    f"{CQL2}advanced-comparison-operators",
    f"{CQL2}basic-spatial-functions",
    f"{CQL2}basic-spatial-functions-plus",
    f"{CQL2}spatial-functions",
    # sortby: Features has no published sorting part; this is OGC API - Records'
    # class for the same parameter, as GeoServer and pygeoapi declare it.
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
    # properties: the draft Part 6 (property selection).
    "http://www.opengis.net/spec/ogcapi-features-6/1.0/conf/property-selection",
]
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
# Every collection: the store's layers, then the computed gaps.
COLLECTIONS: dict[str, tuple[str, str]] = {
    **{layer.name: (layer.title_zh, layer.title_en) for layer in LAYERS},
    **gap_items.TITLES,
}


def landing(root: str, service: str) -> dict[str, Any]:
    """The landing page at ``root``: what the service is and where its parts are
    (``service`` is the root of the whole API, where its OpenAPI document is)."""
    return {
        "title": "gridgov 网格化治理 OGC API - Features",
        "description": "The grid governance layers of gridgov, without personal data.",
        "links": [
            link(f"{root}/", "self", JSON),
            link(f"{root}/?f=html", "alternate", HTML),
            link(f"{root}/conformance", "conformance", JSON, "Conformance classes"),
            link(f"{root}/collections", "data", JSON, "Collections"),
            # FastAPI writes OpenAPI 3.1, which says what the oas30 class asks for.
            link(
                f"{service}/openapi.json",
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.1",
                "The API definition",
            ),
            link(f"{service}/docs", "service-doc", HTML, "The API documentation"),
        ],
    }


def conformance() -> dict[str, Any]:
    """The conformance classes this service implements."""
    return {"conformsTo": CONFORMANCE}


def check_collection(collection_id: str) -> None:
    """NotFoundError naming an unknown collection and the known ones."""
    if collection_id not in COLLECTIONS:
        raise NotFoundError(f"no collection {collection_id!r}; known: {', '.join(COLLECTIONS)}")


def extent(conn: Connection, collection_id: str, area: Area | None = None) -> Bbox | None:
    """The collection's lon/lat bounds, from its data (in ``area``, if given)."""
    if collection_id in gap_items.NAMES:
        return gap_items.gap_extent(conn, area)
    return layer_extent(conn, LAYER_BY_NAME[collection_id], area)


def collection(
    conn: Connection, root: str, collection_id: str, area: Area | None = None
) -> dict[str, Any]:
    """One collection's description (its extent that of ``area``'s features, if given)."""
    check_collection(collection_id)
    title_zh, title_en = COLLECTIONS[collection_id]
    bounds = extent(conn, collection_id, area)
    base = f"{root}/collections/{collection_id}"
    return {
        "id": collection_id,
        "title": f"{title_zh} {title_en}",
        "description": title_en,
        "itemType": "feature",
        "crs": CRS_URIS,
        "storageCrs": STORAGE_CRS.uri,
        "extent": {
            "spatial": {
                "bbox": [list(bounds)] if bounds else [[-180.0, -90.0, 180.0, 90.0]],
                "crs": STORAGE_CRS.uri,
            }
        },
        "links": [
            link(base, "self", JSON),
            link(f"{base}?f=html", "alternate", HTML),
            link(f"{base}/items", "items", GEOJSON, f"{title_en} as GeoJSON"),
            link(f"{base}/items?f=html", "items", HTML, f"{title_en} as HTML"),
            link(f"{base}/queryables", QUERYABLES_REL, SCHEMA_JSON, "What to filter on"),
        ],
    }


def collections(conn: Connection, root: str, area: Area | None = None) -> dict[str, Any]:
    """Every collection's description."""
    return {
        "links": [
            link(f"{root}/collections", "self", JSON),
            link(f"{root}/collections?f=html", "alternate", HTML),
        ],
        "collections": [collection(conn, root, name, area) for name in COLLECTIONS],
        "crs": CRS_URIS,
    }


def queryables(conn: Connection, root: str, collection_id: str) -> dict[str, Any]:
    """A collection's queryables, as the JSON Schema of OGC API - Features Part 3."""
    check_collection(collection_id)
    title_zh, title_en = COLLECTIONS[collection_id]
    url = f"{root}/collections/{collection_id}/queryables"
    return queryables_document(conn, collection_id, f"{title_zh} {title_en}", url)
