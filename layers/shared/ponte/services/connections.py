"""Connections to SaaS platforms: create (credentials tested with one cheap vendor call),
list, read, change, delete. Credentials live in Secrets Manager, never in the table, an
answer or a log line. What a platform needs comes from its connector spec; a connection's
schedule is kept by ``services/schedules.py``."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ponte import errors
from ponte.adapters import secret_store
from ponte.clock import utcnow
from ponte.connectors import registry
from ponte.connectors.spec import ConnectorSpec
from ponte.domain.connectors import Connection, Credentials, Platform
from ponte.domain.ids import new_id
from ponte.repository import connections as connection_store
from ponte.repository import pull_runs, pulled_records
from ponte.repository.errors import ConditionFailed
from ponte.repository.pacing import DynamoSchedule
from ponte.services import schedules
from ponte.services.pulls import lifecycle
from ponte.validation import field_errors
from ponte.vendors.http import UnsafeUrl, VendorAuthError, VendorError
from ponte.vendors.pacing import Contention

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
CHECK_ATTEMPTS = 2  # a credentials test answers a person: retry once, not for a minute


Expression = Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)]
Zone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


class NewConnection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    platform: Annotated[str, Field(max_length=40)]
    credentials: dict[str, Any]
    enabled: bool = True
    schedule: Expression | None = None  # additive: rate(…) or cron(…)
    timezone: Zone | None = None  # additive: IANA, default America/Sao_Paulo


class ConnectionChange(BaseModel):
    """Fields left out stay as they are; ``schedule: null`` removes the schedule."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    enabled: bool | None = None
    credentials: dict[str, Any] | None = None
    schedule: Expression | None = None
    timezone: Zone | None = None


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


def managed_elsewhere() -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.INVALID, "MANAGED_ELSEWHERE",
        "Esta conexão é gerida em /admin/integrations/movidesk",
        "This connection is managed at /admin/integrations/movidesk",
    )  # fmt: skip


def _spec(raw: str) -> ConnectorSpec[Any]:
    """The spec of a platform the connectors API creates."""
    try:
        platform = Platform(raw.strip().lower())
    except ValueError:
        raise platform_not_supported(raw) from None
    spec = registry.spec(platform)
    if spec is None or spec.managed:
        raise platform_not_supported(raw)
    return spec


def _credentials(spec: ConnectorSpec[Any], raw: Any) -> Credentials:
    try:
        credentials: Credentials = spec.credentials.model_validate(raw)
    except ValidationError as exc:
        problems = field_errors(exc.errors())
        raise errors.invalid_fields({f"credentials.{k}": v for k, v in problems.items()}) from exc
    return credentials


def pacing_busy(retry_after: int) -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.RATE_LIMITED, "RATE_LIMITED",
        "Muitas requisições simultâneas a esta conta da plataforma: tente de novo em instantes",
        "Too many concurrent requests to this platform account: try again in a moment",
        headers={"Retry-After": str(max(1, retry_after))},
    )  # fmt: skip


def _test(platform: Platform, credentials: Credentials) -> None:
    try:
        connector = registry.build(platform, credentials, DynamoSchedule(), attempts=CHECK_ATTEMPTS)
    except UnsafeUrl as exc:
        raise invalid_credentials(f"baseUrl: {exc}") from None
    try:
        connector.check()
    except VendorAuthError as exc:
        raise invalid_credentials(str(exc)) from None
    except VendorError as exc:
        raise invalid_credentials(f"the platform could not be reached ({exc})") from None
    except Contention as exc:  # the account's pacing slots were contended: nothing was sent
        raise pacing_busy(exc.retry_after) from None
    finally:
        connector.close()


def _secret(tenant_id: str, connection: Connection) -> str:
    return secret_store.name(tenant_id, connection.platform.value, connection.id)


def create(tenant_id: str, body: NewConnection) -> Connection:
    spec = _spec(body.platform)
    platform = spec.platform
    credentials = _credentials(spec, body.credentials)
    schedule, zone = schedules.timing(body.schedule, body.timezone)
    _test(platform, credentials)
    now = utcnow()
    connection = Connection(
        id=new_id(now),
        name=body.name,
        platform=platform,
        enabled=body.enabled,
        created_at=now.isoformat(),
        updated_at=now.isoformat(),
        workspace_id=spec.workspace(credentials),
        schedule=schedule,
        timezone=zone,
    )
    # The id is new, so the secret cannot be another request's; the record follows it, and
    # the schedule last: a failure on the way undoes what was done.
    secret_store.put(_secret(tenant_id, connection), credentials.model_dump_json())
    try:
        connection_store.put_new(tenant_id, connection)
        try:
            if schedule:
                schedules.apply(tenant_id, connection)
        except Exception:
            connection_store.delete(tenant_id, connection.id)
            raise
    except Exception:
        secret_store.delete(_secret(tenant_id, connection))
        raise
    return connection


def put_managed(
    tenant_id: str, connection_id: str, platform: Platform, name: str, raw: dict[str, Any]
) -> Connection:
    """The connection an integration keeps for itself (Movidesk's, one per tenant) with new
    credentials: tested first (refused: nothing changes), then stored; created if missing."""
    spec = registry.spec(platform)
    if spec is None:
        raise platform_not_supported(platform.value)
    credentials = _credentials(spec, raw)
    _test(platform, credentials)
    existing = connection_store.get(tenant_id, connection_id)
    if existing is not None:
        secret_store.put(_secret(tenant_id, existing), credentials.model_dump_json())
        return connection_store.update(
            tenant_id, connection_id,
            {"updated_at": utcnow().isoformat(), "auth_failures": 0, "enabled": True},
            remove=("disabled_reason",),
        )  # fmt: skip
    now = utcnow().isoformat()
    connection = Connection(connection_id, name, platform, True, now, now)
    secret_store.put(_secret(tenant_id, connection), credentials.model_dump_json())
    # Created meanwhile by another request: that connection holds this secret too.
    with contextlib.suppress(ConditionFailed):
        connection_store.put_new(tenant_id, connection)
    return connection


def find(tenant_id: str, connection_id: str) -> Connection | None:
    return connection_store.get(tenant_id, connection_id)


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
    spec = _created_here(connection)
    fields: dict[str, Any] = {"updated_at": utcnow().isoformat()}
    remove: tuple[str, ...] = ()
    given = body.model_fields_set
    if "schedule" in given or "timezone" in given:
        wanted = body.schedule if "schedule" in given else connection.schedule
        zone = body.timezone if "timezone" in given else connection.timezone
        fields["schedule"], fields["timezone"] = schedules.timing(wanted, zone)
    if body.credentials is not None:
        credentials = _credentials(spec, body.credentials)
        _test(connection.platform, credentials)
        secret_store.put(_secret(tenant_id, connection), credentials.model_dump_json())
        fields["auth_failures"] = 0
        fields["workspace_id"] = spec.workspace(credentials)
    if body.name is not None:
        fields["name"] = body.name
    if body.enabled is not None:
        fields["enabled"] = body.enabled
        if body.enabled:
            fields["auth_failures"] = 0
            remove = ("disabled_reason",)
    try:
        changed = connection_store.update(tenant_id, connection_id, fields, remove=remove)
    except ConditionFailed as exc:
        raise not_found() from exc
    if changed.schedule or connection.schedule:
        try:
            schedules.apply(tenant_id, changed)
        except Exception:  # the record goes back to the schedule Scheduler still has
            previous = {"schedule": connection.schedule, "timezone": connection.timezone,
                        "enabled": connection.enabled}  # fmt: skip
            connection_store.update(tenant_id, connection_id, previous)
            raise
    return changed


def remove(tenant_id: str, connection_id: str, *, purge: bool) -> dict[str, int]:
    """Delete the connection, its secret and its cursors; with ``purge``, its runs and
    records too (otherwise they stay readable)."""
    connection = get(tenant_id, connection_id)
    _created_here(connection)
    if connection.schedule:
        schedules.remove(connection)
    secret_store.delete(_secret(tenant_id, connection))
    connection_store.delete(tenant_id, connection_id)
    if connection.active_run:  # its worker loses the lease and stops at its next page
        held = pull_runs.get_run(tenant_id, connection.active_run)
        if held is not None:
            outcome = lifecycle.failed(lifecycle.DELETED, "CONNECTION_DELETED", release=False)
            lifecycle.end(tenant_id, held, outcome)
    if not purge:
        return {"runs": 0, "records": 0}
    return {
        "runs": pull_runs.delete_runs(tenant_id, connection_id),
        "records": pulled_records.delete_records(tenant_id, connection_id, streams_of(connection)),
    }


def _created_here(connection: Connection) -> ConnectorSpec[Any]:
    """The spec of a connection the connectors API manages (others answer MANAGED_ELSEWHERE)."""
    spec = registry.spec(connection.platform)
    if spec is None or spec.managed:
        raise managed_elsewhere()
    return spec


def streams_of(connection: Connection) -> tuple[str, ...]:
    spec = registry.spec(connection.platform)
    return spec.streams if spec is not None else ()


def credentials(tenant_id: str, connection: Connection) -> dict[str, Any]:
    """The stored credentials (for the worker; never for an answer)."""
    raw: dict[str, Any] = json.loads(secret_store.get(_secret(tenant_id, connection)))
    return raw
