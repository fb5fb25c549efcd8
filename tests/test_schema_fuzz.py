"""schemathesis over the OpenAPI document: for every operation, generated requests
(valid and not) never get a 5xx, and every answer matches its documented schema.
Requests run as the command centre, inside the test's rolled-back transaction.

(schemathesis's pytest fixtures do not run under pytest 9, so the operations are
walked here, each with Hypothesis.)"""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
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
