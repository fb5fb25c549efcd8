"""The items request's filtering parameters, read and checked before any SQL.

``filter`` is CQL2 text or CQL2 JSON (``filter-lang``), parsed by the ``cql2``
package (developmentseed's cql2-rs), which reports where the text goes wrong;
its JSON form is what geo_api.ogc.filtering.compile walks. ``sortby`` and
``properties`` are lists of queryables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import cql2

from geo_api.errors import InvalidInputError
from geo_api.ogc.crs import CRS84, Crs
from geo_api.ogc.filtering.queryables import Queryables, known

LANGS = ("cql2-text", "cql2-json")
MAX_FILTER = 20_000  # characters: far more than any hand-written or GDAL filter
MAX_DEPTH = 64  # brackets deep: the parser and the compiler recurse


@dataclass(frozen=True)
class Filter:
    """A parsed filter: the expression as CQL2 JSON, and the CRS of its geometries."""

    expression: Any  # a CQL2 JSON node: a dict, or a boolean
    crs: Crs = CRS84


@dataclass(frozen=True)
class SortKey:
    """One key of a ``sortby``: a queryable, descending or not."""

    name: str
    descending: bool = False


def _depth(value: str) -> int:
    depth = deepest = 0
    for ch in value:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


def _parse_error(lang: str, error: Exception) -> InvalidInputError:
    """A message saying where the filter goes wrong and what was expected there."""
    message = str(error)
    where = re.search(r"-->\s*(\d+):(\d+)", message)
    expected = re.search(r"=\s*(expected .*)", message)
    if where:
        line, column = where.groups()
        found = f" at line {line}, column {column}"
        return InvalidInputError(
            f"filter is not {lang}{found}" + (f": {expected.group(1)}" if expected else "")
        )
    return InvalidInputError(f"filter is not {lang}: {message.splitlines()[0][:300]}")


def parse_filter(value: str | None, lang: str | None, crs: Crs = CRS84) -> Filter | None:
    """The ``filter`` parameter in ``filter-lang`` (cql2-text when absent), or None."""
    if value is None or value.strip() == "":
        return None
    lang = lang or "cql2-text"
    if lang not in LANGS:
        raise InvalidInputError(f"filter-lang {lang!r} is not supported; use one of {LANGS}")
    if len(value) > MAX_FILTER:
        raise InvalidInputError(f"filter is longer than {MAX_FILTER:,} characters")
    if _depth(value) > MAX_DEPTH:
        raise InvalidInputError(f"filter nests deeper than {MAX_DEPTH} levels")
    # cql2 reads the grammar (text) or the structure (JSON); what may be asked of a
    # collection is checked node by node when the filter is compiled
    # (geo_api.ogc.filtering.compile), against its queryables and with every literal's
    # type, which is narrower than CQL2's JSON Schema. cql2's own validate() checks the
    # schema too, but compiles it anew on every call: 50 ms a request, more than the
    # query it guards.
    try:
        expr = cql2.parse_text(value) if lang == "cql2-text" else cql2.parse_json(value)
    except cql2.ParseError as error:
        raise _parse_error(lang, error) from None
    return Filter(expr.to_json(), crs)


def _names(value: str) -> list[str]:
    return [part.strip() for part in value.split(",")]


def parse_sortby(value: str | None, queryables: Queryables) -> tuple[SortKey, ...]:
    """``sortby=+a,-b``: queryables (not the geometry), ``-`` for descending. A ``+``
    left unescaped in a URL arrives as a space, which reads as ``+``."""
    if value is None or value.strip() == "":
        return ()
    keys: list[SortKey] = []
    for part in _names(value):
        descending = part.startswith("-")
        name = part.lstrip("+-").strip()
        known(queryables, name, "sortby")
        if any(k.name == name for k in keys):
            raise InvalidInputError(f"sortby names {name!r} twice")
        keys.append(SortKey(name, descending))
    return tuple(keys)


def parse_properties(value: str | None, queryables: Queryables) -> tuple[str, ...] | None:
    """``properties=a,b``: the properties to return (None: all); the geometry and the
    feature's id are always returned, and an empty value asks for no properties."""
    if value is None:
        return None
    if value.strip() == "":
        return ()
    names = _names(value)
    for name in names:
        known(queryables, name, "properties")
    return tuple(dict.fromkeys(names))
