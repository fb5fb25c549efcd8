"""What a collection can be filtered, sorted and selected on (OGC API - Features Part 3).

A store layer's queryables are its published columns, typed from the layer's own
query (geo_api.catalogue.columns), and its geometry as ``geometry``; a gap
collection's are the gap finder's columns. Nothing else can be named in a filter,
a sortby or a properties list: the layers carry no personal data (no names,
phones, addresses or rooms), so a filter on a person's name is refused as an
unknown property for every role instead of being answered for some.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from geo_api.catalogue.columns import (
    BOOLEAN_TYPES,
    DATE_TYPES,
    INTEGER_TYPES,
    NUMBER_TYPES,
    TIMESTAMP_TYPES,
    columns,
)
from geo_api.catalogue.layers import LAYER_BY_NAME, Layer
from geo_api.errors import InvalidInputError
from geo_api.gaps.finder import COLUMNS, GAP_LAYERS

GEOMETRY = "geometry"  # the geometry's queryable name, as GeoJSON names the member
SCHEMA_JSON = "application/schema+json"
# JSON Schema's format for each geometry type a collection declares (Part 3, 6.2).
GEOMETRY_FORMATS = {
    "Point": "geometry-point",
    "MultiPoint": "geometry-multipoint",
    "LineString": "geometry-linestring",
    "MultiLineString": "geometry-multilinestring",
    "Polygon": "geometry-polygon",
    "MultiPolygon": "geometry-multipolygon",
}
# The gap finder's columns (geo_api.gaps.finder.COLUMNS) and their types.
# The gap finder's columns: counts and ids are whole numbers, the rest text.
GAP_INTEGERS = {"ref_id", "households", "persons"}
GAP_KINDS = {c: "integer" if c in GAP_INTEGERS else "string" for c in COLUMNS if c != GEOMETRY}


@dataclass(frozen=True)
class Queryable:
    """One queryable: its name and kind (integer, number, string, boolean, date,
    date-time or geometry)."""

    name: str
    kind: str

    @property
    def is_geometry(self) -> bool:
        """Whether this is the collection's geometry."""
        return self.kind == "geometry"

    def schema(self, geometry_type: str) -> dict[str, Any]:
        """The property's JSON Schema."""
        if self.is_geometry:
            return {
                "title": "geometry",
                "format": GEOMETRY_FORMATS.get(geometry_type, "geometry-any"),
                "x-ogc-role": "primary-geometry",
            }
        out: dict[str, Any] = {"title": self.name}
        if self.kind in ("date", "date-time"):
            out.update(type="string", format=self.kind)
        else:
            out["type"] = self.kind
        return out


Queryables = dict[str, Queryable]


def _kind(type_oid: int) -> str:
    for kind, oids in (
        ("integer", INTEGER_TYPES),
        ("number", NUMBER_TYPES),
        ("boolean", BOOLEAN_TYPES),
        ("date", DATE_TYPES),
        ("date-time", TIMESTAMP_TYPES),
    ):
        if type_oid in oids:
            return kind
    return "string"  # text, varchar and enums


def layer_queryables(conn: Connection, layer: Layer) -> Queryables:
    """A store layer's queryables: its columns, then its geometry."""
    found = {c.name: Queryable(c.name, _kind(c.type_oid)) for c in columns(conn, layer)}
    found[GEOMETRY] = Queryable(GEOMETRY, "geometry")
    return found


def gap_queryables() -> Queryables:
    """A gap collection's queryables: the gap finder's columns and the geometry."""
    found = {name: Queryable(name, kind) for name, kind in GAP_KINDS.items()}
    found[GEOMETRY] = Queryable(GEOMETRY, "geometry")
    return found


def collection_queryables(conn: Connection, collection_id: str) -> Queryables:
    """The queryables of any collection (its id checked by the caller)."""
    if collection_id in GAP_LAYERS:
        return gap_queryables()
    return layer_queryables(conn, LAYER_BY_NAME[collection_id])


def geometry_type(collection_id: str) -> str:
    """The one geometry type a collection declares."""
    if collection_id in GAP_LAYERS:
        return GAP_LAYERS[collection_id][0]
    return LAYER_BY_NAME[collection_id].geometry


def queryables_document(
    conn: Connection, collection_id: str, title: str, url: str
) -> dict[str, Any]:
    """The queryables resource: a JSON Schema of every queryable (Part 3, 6.2)."""
    kind = geometry_type(collection_id)
    found = collection_queryables(conn, collection_id)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": title,
        "properties": {name: q.schema(kind) for name, q in found.items()},
        # Only these can be filtered on: anything else is refused, named.
        "additionalProperties": False,
    }


def known(queryables: Queryables, name: str, what: str, geometry: bool = False) -> Queryable:
    """The queryable ``name``, or an error naming it, where (``what``) and the known
    ones; the geometry only where ``geometry`` allows it."""
    found = queryables.get(name)
    if found is None or (found.is_geometry and not geometry):
        names = [q for q, v in queryables.items() if geometry or not v.is_geometry]
        raise InvalidInputError(
            f"{what}: {name!r} is not a queryable of this collection; use one of "
            f"{', '.join(names)} (see its /queryables)"
        )
    return found
