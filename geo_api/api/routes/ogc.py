"""OGC API - Features (Parts 1, 2 and 3) under /ogc: thin routes over geo_api.ogc.

An officer's key sees the features of their own community (or grid) only.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from geo_api.api.deps import AreaDep, Read
from geo_api.generations.layers import parse_instant
from geo_api.ogc import collections as docs
from geo_api.ogc import html
from geo_api.ogc.crs import CRS_URIS, parse_bbox, parse_crs
from geo_api.ogc.features import feature_collection, feature_document
from geo_api.ogc.filtering.parse import LANGS, MAX_FILTER, parse_filter
from geo_api.ogc.filtering.queryables import SCHEMA_JSON
from geo_api.ogc.query import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, ItemQuery

router = APIRouter(prefix="/ogc", tags=["ogc"])

Format = Annotated[Literal["json", "html"], Query(description="json (default) or html")]
CRS_HELP = f"the CRS of the answer's coordinates: {', '.join(CRS_URIS)} (CRS84 by default)"
# Parameters of the items request; any other is a filter on a property.
ITEM_PARAMETERS = {"f", "limit", "offset", "after", "bbox", "bbox-crs", "crs"} | {
    "filter",
    "filter-lang",
    "filter-crs",
    "sortby",
    "properties",
    "datetime",
}
OPENAPI_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/html": {}}}
}
OPENAPI_GEOJSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/geo+json": {}, "text/html": {}}}
}


def _service(request: Request) -> str:
    """The service's root URL: GEO_API_PUBLIC_URL, else the (trusted) Host asked."""
    public: str | None = request.app.state.gate.settings.public_url
    return public.rstrip("/") if public else str(request.base_url).rstrip("/")


def _roots(request: Request) -> tuple[str, str]:
    """The OGC API's root URL and the whole service's."""
    service = _service(request)
    return f"{service}/ogc", service


def _asked(request: Request) -> str:
    """The URL asked, under the service's root URL (for self and paging links)."""
    query = request.url.query
    return _service(request) + request.url.path + (f"?{query}" if query else "")


def _answer(
    doc: dict[str, Any], f: str, page: str, media_type: str = "application/json"
) -> Response:
    if f == "html":
        return HTMLResponse(page)
    return JSONResponse(doc, media_type=media_type)


@router.get("/", response_class=Response, responses=OPENAPI_JSON)
def landing(request: Request, f: Format = "json") -> Response:
    """The landing page of the OGC API - Features service."""
    doc = docs.landing(*_roots(request))
    return _answer(doc, f, html.landing_page(doc) if f == "html" else "")


@router.get("/conformance", response_class=Response, responses=OPENAPI_JSON)
def conformance(f: Format = "json") -> Response:
    """The conformance classes implemented: Part 1 core, OpenAPI, HTML, GeoJSON; Part 2 crs."""
    doc = docs.conformance()
    return _answer(doc, f, html.conformance_page(doc) if f == "html" else "")


@router.get("/collections", response_class=Response, responses=OPENAPI_JSON)
def collections(request: Request, read: Read, area: AreaDep, f: Format = "json") -> Response:
    """Every collection: the store's layers without personal data, and the gaps."""
    with read() as conn:
        doc = docs.collections(conn, _roots(request)[0], area)
    return _answer(doc, f, html.collections_page(doc) if f == "html" else "")


@router.get("/collections/{collection_id}", response_class=Response, responses=OPENAPI_JSON)
def collection(
    request: Request, read: Read, area: AreaDep, collection_id: str, f: Format = "json"
) -> Response:
    """One collection: its titles, extent, CRS and links."""
    with read() as conn:
        doc = docs.collection(conn, _roots(request)[0], collection_id, area)
    return _answer(doc, f, html.collection_page(doc) if f == "html" else "")


@router.get(
    "/collections/{collection_id}/items", response_class=Response, responses=OPENAPI_GEOJSON
)
def items(
    request: Request,
    read: Read,
    area: AreaDep,
    collection_id: str,
    # Documented with its maximum (GDAL pages by it) but not refused above it: OGC API
    # Features (/req/core/fc-limit-response-1) asks for the maximum to be used instead.
    limit: Annotated[
        int,
        Query(
            ge=1,
            json_schema_extra={"maximum": MAX_LIMIT},
            description=f"features a page, at most {MAX_LIMIT} (more is taken as {MAX_LIMIT})",
        ),
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    after: Annotated[
        str | None,
        Query(
            max_length=100,
            description="the last feature id of the page before, as next links give it: "
            "pages by key, as fast deep into a big layer as at its start",
        ),
    ] = None,
    bbox: Annotated[
        str | None, Query(description="minx,miny,maxx,maxy in bbox-crs (CRS84 by default)")
    ] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", description=CRS_HELP)] = None,
    crs: Annotated[str | None, Query(description=CRS_HELP)] = None,
    filter_: Annotated[
        str | None,
        Query(
            alias="filter",
            max_length=MAX_FILTER,
            description="a CQL2 filter in filter-lang on the queryables "
            "(/collections/{id}/queryables), e.g. persons > 3 AND reason LIKE 'own%' "
            "or S_DWITHIN(geometry, POINT(111.36 35.61), 300) (metres)",
        ),
    ] = None,
    filter_lang: Annotated[
        Literal["cql2-text", "cql2-json"] | None,
        Query(alias="filter-lang", description=f"{' or '.join(LANGS)} (cql2-text by default)"),
    ] = None,
    filter_crs: Annotated[
        str | None,
        Query(alias="filter-crs", description="the CRS of the filter's geometries: " + CRS_HELP),
    ] = None,
    sortby: Annotated[
        str | None,
        Query(
            max_length=1000,
            description="queryables to sort by, -name for descending: sortby=-persons,unit_id; "
            "sorted pages' next links go by offset",
        ),
    ] = None,
    properties: Annotated[
        str | None,
        Query(
            max_length=1000,
            description="the properties to return, comma-separated (the id and the "
            "geometry always come)",
        ),
    ] = None,
    when: Annotated[
        str | None,
        Query(
            alias="datetime",
            max_length=60,
            description="streets, communities, grids, compounds: a date or date-time "
            "(2025-06-01); the boundaries in force that day",
        ),
    ] = None,
    f: Format = "json",
) -> Response:
    """A page of features, filtered by ``filter`` (CQL2), ``bbox`` and any other query
    parameter naming a property (equality: ``?tier=community``); an unknown property
    is refused, named. An officer's area is always ANDed in."""
    out_crs = parse_crs(crs)
    query = ItemQuery(
        limit=min(limit, MAX_LIMIT),
        offset=offset,
        after=after,
        bbox=parse_bbox(bbox, parse_crs(bbox_crs, "bbox-crs")),
        crs=out_crs,
        filters={k: v for k, v in request.query_params.items() if k not in ITEM_PARAMETERS},
        filter=parse_filter(filter_, filter_lang, parse_crs(filter_crs, "filter-crs")),
        sortby=sortby,
        properties=properties,
    )
    root = _roots(request)[0]
    with read() as conn:
        day = parse_instant(when)
        doc = feature_collection(conn, collection_id, query, _asked(request), root, area, day)
    page = html.items_page(docs.COLLECTIONS[collection_id][1], doc) if f == "html" else ""
    response = _answer(doc, f, page, "application/geo+json")
    response.headers["Content-Crs"] = f"<{out_crs.uri}>"
    return response


@router.get(
    "/collections/{collection_id}/queryables",
    response_class=Response,
    responses={200: {"content": {SCHEMA_JSON: {}}}},
)
def queryables(request: Request, read: Read, collection_id: str) -> Response:
    """What a collection's items can be filtered, sorted and selected on: a JSON Schema
    of each property (OGC API - Features Part 3); the same for every role."""
    with read() as conn:
        doc = docs.queryables(conn, _roots(request)[0], collection_id)
    return JSONResponse(doc, media_type=SCHEMA_JSON)


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    response_class=Response,
    responses=OPENAPI_GEOJSON,
)
def item(
    request: Request,
    read: Read,
    area: AreaDep,
    collection_id: str,
    feature_id: str,
    crs: Annotated[str | None, Query(description=CRS_HELP)] = None,
    f: Format = "json",
) -> Response:
    """One feature by its id."""
    out_crs = parse_crs(crs)
    root = _roots(request)[0]
    with read() as conn:
        doc = feature_document(
            conn, collection_id, feature_id, out_crs, _asked(request), root, area
        )
    page = html.item_page(docs.COLLECTIONS[collection_id][1], doc) if f == "html" else ""
    response = _answer(doc, f, page, "application/geo+json")
    response.headers["Content-Crs"] = f"<{out_crs.uri}>"
    return response
