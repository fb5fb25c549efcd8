"""A CQL2 expression (its JSON form) as a SQL condition over a collection's row ``l``.

Only queryables can be named: each becomes its quoted column, and every value,
geometry and distance is a bound parameter (``:cq0``, ``:cq1``...), typed from the
queryable it is compared with, so a wrong type is a message naming the property,
never an error of the database. What is supported: comparisons, LIKE, IN, BETWEEN,
IS NULL, AND/OR/NOT (Basic CQL2 and Advanced Comparison Operators), the eight
spatial functions of CQL2 (S_INTERSECTS, S_WITHIN, ... S_EQUALS) and S_DWITHIN in
metres, measured on the spheroid (geography) after the spatial index has narrowed
the candidates with a box of degrees that surely holds them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import shapely

from geo_api.errors import InvalidInputError
from geo_api.ogc.filtering.literals import degrees_around, is_geometry, lonlat
from geo_api.ogc.filtering.parse import MAX_DEPTH, Filter
from geo_api.ogc.filtering.queryables import Queryable, Queryables, known

COMPARISONS = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
SPATIAL = {
    "s_intersects": "ST_Intersects",
    "s_disjoint": "ST_Disjoint",
    "s_contains": "ST_Contains",
    "s_within": "ST_Within",
    "s_touches": "ST_Touches",
    "s_crosses": "ST_Crosses",
    "s_overlaps": "ST_Overlaps",
    "s_equals": "ST_Equals",
}
MAX_DWITHIN_M = 1_000_000.0
SUPPORTED = (
    "=, <>, <, <=, >, >=, LIKE, IN, BETWEEN, IS NULL, AND, OR, NOT, "
    f"{', '.join(s.upper() for s in SPATIAL)}, S_DWITHIN"
)


def column_of(queryable: Queryable) -> str:
    """The SQL of a queryable over the row ``l``: its quoted column, ``l.geom`` for
    the geometry."""
    if queryable.is_geometry:
        return "l.geom"
    return 'l."' + queryable.name.replace('"', '""') + '"'


@dataclass
class Condition:
    """A compiled filter: SQL over ``l`` and the values it binds."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)


def _is_property(node: Any) -> bool:
    return isinstance(node, dict) and "property" in node


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        if "op" in value:
            return f"the expression {str(value['op']).upper()}(...)"
        return next(iter(value), "an expression")
    return repr(value)


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


class _Compiler:
    def __init__(self, queryables: Queryables, found: Filter, column: Callable[[Queryable], str]):
        self.queryables = queryables
        self.crs = found.crs
        self.column = column
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"cq{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def node(self, node: Any, depth: int = 0) -> str:
        if depth > MAX_DEPTH:
            raise InvalidInputError(f"filter nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, bool):
            return "TRUE" if node else "FALSE"
        if not isinstance(node, dict) or "op" not in node:
            raise InvalidInputError(
                f"filter: {_describe(node)} is a value where a condition is expected"
            )
        op = str(node["op"]).lower()
        args: list[Any] = list(node.get("args") or [])
        if op in ("and", "or"):
            if not args:
                raise InvalidInputError(f"filter: {op.upper()} needs conditions to join")
            parts = [self.node(arg, depth + 1) for arg in args]
            return "(" + f" {op.upper()} ".join(parts) + ")"
        if op == "not":
            self.arity(op, args, 1)
            return f"(NOT {self.node(args[0], depth + 1)})"
        if op in COMPARISONS:
            return self.compare(op, args)
        if op == "like":
            return self.like(args)
        if op == "in":
            return self.in_list(args)
        if op == "between":
            return self.between(args)
        if op == "isnull":
            self.arity("IS NULL", args, 1)
            return f"({self.column(self.prop(args[0], 'IS NULL', geometry=True))} IS NULL)"
        if op in SPATIAL:
            return self.spatial(op, args)
        if op == "s_dwithin":
            return self.dwithin(args)
        raise InvalidInputError(f"filter: {op.upper()} is not supported; use {SUPPORTED}")

    @staticmethod
    def arity(op: str, args: list[Any], count: int) -> None:
        if len(args) != count:
            raise InvalidInputError(
                f"filter: {op.upper()} takes {count} arguments, not {len(args)}"
            )

    def prop(self, node: Any, op: str, geometry: bool = False) -> Queryable:
        if isinstance(node, dict) and "op" in node:
            raise InvalidInputError(
                f"filter: {_describe(node)} is not supported (no functions or arithmetic); "
                f"{op.upper()} compares a property with a value"
            )
        if not _is_property(node):
            raise InvalidInputError(
                f"filter: {op.upper()} needs a property here, not {_describe(node)}"
            )
        return known(self.queryables, str(node["property"]), "filter", geometry)

    def value(self, queryable: Queryable, value: Any) -> Any:
        """A literal as the queryable's type, or an error naming both."""
        kind = queryable.kind
        if kind in ("integer", "number") and _number(value):
            if not math.isfinite(value):
                raise InvalidInputError(f"filter: {queryable.name!r} compared with {value}")
            return int(value) if kind == "integer" and float(value).is_integer() else value
        if kind == "string" and isinstance(value, str):
            if "\x00" in value:
                raise InvalidInputError(f"filter: the text for {queryable.name!r} holds a NUL")
            return value
        if kind == "boolean" and isinstance(value, bool):
            return value
        if kind in ("date", "date-time"):
            text = value.get("date") or value.get("timestamp") if isinstance(value, dict) else value
            if isinstance(text, str):
                try:
                    if len(text) == 10:
                        return date.fromisoformat(text)
                    return datetime.fromisoformat(text)
                except ValueError:
                    pass
        raise InvalidInputError(
            f"filter: {queryable.name!r} is {_a(kind)} property; "
            f"{_describe(value)} is not {_a(kind)}"
        )

    def scalar(self, queryable: Queryable, op: str) -> str:
        if queryable.is_geometry:
            raise InvalidInputError(
                f"filter: {op.upper()} does not apply to the geometry; use a spatial function"
            )
        sql = self.column(queryable)
        # Text and enum columns compare as text, so any string is a fair question.
        return f"{sql}::text" if queryable.kind == "string" else sql

    def compare(self, op: str, args: list[Any]) -> str:
        self.arity(op, args, 2)
        left, right = args
        if not _is_property(left) and _is_property(right):
            left, right, op = right, left, FLIPPED[op]
        queryable = self.prop(left, op, geometry=True)
        if _is_property(right):
            raise InvalidInputError(f"filter: compare {queryable.name!r} with a value")
        sql = self.scalar(queryable, op)
        return f"({sql} {COMPARISONS[op]} {self.bind(self.value(queryable, right))})"

    def like(self, args: list[Any]) -> str:
        self.arity("LIKE", args, 2)
        queryable = self.prop(args[0], "LIKE", geometry=True)
        if queryable.kind != "string":
            raise InvalidInputError(
                f"filter: LIKE needs a text property; {queryable.name!r} is not text"
            )
        pattern = self.value(queryable, args[1])
        return f"({self.scalar(queryable, 'LIKE')} LIKE {self.bind(pattern)})"

    def in_list(self, args: list[Any]) -> str:
        self.arity("IN", args, 2)
        queryable = self.prop(args[0], "IN", geometry=True)
        self.scalar(queryable, "IN")
        if not isinstance(args[1], list):
            raise InvalidInputError(f"filter: IN needs a list of values for {queryable.name!r}")
        values = [self.value(queryable, v) for v in args[1]]
        if not values:
            return "FALSE"
        if queryable.kind in ("integer", "number") and any(isinstance(v, float) for v in values):
            values = [float(v) for v in values]  # one array type for the database
        return f"({self.scalar(queryable, 'IN')} = ANY({self.bind(values)}))"

    def between(self, args: list[Any]) -> str:
        self.arity("BETWEEN", args, 3)
        queryable = self.prop(args[0], "BETWEEN", geometry=True)
        self.scalar(queryable, "BETWEEN")
        low, high = (self.bind(self.value(queryable, v)) for v in args[1:])
        return f"({self.scalar(queryable, 'BETWEEN')} BETWEEN {low} AND {high})"

    def geometry(self, node: Any, op: str) -> str:
        if not is_geometry(node):
            raise InvalidInputError(
                f"filter: {op.upper()} needs a geometry here, not {_describe(node)}"
            )
        return f"ST_GeomFromWKB({self.bind(shapely.to_wkb(lonlat(node, self.crs)))}, 4326)"

    def spatial(self, op: str, args: list[Any]) -> str:
        self.arity(op, args, 2)
        parts = []
        for arg in args:
            if _is_property(arg):
                parts.append(self.column(self.prop(arg, op, geometry=True)))
            else:
                parts.append(self.geometry(arg, op))
        if not any(_is_property(arg) for arg in args):
            raise InvalidInputError(f"filter: {op.upper()} needs the geometry property")
        if not self.prop_is_geometry(args):
            raise InvalidInputError(f"filter: {op.upper()} applies to the geometry property only")
        return f"{SPATIAL[op]}({parts[0]}, {parts[1]})"

    def prop_is_geometry(self, args: list[Any]) -> bool:
        return all(self.queryables[str(a["property"])].is_geometry for a in args if _is_property(a))

    def dwithin(self, args: list[Any]) -> str:
        self.arity("S_DWITHIN", args, 3)
        first, second, distance = args
        if not _is_property(first):
            first, second = second, first
        target = self.column(self.prop(first, "S_DWITHIN", geometry=True))
        if not self.queryables[str(first["property"])].is_geometry:
            raise InvalidInputError("filter: S_DWITHIN applies to the geometry property only")
        if not is_geometry(second):
            raise InvalidInputError("filter: S_DWITHIN needs a geometry and a distance in metres")
        if not _number(distance) or not 0 <= distance <= MAX_DWITHIN_M:
            raise InvalidInputError(
                f"filter: S_DWITHIN's distance is metres, 0 to {MAX_DWITHIN_M:,.0f}, "
                f"not {_describe(distance)}"
            )
        geom = lonlat(second, self.crs)
        literal = f"ST_GeomFromWKB({self.bind(shapely.to_wkb(geom))}, 4326)"
        exact = f"ST_DWithin({target}::geography, {literal}::geography, {self.bind(distance)})"
        degrees = degrees_around(geom, float(distance))
        if degrees is None:
            return f"({exact})"
        # The box in degrees is what the geometry index answers; the metres decide.
        return f"(ST_DWithin({target}, {literal}, {self.bind(degrees)}) AND {exact})"


def compile_filter(
    found: Filter, queryables: Queryables, column: Callable[[Queryable], str] = column_of
) -> Condition:
    """The filter as SQL over ``l`` with its bound values; an error naming the property,
    operator or value that cannot be asked."""
    compiler = _Compiler(queryables, found, column)
    sql = compiler.node(found.expression)
    return Condition(sql, compiler.params)
