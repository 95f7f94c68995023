"""Fixtures of the people tests: the ERP's people (through the ERP API) beside the vendor
fakes' contacts (through connector runs), and waits for the identity index's worker."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devstack.stack import LocalStack
from tests.integration.conftest import TenantFixture
from tests.integration.connectors.conftest import Connectors, clock, connectors  # noqa: F401
from tests.integration.erp_helpers import Erp
from tests.support import generate

PEOPLE = "/api/v1/people"


class School:
    """An institution's ERP, its people's identifiers, and the worker that indexes them."""

    def __init__(self, api: httpx.Client, tenant: TenantFixture, stack: LocalStack) -> None:
        self.api, self.tenant, self.stack = api, tenant, stack
        self.erp = Erp(api, tenant)
        self.erp.seed(until="courses")

    def settle(self) -> None:
        """Wait until the run queue's worker has indexed what the ERP changed."""
        assert self.stack.poller is not None
        assert self.stack.poller.wait_drained(60)

    def students(self, *records: dict[str, Any]) -> None:
        self.erp.ok("students", [{"course_code": "CC001", **r} for r in records])
        self.settle()

    def professors(self, *records: dict[str, Any]) -> None:
        self.erp.ok("professors", [{"area_code": "TECH", **r} for r in records])
        self.settle()

    def headers(self, role: str = "admin", **claims: Any) -> dict[str, str]:
        token = self.tenant.token(role, claims=claims) if claims else self.tenant.token(role)
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, role: str = "admin", **params: Any) -> httpx.Response:
        self.settle()  # what a first connection or a decision queued, done
        return self.api.get(f"{PEOPLE}{path}", headers=self.headers(role), params=params)


def cpf(n: int) -> str:
    return generate.cpf(7_000_000 + n)


@pytest.fixture
def school(api: httpx.Client, tenant: TenantFixture, stack: LocalStack) -> School:
    return School(api, tenant, stack)


def people_of(hub: Connectors, connection_id: str, stream: str) -> dict[str, Any]:
    """Each record's ``people`` (and link status) by vendor id, from the records API, once
    the run queue's work is done (a first connection has the ERP's people indexed)."""
    assert hub.stack.poller is not None
    assert hub.stack.poller.wait_drained(60)
    answer = hub.records(connection_id, stream, limit=100)
    assert answer.status_code == 200, answer.text
    return {
        r["id"]: (
            [(p["kind"], p["id"], p["matchedBy"]) for p in r["people"]],
            r.get("linkStatus"),
        )
        for r in answer.json()["data"]
    }
