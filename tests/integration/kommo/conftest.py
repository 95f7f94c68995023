"""Fixtures of the Kommo role-sync tests: accounts in the stack's Kommo fake, registered in
Ponte through the API, and an admin calling it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from devstack.kommo_fake import FakeAccount, KommoFake
from devstack.stack import LocalStack
from tests.integration.conftest import TenantFixture
from tests.support.virtual_time import VirtualClock, virtual_time


def rights(level: str = "A", mail: bool = False) -> dict[str, Any]:
    actions = {"view": level, "edit": level, "add": "A", "delete": level, "export": level}
    return {
        "leads": dict(actions),
        "contacts": dict(actions),
        "companies": dict(actions),
        "tasks": {"edit": level, "delete": level},
        "mail_access": mail,
        "catalog_access": False,
        "status_rights": [],
    }


MASTER_ROLES = [
    {"name": name, "rights": rights(level, mail=i % 3 == 0)}
    for i, (name, level) in enumerate(
        [("Vendedor", "M"), ("Supervisor", "A"), ("Gerente", "A"), ("Atendimento", "G"),
         ("Financeiro", "G"), ("Marketing", "M"), ("Suporte", "G"), ("Diretoria", "A"),
         ("SDR", "M"), ("Closer", "M"), ("Pós-venda", "G"), ("Auditoria", "D")]
    )
]  # fmt: skip


@dataclass
class Kommo:
    """An admin of a tenant with Kommo accounts in the fake."""

    api: httpx.Client
    tenant: TenantFixture
    fake: KommoFake
    prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:6])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tenant.token('admin')}"}

    def account(
        self, name: str, role: str, roles: list[dict[str, Any]], **settings: Any
    ) -> tuple[int, FakeAccount]:
        subdomain = f"{self.prefix}-{name}"
        fake = self.fake.add_account(subdomain, f"token-{subdomain}-0123456789", roles)
        for key, value in settings.items():
            setattr(fake, key, value)
        response = self.api.post(
            "/sync/accounts",
            headers=self.headers,
            json={"subdomain": subdomain, "role": role, "token": fake.token},
        )
        assert response.status_code == 201, response.text
        return int(response.json()["data"]["id"]), fake

    def sync(self, body: dict[str, Any] | None = None, *, wait: bool = True) -> httpx.Response:
        params = {"wait": "true"} if wait else {}
        return self.api.post("/sync/roles", headers=self.headers, json=body or {}, params=params)


@pytest.fixture
def real_now_clock() -> Iterator[VirtualClock]:
    """Virtual time starting now (the tokens the test mints are checked against it)."""
    with virtual_time(datetime.now(UTC)) as clock:
        yield clock


@pytest.fixture
def kommo(api: httpx.Client, tenant: TenantFixture, stack: LocalStack) -> Kommo:
    assert stack.kommo is not None
    return Kommo(api, tenant, stack.kommo)
