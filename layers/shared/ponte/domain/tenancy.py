"""Tenants and API clients."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    FULL = "full"

    def allows(self, needed: Scope) -> bool:
        return self is Scope.FULL or self is needed


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    created_at: datetime
    active: bool = True
    # Tenant settings (a wrong CPF check digit is a warning unless this is on).
    settings: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ApiClient:
    id: str
    tenant_id: str
    name: str
    scope: Scope
    rate_limit: int
    key_hash: str
    key_prefix: str
    created_at: datetime
    active: bool = True
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
