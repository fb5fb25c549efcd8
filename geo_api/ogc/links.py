"""Links of OGC API documents: absolute URLs built from the service's root."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, Any]:
    """One link object."""
    out: dict[str, Any] = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def with_query(url: str, **changes: str | int | None) -> str:
    """``url`` with query parameters set (or removed when None), others kept in order."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in changes]
    params += [(k, str(v)) for k, v in changes.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(params)))


def asked_format(url: str) -> str | None:
    """The ``f`` parameter of ``url``, if any."""
    return dict(parse_qsl(urlsplit(url).query)).get("f")


def self_links(url: str, json_type: str = JSON) -> list[dict[str, Any]]:
    """self and alternate links of a document offered as JSON and HTML (``url`` as asked)."""
    asked = asked_format(url)
    html = with_query(url, f="html")
    data = with_query(url, f="json" if asked else None)
    if asked == "html":
        return [link(html, "self", HTML), link(data, "alternate", json_type)]
    return [link(data, "self", json_type), link(html, "alternate", HTML)]


def page_links(
    url: str,
    offset: int,
    limit: int,
    returned: int,
    matched: int | None,
    last: str | int | None = None,
) -> list[dict[str, Any]]:
    """next (only when more) and prev links of a page of items. With the id of the
    page's ``last`` feature, next pages by key (``after``), the offset numbering it;
    without a count (pages reached by ``after``), a full page has a next."""
    fmt = HTML if asked_format(url) == "html" else GEOJSON
    out = []
    more = returned == limit if matched is None else offset + returned < matched
    if more:
        after = str(last) if last is not None else None
        following = with_query(url, offset=offset + limit, limit=limit, after=after)
        out.append(link(following, "next", fmt))
    if offset > 0:
        before = with_query(url, offset=max(0, offset - limit), limit=limit, after=None)
        out.append(link(before, "prev", fmt))
    return out
