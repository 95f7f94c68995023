"""Helpers for hierarchy API tests: a tenant built through the ERP endpoints, and callers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.conftest import TenantFixture
from tests.integration.erp_helpers import Erp
from tests.support import hierarchy_data

BASE = "/api/hierarquia"

# Who calls, as the issuer would describe them (see tests/support/hierarchy_data.py).
CALLERS: dict[str, dict[str, Any]] = {
    "admin": {"role": "admin"},
    # Named responsible by area A1 (unit U1) through their email.
    "coordinator": {
        "role": "coordinator",
        "claims": {"email": "coord1@alfa.edu", "email_verified": True},
    },
    # Professor P2: teaches T3 and T5, Treinador in T1 (found by email).
    "professor": {
        "role": "professor",
        "claims": {"email": "bruno@alfa.edu", "email_verified": True},
    },
    # Guardian of AL1 (T1, T4) and AL4 (T2), found by email.
    "guardian": {
        "role": "guardian",
        "claims": {"email": "maria@familia.com", "email_verified": "true"},  # Cognito's text
    },
}


def build(api: httpx.Client, tenant: TenantFixture) -> Erp:
    erp = Erp(api, tenant)
    for entity, records in hierarchy_data.FLOW:
        data = erp.ok(entity, records)
        assert data["failed"] == 0, (entity, data)
    return erp


class Hierarchy:
    def __init__(self, api: httpx.Client, tenant: TenantFixture) -> None:
        self.api = api
        self.tenant = tenant
        self._tokens: dict[str, str] = {}

    def token(self, caller: str) -> str:
        if caller not in self._tokens:
            spec = CALLERS[caller]
            self._tokens[caller] = self.tenant.token(spec["role"], claims=spec.get("claims"))
        return self._tokens[caller]

    def get(self, path: str, caller: str = "admin", **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(caller)}", **kwargs.pop("headers", {})}
        return self.api.get(f"{BASE}/{path}", headers=headers, **kwargs)

    def ok(self, path: str, caller: str = "admin", **kwargs: Any) -> Any:
        response = self.get(path, caller, **kwargs)
        assert response.status_code == 200, (path, caller, response.text)
        return response.json()
