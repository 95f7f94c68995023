"""Tenants and API clients: create, list, revoke (the admin API and the CLI share these)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ponte import errors
from ponte.auth import api_keys
from ponte.clock import utcnow
from ponte.domain.tenancy import TENANT_ID, ApiClient, Scope, Tenant
from ponte.repository import tenancy as tenancy_store
from ponte.repository.errors import ConditionFailed
from ponte.settings import get_settings
from ponte.validation import field_errors


class NewApiClient(BaseModel):
    """What an API client is created with; the admin API and the CLI validate alike."""

    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    scope: Scope
    rate_limit: Annotated[int, Field(ge=1, le=100_000)] | None = None  # per minute


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new client and its key: the only moment the key exists outside the caller's hands."""

    client: ApiClient
    api_key: str


def create_tenant(tenant_id: str, name: str, settings: dict[str, Any] | None = None) -> Tenant:
    if not TENANT_ID.match(tenant_id):
        raise errors.validation_error(
            {"tenant_id": ["Use 2-63 caracteres: letras minúsculas, dígitos e hífen"]}
        )
    tenant = Tenant(
        id=tenant_id, name=name.strip() or tenant_id, created_at=utcnow(), settings=settings or {}
    )
    try:
        tenancy_store.put_tenant(tenant)
    except ConditionFailed as exc:
        raise errors.conflict(
            "TENANT_EXISTS", f"Tenant '{tenant_id}' já existe", f"Tenant '{tenant_id}' exists"
        ) from exc
    return tenant


def list_tenants() -> list[Tenant]:
    return tenancy_store.list_tenants()


def require_tenant(tenant_id: str) -> Tenant:
    tenant = tenancy_store.get_tenant(tenant_id)
    if tenant is None or not tenant.active:
        raise errors.not_found(
            f"Tenant '{tenant_id}' não encontrado", f"Tenant '{tenant_id}' not found"
        )
    return tenant


def create_api_client(
    tenant_id: str, name: str, scope: Scope, rate_limit: int | None = None
) -> IssuedKey:
    request = _validated(NewApiClient, {"name": name, "scope": scope, "rate_limit": rate_limit})
    require_tenant(tenant_id)
    key = api_keys.generate()
    client = ApiClient(
        id=uuid.uuid4().hex[:12],
        tenant_id=tenant_id,
        name=request.name,
        scope=request.scope,
        rate_limit=request.rate_limit or get_settings().api_client_rate_limit,
        key_hash=api_keys.hash_key(key),
        key_prefix=api_keys.display_prefix(key),
        created_at=utcnow(),
    )
    tenancy_store.put_api_client(client)
    return IssuedKey(client=client, api_key=key)


def _validated[M: BaseModel](model: type[M], payload: dict[str, Any]) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise errors.validation_error(field_errors(exc.errors())) from exc


def list_api_clients(tenant_id: str) -> list[ApiClient]:
    require_tenant(tenant_id)
    return tenancy_store.list_api_clients(tenant_id)


def revoke_api_client(tenant_id: str, client_id: str) -> ApiClient:
    require_tenant(tenant_id)
    client = tenancy_store.find_api_client(tenant_id, client_id)
    if client is None:
        raise errors.not_found(
            f"Cliente de API '{client_id}' não encontrado", f"API client '{client_id}' not found"
        )
    if client.active:
        tenancy_store.revoke_api_client(client, utcnow())
    return tenancy_store.get_api_client_by_hash(client.key_hash) or client


_SETTINGS_TTL = 60.0
_settings_cache: dict[str, tuple[float, Tenant | None]] = {}


def _cached_tenant(tenant_id: str) -> Tenant | None:
    """The tenant, cached per container for a minute (name and settings change rarely)."""
    import time

    cached = _settings_cache.get(tenant_id)
    now = time.monotonic()
    if cached is None or now - cached[0] > _SETTINGS_TTL:
        cached = (now, tenancy_store.get_tenant(tenant_id))
        _settings_cache[tenant_id] = cached
    return cached[1]


def tenant_setting(tenant_id: str, name: str, default: Any = None) -> Any:
    tenant = _cached_tenant(tenant_id)
    return tenant.settings.get(name, default) if tenant else default


def tenant_name(tenant_id: str) -> str:
    tenant = _cached_tenant(tenant_id)
    return tenant.name if tenant else tenant_id
