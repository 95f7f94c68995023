"""The admin API's presenters: an API client as :mod:`ponte.http.responses.admin` shows it
(also what ``ponte api-clients`` prints)."""

from __future__ import annotations

from ponte.clock import isoformat
from ponte.domain.tenancy import ApiClient
from ponte.http.responses import admin as out
from ponte.services.tenancy import IssuedKey


def api_client(client: ApiClient) -> out.ApiClient:
    """The public view of a client: never the key nor its hash, only a short prefix."""
    return out.ApiClient(
        id=client.id,
        name=client.name,
        scope=client.scope,
        rate_limit=client.rate_limit,
        active=client.active,
        key_prefix=client.key_prefix,
        created_at=isoformat(client.created_at),
        last_used_at=isoformat(client.last_used_at) if client.last_used_at else None,
        revoked_at=isoformat(client.revoked_at) if client.revoked_at else None,
    )


def issued(key: IssuedKey) -> out.IssuedApiClient:
    return out.IssuedApiClient(**dict(api_client(key.client)), api_key=key.api_key)
