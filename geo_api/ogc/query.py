"""What an items request asks for, checked, independent of where the items come from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.ogc.crs import CRS84, Bbox, Crs
from geo_api.ogc.filtering.parse import Filter

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
MAX_OFFSET = 2**31 - 1  # past any layer's rows; PostgreSQL's OFFSET is a bigint


@dataclass(frozen=True)
class ItemQuery:
    """A page of items: ``bbox`` is lon/lat in EPSG:4326, ``filters`` property = value,
    ``filter`` a CQL2 expression; ``sortby`` and ``properties`` as asked (checked
    against the collection's queryables where they are applied).

    ``after`` is the id of the previous page's last feature, as next links give it:
    the page then starts after that key (found through the key's index, as fast a
    million rows in as at the start), and ``offset`` only numbers the page. Sorted
    pages (``sortby``) go by offset instead: their order is not the key's."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: Bbox | None = None
    crs: Crs = CRS84
    filters: dict[str, str] = field(default_factory=dict)
    after: str | None = None
    filter: Filter | None = None
    sortby: str | None = None
    properties: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInputError(f"limit must be 1 to {MAX_LIMIT}, not {self.limit}")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise InvalidInputError(f"offset must be 0 to {MAX_OFFSET}, not {self.offset}")
        if self.after is not None and self.sorted:
            raise InvalidInputError(
                "after pages in the order of the features' ids, not with sortby: "
                "follow the next link (it pages a sorted answer by offset)"
            )

    @property
    def sorted(self) -> bool:
        """Whether the page is sorted by ``sortby`` (and so paged by offset)."""
        return bool(self.sortby and self.sortby.strip())


@dataclass
class Page:
    """Features of one page, and how many match the whole query (None on pages after
    the first reached by ``after``: counting a big layer again on each page would cost
    more than the page; the first page's count stands)."""

    features: list[dict[str, Any]]
    matched: int | None


def check_filters(collection: str, filters: dict[str, str], queryables: list[str]) -> None:
    """Refuse a filter on a property the collection does not have, naming it."""
    unknown = sorted(set(filters) - set(queryables))
    if unknown:
        raise InvalidInputError(
            f"collection {collection!r} has no property {', '.join(unknown)}; "
            f"filter on one of {', '.join(queryables)}"
        )


def feature_id(values: list[Any]) -> str | int:
    """The id of a feature from its key columns: an integer, or parts joined by '-'."""
    if len(values) == 1 and isinstance(values[0], int):
        return values[0]
    return "-".join(str(v) for v in values)


def after_values(collection: str, after: str, types: list[type]) -> list[Any]:
    """The key values of an ``after`` cursor; a 422 naming it when it is no feature id."""
    try:
        return split_id(collection, after, types)
    except NotFoundError:
        raise InvalidInputError(
            f"after={after!r} is not a feature id of {collection!r}: follow the next link"
        ) from None


def split_id(collection: str, fid: str, types: list[type]) -> list[Any]:
    """A feature id back into its key values; NotFoundError names it when it cannot be one."""
    parts = fid.split("-", len(types) - 1) if len(types) > 1 else [fid]
    try:
        if len(parts) != len(types):
            raise ValueError(fid)
        return [kind(part) for kind, part in zip(types, parts, strict=True)]
    except ValueError:
        raise NotFoundError(f"collection {collection!r} has no feature {fid!r}") from None
