"""Connections to SaaS platforms: create (credentials tested with one cheap vendor call),
list, read, change, delete. Credentials live in Secrets Manager, never in the table, an
answer or a log line."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ponte import errors
from ponte.adapters import secret_store
from ponte.clock import utcnow
from ponte.connectors import registry
from ponte.domain.connectors import CREDENTIALS, Connection, Credentials, Platform
from ponte.repository import connections as connection_store
from ponte.repository import pulls as pull_store
from ponte.repository.errors import ConditionFailed
from ponte.repository.pacing import DynamoSchedule
from ponte.services.ids import new_id
from ponte.services.pulls import ending
from ponte.validation import field_errors
from ponte.vendors.http import VendorAuthError, VendorError

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
CHECK_ATTEMPTS = 2  # a credentials test answers a person: retry once, not for a minute


class NewConnection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    platform: Annotated[str, Field(max_length=40)]
    credentials: dict[str, Any]
    enabled: bool = True


class ConnectionChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    enabled: bool | None = None
    credentials: dict[str, Any] | None = None


def not_found() -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.NOT_FOUND, "CONNECTION_NOT_FOUND", "Conexão não encontrada",
        "Connection not found",
    )  # fmt: skip


def invalid_credentials(reason: str) -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.INVALID, "INVALID_CREDENTIALS", "Credenciais inválidas",
        f"Credentials test failed: {reason}",
    )  # fmt: skip


def platform_not_supported(raw: str) -> errors.DomainError:
    supported = ", ".join(sorted(registry.SUPPORTED))
    return errors.DomainError(
        errors.Kind.INVALID, "PLATFORM_NOT_SUPPORTED", "Plataforma não suportada",
        f"Platform '{raw}' is not supported (supported: {supported})",
    )  # fmt: skip


def _platform(raw: str) -> Platform:
    try:
        platform = Platform(raw.strip().lower())
    except ValueError:
        raise platform_not_supported(raw) from None
    if platform not in registry.SUPPORTED:
        raise platform_not_supported(raw)
    return platform


def _credentials(platform: Platform, raw: Any) -> Credentials:
    try:
        return CREDENTIALS[platform].model_validate(raw)
    except ValidationError as exc:
        problems = field_errors(exc.errors())
        raise errors.invalid_fields({f"credentials.{k}": v for k, v in problems.items()}) from exc


def _test(platform: Platform, credentials: Credentials) -> None:
    connector = registry.build(
        platform, credentials.model_dump(), DynamoSchedule(), attempts=CHECK_ATTEMPTS
    )
    try:
        connector.check()
    except VendorAuthError as exc:
        raise invalid_credentials(str(exc)) from None
    except VendorError as exc:
        raise invalid_credentials(f"the platform could not be reached ({exc})") from None
    finally:
        connector.close()


def _secret(tenant_id: str, connection: Connection) -> str:
    return secret_store.name(tenant_id, connection.platform.value, connection.id)


def create(tenant_id: str, body: NewConnection) -> Connection:
    platform = _platform(body.platform)
    credentials = _credentials(platform, body.credentials)
    _test(platform, credentials)
    now = utcnow()
    connection = Connection(
        id=new_id(now),
        name=body.name,
        platform=platform,
        enabled=body.enabled,
        created_at=now.isoformat(),
        updated_at=now.isoformat(),
    )
    # The id is new, so the secret cannot be another request's; the record follows it.
    secret_store.put(_secret(tenant_id, connection), credentials.model_dump_json())
    try:
        connection_store.put_new(tenant_id, connection)
    except Exception:
        secret_store.delete(_secret(tenant_id, connection))
        raise
    return connection


def get(tenant_id: str, connection_id: str) -> Connection:
    found = connection_store.get(tenant_id, connection_id)
    if found is None:
        raise not_found()
    return found


def listing(tenant_id: str, *, platform: str = "", enabled: bool | None = None) -> list[Connection]:
    return [
        c
        for c in connection_store.listing(tenant_id)
        if (not platform or c.platform.value == platform)
        and (enabled is None or c.enabled is enabled)
    ]


def change(tenant_id: str, connection_id: str, body: ConnectionChange) -> Connection:
    connection = get(tenant_id, connection_id)
    fields: dict[str, Any] = {"updated_at": utcnow().isoformat()}
    remove: tuple[str, ...] = ()
    if body.credentials is not None:
        credentials = _credentials(connection.platform, body.credentials)
        _test(connection.platform, credentials)
        secret_store.put(_secret(tenant_id, connection), credentials.model_dump_json())
        fields["auth_failures"] = 0
    if body.name is not None:
        fields["name"] = body.name
    if body.enabled is not None:
        fields["enabled"] = body.enabled
        if body.enabled:
            fields["auth_failures"] = 0
            remove = ("disabled_reason",)
    try:
        return connection_store.update(tenant_id, connection_id, fields, remove=remove)
    except ConditionFailed as exc:
        raise not_found() from exc


def remove(tenant_id: str, connection_id: str, *, purge: bool) -> dict[str, int]:
    """Delete the connection, its secret and its cursors; with ``purge``, its runs and
    records too (otherwise they stay readable)."""
    connection = get(tenant_id, connection_id)
    secret_store.delete(_secret(tenant_id, connection))
    connection_store.delete(tenant_id, connection_id)
    if connection.active_run:  # its worker loses the lease and stops at its next page
        ending.end(tenant_id, connection.active_run, ending.DELETED, "CONNECTION_DELETED")
    if not purge:
        return {"runs": 0, "records": 0}
    streams = streams_of(connection)
    return {
        "runs": pull_store.delete_runs(tenant_id, connection_id),
        "records": pull_store.delete_records(tenant_id, connection_id, streams),
    }


def streams_of(connection: Connection) -> tuple[str, ...]:
    return tuple(registry.STREAMS.get(connection.platform, ()))


def credentials(tenant_id: str, connection: Connection) -> dict[str, Any]:
    """The stored credentials (for the worker; never for an answer)."""
    raw: dict[str, Any] = json.loads(secret_store.get(_secret(tenant_id, connection)))
    return raw
