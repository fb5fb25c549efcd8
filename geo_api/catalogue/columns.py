"""A layer's property columns and their PostgreSQL types, read from its query.

The OGC API types its filters with them and exports their files' fields, so a
column added to a layer's SQL needs no second declaration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo_api.catalogue.layers import Layer

# PostgreSQL type OIDs: smallint, integer, bigint; real, double, numeric; boolean;
# date, timestamp, timestamptz. Anything else (text, enums) reads as text.
INTEGER_TYPES = {21, 23, 20}
NUMBER_TYPES = {700, 701, 1700}
BOOLEAN_TYPES = {16}
DATE_TYPES = {1082}
TIMESTAMP_TYPES = {1114, 1184}


@dataclass(frozen=True)
class Column:
    """A property column of a layer and its PostgreSQL type OID."""

    name: str
    type_oid: int


# Read once a process: a layer's columns change only with the schema, and asking on
# every OGC items request cost a round trip and a plan of the layer's query.
_KNOWN: dict[Layer, list[Column]] = {}  # by the whole layer: variants share a name


def columns(conn: Connection, layer: Layer) -> list[Column]:
    """The layer's property columns (all but ``geom``), read from the query itself."""
    known = _KNOWN.get(layer)
    if known is not None:
        return known
    result = conn.execute(text(f"SELECT * FROM ({layer.sql}) AS l LIMIT 0"))  # noqa: S608
    # psycopg describes each column with its type OID (a DB-API tuple to the stubs).
    described: list[Any] = list(result.cursor.description) if result.cursor else []
    result.close()
    found = [Column(d[0], d[1]) for d in described if d[0] != "geom"]
    _KNOWN[layer] = found
    return found


def quoted(name: str) -> str:
    """A column name quoted for SQL."""
    return '"' + name.replace('"', '""') + '"'
