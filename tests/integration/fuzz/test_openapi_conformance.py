"""Schemathesis against the OpenAPI documents: requests generated from each operation's own
schema (valid and invalid), sent through the local stack; every answer must be no 5xx, a
status the document lists, its content type, and a body its schema accepts.

Bounded per operation (`PONTE_SCHEMATHESIS_EXAMPLES`, 5 in `make test`, more in `make fuzz`).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devstack.stack import LocalStack
from openapi.apis import APIS
from openapi.spec import document
from tests.integration.conftest import make_tenant
from tests.integration.fuzz.test_hostile_requests import Caller
from tests.support.routes import takes_api_key

# Among the longest modules: started first (conftest), not left for last.
pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("PONTE_SCHEMATHESIS_EXAMPLES", "5"))
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
SCHEMAS = {api.name: schemathesis.openapi.from_dict(document(api)) for api in APIS}
OPERATIONS = [
    (name, result.ok().label)
    for name, schema in SCHEMAS.items()
    for result in schema.get_all_operations()
]


def _operation(api: str, label: str) -> Any:
    for result in SCHEMAS[api].get_all_operations():
        if result.ok().label == label:
            return result.ok()
    raise LookupError(label)


@pytest.fixture
def caller(tenant: Any) -> Caller:
    return Caller(tenant)


@pytest.mark.parametrize(("api", "label"), OPERATIONS, ids=[f"{a}:{lbl}" for a, lbl in OPERATIONS])
def test_answers_conform_to_the_document(
    api: str, label: str, stack: LocalStack, caller: Caller
) -> None:
    operation = _operation(api, label)
    path = operation.path

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        credential = caller.key if takes_api_key(path) else caller.tenant.token("admin")
        headers = {"Authorization": f"Bearer {credential}"}
        response = case.call(base_url=stack.base_url, headers=headers, timeout=60)
        assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:300]}"
        case.validate_response(response, checks=CHECKS)

    check()


LINKED = [api.name for api in APIS if any(doc.links for doc in api.docs.values())]


@pytest.mark.parametrize("api", LINKED)
def test_linked_operations_in_sequence_conform(api: str, stack: LocalStack) -> None:
    """Schemathesis' stateful run: create → read → change → delete along the documents'
    links (an id from one answer feeds the next request), every answer checked as above."""
    base = SCHEMAS[api].as_state_machine()

    class LocalStack(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            # Each scenario in a tenant of its own, empty: the same choices meet the same
            # state, as Hypothesis requires when it explores (else: FlakyStrategyDefinition).
            self.caller = Caller(make_tenant(stack))

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            path = case.operation.path
            who = self.caller
            credential = who.key if takes_api_key(path) else who.tenant.token("admin")
            return {
                "base_url": stack.base_url,
                "headers": {"Authorization": f"Bearer {credential}"},
                "timeout": 60,
            }

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            # Collected, not raised: Hypothesis would replay a failing sequence against a
            # stack whose state has moved on, and report that replay instead of the failure.
            try:
                assert response.status_code < 500, response.text[:300]
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # every kind of failure is reported
                failures.append(f"{case.operation.label} -> {response.status_code}: {exc}"[:2000])

    failures: list[str] = []
    LocalStack.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert failures == [], "\n\n".join(failures[:5])
