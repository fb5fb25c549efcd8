"""Items of any collection: a store layer (in SQL) or the gaps (computed)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection

from geo_api.catalogue.layers import LAYER_BY_NAME
from geo_api.catalogue.scope import Area
from geo_api.errors import InvalidInputError
from geo_api.generations.layers import layer_on
from geo_api.ogc import gap_items
from geo_api.ogc.collections import check_collection
from geo_api.ogc.crs import Crs
from geo_api.ogc.layer_items import layer_item, layer_items
from geo_api.ogc.links import GEOJSON, JSON, link, page_links, self_links
from geo_api.ogc.query import ItemQuery, Page


def page(
    conn: Connection,
    collection_id: str,
    query: ItemQuery,
    area: Area | None = None,
    day: date | None = None,
) -> Page:
    """One page of a collection's features (those in ``area``, if given; with ``day``,
    an area layer's boundaries in force then, geo_api.generations)."""
    check_collection(collection_id)
    if collection_id in gap_items.NAMES:
        if day is not None:
            raise InvalidInputError(f"datetime: {collection_id} are today's gaps only")
        return gap_items.gap_items(conn, collection_id, query, area)
    return layer_items(conn, layer_on(conn, LAYER_BY_NAME[collection_id], day), query, area)


def feature(
    conn: Connection, collection_id: str, fid: str, crs: Crs, area: Area | None = None
) -> dict[str, Any]:
    """One feature of a collection by its id; not found outside ``area``."""
    check_collection(collection_id)
    if collection_id in gap_items.NAMES:
        return gap_items.gap_item(conn, collection_id, fid, crs, area)
    return layer_item(conn, LAYER_BY_NAME[collection_id], fid, crs, area)


def feature_collection(
    conn: Connection,
    collection_id: str,
    query: ItemQuery,
    url: str,
    root: str,
    area: Area | None = None,
    day: date | None = None,
) -> dict[str, Any]:
    """The items document: a GeoJSON FeatureCollection with counts and paging links
    (``url`` is the request's own, ``root`` the OGC API's)."""
    found = page(conn, collection_id, query, area, day)
    returned = len(found.features)
    # Sorted pages go by offset: the last id says nothing of where a sorted page ends.
    last = found.features[-1]["id"] if found.features and not query.sorted else None
    counts = {"numberReturned": returned}
    if found.matched is not None:  # pages reached by ``after`` are not counted again
        counts = {"numberMatched": found.matched, **counts}
    return {
        "type": "FeatureCollection",
        **counts,
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": [
            *self_links(url, GEOJSON),
            *page_links(url, query.offset, query.limit, returned, found.matched, last),
            link(f"{root}/collections/{collection_id}", "collection", JSON),
        ],
        "features": found.features,
    }


def feature_document(
    conn: Connection,
    collection_id: str,
    fid: str,
    crs: Crs,
    url: str,
    root: str,
    area: Area | None = None,
) -> dict[str, Any]:
    """The item document: one GeoJSON Feature with its links."""
    found = feature(conn, collection_id, fid, crs, area)
    found["links"] = [
        *self_links(url, GEOJSON),
        link(f"{root}/collections/{collection_id}", "collection", JSON),
    ]
    return found
