"""schemathesis over the OpenAPI document: for every operation, generated requests
(valid and not) never get a 5xx, and every answer matches its documented schema.
Requests run as the command centre, inside the test's rolled-back transaction.

(schemathesis's pytest fixtures do not run under pytest 9, so the operations are
walked here, each with Hypothesis.)"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

EXAMPLES = 12
# The two conditions, and the documented status codes and media types.
# (Not "positive data acceptance": a value the schema allows may still be refused
# by the domain with a 4xx that names it, such as an unknown coordinate system.)
CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.status_code_conformance,
    checks.content_type_conformance,
]


def test_no_5xx_and_answers_match_the_schema(client: TestClient, keys: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    headers = {"X-API-Key": keys["command"]}
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        call()
        checked += 1
    assert checked >= 25


# Values that once got a bare 500 (issue 20): integers past any column, NUL bytes, a
# coordinate system of another body, names longer than a file system takes, digit
# runs past Python's int() limit. Each operation gets them in each of its parameters.
HOSTILE = [
    2**63,
    -(2**63) - 1,
    "9" * 5000,
    "²",  # a digit to isdigit(), not to int()
    "\x00",
    "a\x00b",
    "IAU_2015:30100",
    "http://www.opengis.net/def/crs/IAU_2015/0/30100",
    "名" * 300,
    "x" * 5000,
]
HOSTILE_PURPOSES = ["%00", "%0A%0D", "x" * 5000, "%E5%9B%9E%E8%AE%BF"]


@st.composite
def hostile_case(draw: st.DrawFn, operation: Any) -> schemathesis.Case:
    """A generated request with one query or path parameter replaced by a hostile value,
    and sometimes a hostile X-Purpose."""
    case: schemathesis.Case = draw(operation.as_strategy())
    places = [("query", p.name) for p in operation.query]
    places += [("path", p.name) for p in operation.path_parameters]
    if places:
        where, name = draw(st.sampled_from(places))
        value = draw(st.sampled_from(HOSTILE))
        if where == "query":
            case.query = {**(case.query or {}), name: value}
        else:
            case.path_parameters = {**(case.path_parameters or {}), name: value}
    if draw(st.booleans()):
        case.headers = {
            **(case.headers or {}),
            "X-Purpose": draw(st.sampled_from(HOSTILE_PURPOSES)),
        }
    return case


def test_hostile_values_never_get_a_5xx(client: TestClient, keys: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    # As an admin: their reads of personal data are audited, so X-Purpose is read.
    headers = {"X-API-Key": keys["admin"]}
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=hostile_case(operation))
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[checks.not_a_server_error])

        call()
        checked += 1
    assert checked >= 25
