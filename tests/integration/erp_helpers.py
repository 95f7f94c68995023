"""Helpers for ERP API tests: an ERP client bound to a tenant's full-scope key."""

from __future__ import annotations

from typing import Any

import httpx

from ponte.domain.tenancy import Scope
from tests.integration.conftest import TenantFixture
from tests.support import seed_000

BASE = "/api/integration/v1"


class Erp:
    def __init__(self, api: httpx.Client, tenant: TenantFixture, scope: Scope = Scope.FULL):
        self.api = api
        self.headers = tenant.headers(tenant.api_key(scope))

    def sync(self, entity: str, records: list[dict[str, Any]]) -> httpx.Response:
        return self.api.post(f"{BASE}/{entity}/sync", headers=self.headers, json={entity: records})

    def ok(self, entity: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.sync(entity, records)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.api.get(f"{BASE}/{path}", headers=self.headers, params=params)

    def seed(self, until: str = "enrollments") -> None:
        """The seed's flow up to (and including) ``until``."""
        for entity, records in seed_000.FLOW:
            self.ok(entity, records)
            if entity == until:
                return
