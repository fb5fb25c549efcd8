"""Plain HTML pages of the OGC API documents: readable in a browser, no CDN.

The pages of a collection, a page of items and an item carry a small map preview
(geo_api.ogc.preview: Leaflet served by gridgov); the others have no script.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from geo_api.ogc.preview import PREVIEW_STYLE, extent_map, features_map

STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:80em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
    + PREVIEW_STYLE
)


def _page(title: str, body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{STYLE}</style>{head}</head><body><h1>{escape(title)}</h1>{body}"
        "</body></html>"
    )


def _links(links: list[dict[str, Any]]) -> str:
    items = "".join(
        f'<li><a href="{escape(li["href"])}">{escape(li.get("title") or li["rel"])}</a>'
        f" ({escape(li['rel'])}, {escape(li['type'])})</li>"
        for li in links
    )
    return f"<ul>{items}</ul>"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def landing_page(doc: dict[str, Any]) -> str:
    """The landing page."""
    return _page(doc["title"], f"<p>{escape(doc['description'])}</p>{_links(doc['links'])}")


def conformance_page(doc: dict[str, Any]) -> str:
    """The conformance classes."""
    items = "".join(f"<li>{escape(uri)}</li>" for uri in doc["conformsTo"])
    return _page("Conformance", f"<ul>{items}</ul>")


def collections_page(doc: dict[str, Any]) -> str:
    """Every collection, each linked to its items."""
    rows = [
        [c["id"], c["title"], ", ".join(f"{v:.5f}" for v in c["extent"]["spatial"]["bbox"][0])]
        for c in doc["collections"]
    ]
    links = "".join(
        f'<li><a href="{escape(c["links"][3]["href"])}">{escape(c["title"])}</a></li>'
        for c in doc["collections"]
    )
    return _page(
        "Collections", _table(["id", "title", "extent (CRS84)"], rows) + f"<ul>{links}</ul>"
    )


def collection_page(doc: dict[str, Any]) -> str:
    """One collection."""
    bbox = ", ".join(f"{v:.5f}" for v in doc["extent"]["spatial"]["bbox"][0])
    crs = "".join(f"<li>{escape(uri)}</li>" for uri in doc["crs"])
    head, preview = extent_map(doc["extent"]["spatial"]["bbox"][0])
    return _page(
        doc["title"],
        f"<p>Extent (CRS84): {bbox}</p>{preview}<p>CRS:</p><ul>{crs}</ul>{_links(doc['links'])}",
        head,
    )


def _feature_rows(features: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    columns: list[str] = []
    for f in features:
        columns += [k for k in f["properties"] if k not in columns]
    rows = [
        [f["id"], *(f["properties"].get(c) for c in columns), f["geometry"]["type"]]
        for f in features
        if f.get("geometry")
    ]
    return ["id", *columns, "geometry"], rows


def items_page(title: str, doc: dict[str, Any]) -> str:
    """A page of features as a table, with the paging links."""
    header, rows = _feature_rows(doc["features"])
    counts = (
        f"<p>{doc['numberReturned']} of {doc.get('numberMatched', 'the')} features "
        f"(at {escape(doc['timeStamp'])})</p>"
    )
    head, preview = features_map(doc, doc["links"])
    return _page(title, counts + preview + _links(doc["links"]) + _table(header, rows), head)


def item_page(title: str, doc: dict[str, Any]) -> str:
    """One feature: its properties and geometry."""
    rows = [[k, v] for k, v in doc["properties"].items()]
    geometry = escape(json.dumps(doc["geometry"], ensure_ascii=False)[:2000])
    head, preview = features_map({"type": "FeatureCollection", "features": [doc]}, doc["links"])
    return _page(
        f"{title}: {doc['id']}",
        preview
        + _table(["property", "value"], rows)
        + f"<pre>{geometry}</pre>"
        + _links(doc["links"]),
        head,
    )
