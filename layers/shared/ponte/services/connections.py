"""Connections to SaaS platforms: create (credentials tested with one cheap vendor call),
list, read, change, delete. Credentials live in Secrets Manager, never in the table, an
answer or a log line. What a platform needs comes from its connector spec; a connection's
schedule is kept by ``services/schedules.py``.

Credentials a platform prepares (RD Station's OAuth2: a code exchanged, a refresh token spent
for the first tokens) are prepared before the test, and what is stored is what the test left
(tokens it refreshed included). Credentials that rotate are replaced under the connection's
token claim, so a refresh under way cannot store the old grant's tokens over new ones."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ponte import errors
from ponte.adapters import record_objects, secret_store
from ponte.clock import utcnow
from ponte.connectors import registry
from ponte.connectors.spec import ConnectorSpec
from ponte.domain.connectors import Connection, Credentials, Platform, refusal
from ponte.domain.ids import new_id
from ponte.observability import logger
from ponte.repository import connections as connection_store
from ponte.repository import pull_runs, pulled_records, token_claims
from ponte.repository.errors import ConditionFailed
from ponte.repository.pacing import DynamoSchedule
from ponte.services import schedules
from ponte.services.people import relink_job
from ponte.services.pulls import lifecycle
from ponte.services.vaults import ConnectionVault, secret_name
from ponte.validation import field_errors
from ponte.vendors import oauth
from ponte.vendors.http import UnsafeUrl, VendorAuthError, VendorError
from ponte.vendors.pacing import Contention

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
CHECK_ATTEMPTS = 2  # a credentials test answers a person: retry once, not for a minute


Expression = Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)]
FieldName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Identity(BaseModel):
    """Custom fields of the platform's records where the institution keeps identifiers."""

    model_config = ConfigDict(extra="forbid")

    cpf: FieldName | None = None  # e.g. "cpf_aluno": a CPF kept in a custom property

    def stored(self) -> dict[str, str] | None:
        return self.model_dump(exclude_none=True) or None


Zone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


class NewConnection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    platform: Annotated[str, Field(max_length=40)]
    credentials: dict[str, Any]
    enabled: bool = True
    schedule: Expression | None = None  # additive: rate(…) or cron(…)
    timezone: Zone | None = None  # additive: IANA, default America/Sao_Paulo
    identity: Identity | None = None  # additive: {"cpf": "<custom field>"}


class ConnectionChange(BaseModel):
    """Fields left out stay as they are; ``schedule: null`` removes the schedule."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    enabled: bool | None = None
    credentials: dict[str, Any] | None = None
    schedule: Expression | None = None
    timezone: Zone | None = None
    identity: Identity | None = None  # null: no custom identity fields


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
    """The credentials a person gave, in the platform's model (400 VALIDATION_ERROR)."""
    try:
        credentials: Credentials = spec.accepts.model_validate(raw)
    except ValidationError as exc:
        problems = field_errors(exc.errors())
        raise errors.invalid_fields(
            {"credentials" if k == "body" else f"credentials.{k}": v for k, v in problems.items()}
        ) from exc
    return credentials


def pacing_busy(retry_after: int) -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.RATE_LIMITED, "RATE_LIMITED",
        "Muitas requisições simultâneas a esta conta da plataforma: tente de novo em instantes",
        "Too many concurrent requests to this platform account: try again in a moment",
        headers={"Retry-After": str(max(1, retry_after))},
    )  # fmt: skip


def _ready(spec: ConnectorSpec[Any], given: Credentials) -> dict[str, Any]:
    """What to store for the credentials a person gave: prepared (a token exchange) and
    tested with one cheap vendor call. Refused: 400 INVALID_CREDENTIALS, nothing stored."""
    schedule = DynamoSchedule()
    try:
        prepared = spec.ready(given, registry.build_context(schedule, attempts=CHECK_ATTEMPTS))
        vault = oauth.MemoryVault(prepared.model_dump(mode="json"))
        connector = registry.build(
            spec.platform, prepared, schedule, attempts=CHECK_ATTEMPTS, vault=vault
        )
    except UnsafeUrl as exc:
        raise invalid_credentials(f"baseUrl: {exc}") from None
    except VendorAuthError as exc:
        raise invalid_credentials(str(exc)) from None
    except VendorError as exc:
        raise invalid_credentials(f"the platform could not be reached ({exc})") from None
    except Contention as exc:  # the account's pacing slots were contended: nothing was sent
        raise pacing_busy(exc.retry_after) from None
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
    return vault.read()


def _store(tenant_id: str, spec: ConnectorSpec[Any], connection: Connection,
           stored: dict[str, Any]) -> None:  # fmt: skip
    """Store a connection's credentials; those that rotate, under its token claim."""
    if spec.renew_after is None:
        secret_store.put(secret_name(tenant_id, connection), json.dumps(stored))
    else:
        oauth.replace(ConnectionVault(tenant_id, connection), stored)


def create(tenant_id: str, body: NewConnection) -> Connection:
    spec = _spec(body.platform)
    platform = spec.platform
    given = _credentials(spec, body.credentials)
    schedule, zone = schedules.timing(body.schedule, body.timezone)
    stored = _ready(spec, given)
    credentials = spec.credentials.model_validate(stored)
    now = utcnow()
    connection = Connection(
        id=new_id(now),
        name=body.name,
        platform=platform,
        enabled=body.enabled,
        created_at=now.isoformat(),
        updated_at=now.isoformat(),
        workspace_id=spec.workspace(credentials),
        web_base=spec.web(credentials),
        schedule=schedule,
        timezone=zone,
        identity=body.identity.stored() if body.identity else None,
    )
    # The id is new, so the secret cannot be another request's; the record follows it, and
    # the schedule last: a failure on the way undoes what was done.
    _store(tenant_id, spec, connection, stored)
    first = not connection_store.listing(tenant_id)
    try:
        connection_store.put_new(tenant_id, connection)
        try:
            if schedule:
                schedules.apply(tenant_id, connection)
        except Exception:
            connection_store.delete(tenant_id, connection.id)
            raise
    except Exception:
        secret_store.delete(secret_name(tenant_id, connection))
        token_claims.delete(tenant_id, connection.id)
        raise
    _people_for(tenant_id, first=first)
    return connection


def _people_for(tenant_id: str, *, first: bool) -> None:
    """The people index is kept for tenants that pull something: their first connection has
    the ERP's people indexed (a relink, on the run queue)."""
    if first:
        relink_job.start(tenant_id)


def put_managed(
    tenant_id: str, connection_id: str, platform: Platform, name: str, raw: dict[str, Any]
) -> Connection:
    """The connection an integration keeps for itself (Movidesk's, one per tenant) with new
    credentials: tested first (refused: nothing changes), then stored; created if missing."""
    spec = registry.spec(platform)
    if spec is None:
        raise platform_not_supported(platform.value)
    stored = _ready(spec, _credentials(spec, raw))
    existing = connection_store.get(tenant_id, connection_id)
    if existing is not None:
        _store(tenant_id, spec, existing, stored)
        return connection_store.update(
            tenant_id, connection_id,
            {"updated_at": utcnow().isoformat(), "auth_failures": 0, "enabled": True},
            remove=("disabled_reason",),
        )  # fmt: skip
    now = utcnow().isoformat()
    connection = Connection(connection_id, name, platform, True, now, now)
    _store(tenant_id, spec, connection, stored)
    first = not connection_store.listing(tenant_id)
    # Created meanwhile by another request: that connection holds this secret too.
    with contextlib.suppress(ConditionFailed):
        connection_store.put_new(tenant_id, connection)
        _people_for(tenant_id, first=first)
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
        stored = _ready(spec, _credentials(spec, body.credentials))
        _store(tenant_id, spec, connection, stored)
        fields["auth_failures"] = 0
        typed = spec.credentials.model_validate(stored)
        fields["workspace_id"] = spec.workspace(typed)
        fields["web_base"] = spec.web(typed)
    if body.name is not None:
        fields["name"] = body.name
    if "identity" in given:  # None removes it
        fields["identity"] = body.identity.stored() if body.identity else None
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
    secret_store.delete(secret_name(tenant_id, connection))
    token_claims.delete(tenant_id, connection_id)
    connection_store.delete(tenant_id, connection_id)
    # The run ends before anything is deleted: its worker loses the lease and stops at its
    # next page, taking that page back when it was a purge (services/pulls/engine.py).
    if connection.active_run:
        held = pull_runs.get_run(tenant_id, connection.active_run)
        if held is not None:
            code = lifecycle.PURGED if purge else lifecycle.DELETED_CODE
            outcome = lifecycle.failed(lifecycle.DELETED, code, release=False)
            lifecycle.end(tenant_id, held, outcome)
    if not purge:
        return {"runs": 0, "records": 0}
    purged = {
        "runs": pull_runs.delete_runs(tenant_id, connection_id),
        "records": pulled_records.delete_records(tenant_id, connection_id, streams_of(connection)),
    }
    record_objects.delete_connection(tenant_id, connection_id)  # records too large for items
    return purged


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
    raw: dict[str, Any] = json.loads(secret_store.get(secret_name(tenant_id, connection)))
    return raw


def vault(tenant_id: str, connection: Connection) -> ConnectionVault:
    """Where a connector reads and rewrites the connection's credentials (OAuth2 tokens)."""
    return ConnectionVault(tenant_id, connection)


def refused(tenant_id: str, connection: Connection, message: str) -> Connection | None:
    """The vendor refused the connection's credentials outside a run (the keep-alive): one
    more refusal in a row; at the limit the connection is disabled with the reason, and its
    schedule stops firing. None when the connection is gone."""
    fields = refusal(connection.auth_failures + 1, message)
    try:
        changed = connection_store.update(tenant_id, connection.id, fields)
    except ConditionFailed:
        return None
    if fields.get("enabled") is False:
        logger.warning("connection disabled", extra={"connection": connection.id,
                                                     "reason": "INVALID_CREDENTIALS"})  # fmt: skip
        if changed.schedule:
            schedules.apply(tenant_id, changed)
    return changed
