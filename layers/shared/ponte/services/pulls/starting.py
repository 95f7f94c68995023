"""Starting a connector run: one run per connection, enqueued, answered at once.

The run is created with the connection's claim in one transaction. A connection already held
by a run that is pending or in progress answers SYNC_IN_PROGRESS, unless that run has given
no sign of life (no heartbeat) for ``pull_stale_seconds``: then it is failed and the new run
takes the connection over, so a crashed worker never blocks the connection for ever.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from ponte import errors
from ponte.adapters import queue
from ponte.clock import utcnow
from ponte.connectors import registry
from ponte.domain import movidesk
from ponte.domain.connectors import (
    Connection,
    Platform,
    PullRun,
    RunStatus,
    StreamState,
    Trigger,
)
from ponte.repository import connections as connection_store
from ponte.repository import pulls as pull_store
from ponte.repository.errors import ConditionFailed
from ponte.services import connections
from ponte.services.ids import new_id
from ponte.services.pulls.ending import ABANDONED, end
from ponte.settings import get_settings


def in_progress() -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.CONFLICT, "SYNC_IN_PROGRESS", "Já existe uma sincronização em andamento",
        "Another sync is running for this connection",
    )  # fmt: skip


def disabled(connection: Connection) -> errors.DomainError:
    reason = f": {connection.disabled_reason}" if connection.disabled_reason else ""
    return errors.DomainError(
        errors.Kind.CONFLICT, "CONNECTION_DISABLED", "Conexão desativada",
        f"The connection is disabled{reason}",
    )  # fmt: skip


def start(
    tenant_id: str,
    connection_id: str,
    *,
    full: bool,
    trigger: Trigger,
    options: dict[str, Any] | None = None,
) -> PullRun:
    """A new run holding the connection, queued for the worker. ``options``: what the run
    covers; a Movidesk run without them covers the scheduled window (the last 3 days)."""
    connection = connections.get(tenant_id, connection_id)
    if not connection.enabled:
        raise disabled(connection)
    now = utcnow()
    streams = registry.STREAMS.get(connection.platform)
    if streams is None:
        raise connections.platform_not_supported(connection.platform.value)
    run = PullRun(
        id=new_id(now),
        connection_id=connection.id,
        connection_name=connection.name,
        platform=connection.platform,
        status=RunStatus.PENDING,
        trigger=trigger,
        full_sync=full,
        created_at=now.isoformat(),
        streams={name: StreamState() for name in streams},
        heartbeat_at=now.isoformat(),
        options=options if options is not None else _default_options(connection, now),
    )
    _claim(tenant_id, connection, run, now)
    try:
        queue.send(get_settings().pull_queue_url, {"tenant_id": tenant_id, "run_id": run.id})
    except Exception:
        fail(tenant_id, run, "The run could not be queued", "QUEUE_ERROR")
        raise
    return run


def skipped(tenant_id: str, connection_id: str, holder: str | None) -> PullRun:
    """Record a schedule fire that found a run in progress: it is in the history, and the
    connection stays with the run that holds it."""
    connection = connections.get(tenant_id, connection_id)
    now = utcnow().isoformat()
    run = PullRun(
        id=new_id(utcnow()),
        connection_id=connection.id,
        connection_name=connection.name,
        platform=connection.platform,
        status=RunStatus.SKIPPED,
        trigger=Trigger.SCHEDULE,
        full_sync=False,
        created_at=now,
        streams={},
        started_at=now,
        completed_at=now,
        error=f"Another run ({holder or 'unknown'}) was in progress: this fire was skipped",
        error_code="SYNC_IN_PROGRESS",
    )
    pull_store.put_finished_run(tenant_id, run)
    return run


def _default_options(connection: Connection, now: datetime) -> dict[str, Any]:
    if connection.platform is not Platform.MOVIDESK:
        return {}
    return window_options(movidesk.scheduled_window(now), now)


def window_options(window: movidesk.Window, now: datetime) -> dict[str, Any]:
    """A Movidesk window as a run keeps it."""
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "period": window.period,
        "first_day": window.first_day.isoformat(),
        "last_day": window.last_day.isoformat(),
        "past": window.is_past(now),
    }


def _claim(tenant_id: str, connection: Connection, run: PullRun, now: datetime) -> None:
    item = pull_store.run_item(tenant_id, run)
    try:
        connection_store.claim_for_run(tenant_id, connection.id, item, replacing=None)
        return
    except ConditionFailed:
        pass
    current = connections.get(tenant_id, connection.id)
    if not current.enabled:
        raise disabled(current)
    holder = pull_store.get_run(tenant_id, current.active_run) if current.active_run else None
    if holder is not None and not holder.status.finished and _alive(holder, now):
        raise in_progress()
    if holder is not None and not holder.status.finished:
        end(tenant_id, holder.id, ABANDONED, "ABANDONED")
    try:
        connection_store.claim_for_run(tenant_id, connection.id, item, replacing=current.active_run)
    except ConditionFailed as exc:
        raise in_progress() from exc


def _alive(run: PullRun, now: datetime) -> bool:
    beat = run.heartbeat_at or run.created_at
    age = (now - datetime.fromisoformat(beat)).total_seconds()
    return age < get_settings().pull_stale_seconds


def fail(tenant_id: str, run: PullRun, message: str, code: str) -> None:
    """End a run that could not go on, and let go of its connection."""
    finished = replace(run, status=RunStatus.ERROR)
    now = utcnow().isoformat()
    pull_store.set_run(
        tenant_id,
        run.id,
        {"status": finished.status.value, "error": message, "error_code": code,
         "completed_at": now},
    )  # fmt: skip
    connection_store.release_run(
        tenant_id,
        run.connection_id,
        run.id,
        {"last_sync_at": now, "last_sync_status": RunStatus.ERROR.value},
    )
