"""Any CQL2 JSON a client sends, however malformed, is compiled or refused with a
message (InvalidInputError, a 422), never an error of Python or of the database.

cql2's JSON Schema check is not run (it costs 50 ms a request: see
geo_api.ogc.filtering.parse): the compiler is the whole guard. Hypothesis builds
trees of operators, properties and literals of every JSON type in every position,
malformed ones included (wrong arities, strings where lists go, bboxes of text,
GeoJSON with broken coordinates), and each goes through parse and compile as the
items route sends it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_api.errors import InvalidInputError
from geo_api.ogc.filtering.compile import SPATIAL, compile_filter
from geo_api.ogc.filtering.parse import parse_filter
from geo_api.ogc.filtering.queryables import Queryable

QUERYABLES = {
    "reason": Queryable("reason", "string"),
    "persons": Queryable("persons", "integer"),
    "share": Queryable("share", "number"),
    "active": Queryable("active", "boolean"),
    "since": Queryable("since", "date"),
    "geometry": Queryable("geometry", "geometry"),
}
OPS = [
    "and", "or", "not", "=", "<>", "<", "<=", ">", ">=", "like", "in", "between",
    "isnull", *SPATIAL, "s_dwithin", "t_after", "casei", "+", "",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
properties = st.builds(
    lambda name: {"property": name}, st.sampled_from([*QUERYABLES, "colour", "", "a\x00b"])
)
coordinates = st.recursive(
    st.one_of(scalars, st.lists(scalars, max_size=3)), lambda inner: st.lists(inner, max_size=4)
)
geometries = st.one_of(
    st.builds(
        lambda kind, coords: {"type": kind, "coordinates": coords},
        st.sampled_from(["Point", "LineString", "Polygon", "MultiPoint", "Nonsense", 7]),
        coordinates,
    ),
    st.builds(lambda numbers: {"bbox": numbers}, st.one_of(scalars, st.lists(scalars, max_size=7))),
    st.just({"type": "GeometryCollection", "geometries": [{"type": "Point"}]}),
)


def _operations(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    args = st.one_of(st.lists(children, max_size=4), scalars, children)
    return st.builds(lambda op, a: {"op": op, "args": a}, st.sampled_from(OPS), args)


trees = st.recursive(
    st.one_of(scalars, properties, geometries, st.just({"date": "2026-13-40"})),
    lambda children: st.one_of(_operations(children), st.lists(children, max_size=3)),
    max_leaves=12,
)


def compiled_or_refused(expression: Any) -> None:
    try:
        found = parse_filter(json.dumps(expression), "cql2-json")
        if found is not None:
            compile_filter(found, QUERYABLES)
    except InvalidInputError:
        pass


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_malformed_cql2_json_is_refused_with_a_message(expression: Any) -> None:
    compiled_or_refused(expression)


@pytest.mark.parametrize(
    "expression",
    [
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": ["a", "b", "c", "d"]}]},
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [1, None, 2, 3]}]},
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [1, 2, 3, 1e400]}]},
        {
            "op": "s_within",
            "args": [{"property": "geometry"}, {"type": "Point", "coordinates": "x"}],
        },
        {"op": "s_dwithin", "args": [{"property": "geometry"}, {"bbox": [0, 0, 1, 1]}, True]},
        {"op": "and", "args": "persons"},
        {"op": "=", "args": [{"property": "since"}, {"date": 5}]},
        {"op": "in", "args": [{"property": "persons"}, "1,2"]},
        {"op": "between", "args": [{"property": "reason"}, [1], {"a": 1}]},
    ],
)
def test_known_malformed_filters_are_refused(expression: dict[str, Any]) -> None:
    """Cases the JSON Schema used to catch: each is refused, by the parser or the
    compiler, with a message."""
    with pytest.raises(InvalidInputError, match="filter"):
        found = parse_filter(json.dumps(expression), "cql2-json")
        assert found is not None
        compile_filter(found, QUERYABLES)
