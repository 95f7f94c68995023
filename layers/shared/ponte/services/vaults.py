"""A stored connection's credentials as a connector reads and rewrites them
(``vendors/oauth.py``'s ``Vault``): the secret in Secrets Manager, and the claim that lets one
process at a time change it (``repository/token_claims.py``)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from ponte.adapters import secret_store
from ponte.domain.connectors import Connection
from ponte.repository import token_claims


def secret_name(tenant_id: str, connection: Connection) -> str:
    return secret_store.name(tenant_id, connection.platform.value, connection.id)


class ConnectionVault:
    def __init__(self, tenant_id: str, connection: Connection) -> None:
        self.tenant_id = tenant_id
        self.connection = connection
        self.holder = secrets.token_hex(8)  # this process, in the claim

    def read(self) -> dict[str, Any]:
        raw: dict[str, Any] = json.loads(
            secret_store.get(secret_name(self.tenant_id, self.connection))
        )
        return raw

    def write(self, stored: Mapping[str, Any]) -> None:
        secret_store.put(secret_name(self.tenant_id, self.connection), json.dumps(dict(stored)))

    def claim(self, version: int | None, now: float, until: float) -> int | None:
        return token_claims.claim(
            self.tenant_id, self.connection.id, holder=self.holder, version=version, now=now,
            until=until,
        )  # fmt: skip

    def release(self, version: int, refreshed_at: float) -> None:
        token_claims.release(
            self.tenant_id,
            self.connection.id,
            platform=self.connection.platform.value,
            holder=self.holder,
            version=version,
            refreshed_at=refreshed_at,
        )

    def abandon(self) -> None:
        token_claims.abandon(self.tenant_id, self.connection.id, self.holder)
