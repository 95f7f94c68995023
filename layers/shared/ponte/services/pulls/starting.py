"""Starting a connector run: one run per connection, enqueued, answered at once.

The run is created with the connection's claim in one transaction (``lifecycle.claim``): a
connection held by a live run answers SYNC_IN_PROGRESS; one held by a run that has given no
sign of life is taken over, so a crashed worker never blocks the connection for ever.
"""

from __future__ import annotations

from typing import Any

from ponte.adapters import queue
from ponte.clock import utcnow
from ponte.connectors import registry
from ponte.domain import run_queue
from ponte.domain.connectors import PullRun, RunStatus, StreamState, Trigger
from ponte.domain.ids import new_id
from ponte.repository import pull_runs
from ponte.services import connections
from ponte.services.pulls import lifecycle
from ponte.settings import get_settings


def start(
    tenant_id: str,
    connection_id: str,
    *,
    full: bool,
    trigger: Trigger,
    options: dict[str, Any] | None = None,
) -> PullRun:
    """A new run holding the connection, queued for the worker. ``options``: what the run
    covers; without them, the platform's default (``ConnectorSpec.default_options``)."""
    connection = connections.get(tenant_id, connection_id)
    if not connection.enabled:
        raise lifecycle.disabled(connection)
    spec = registry.spec(connection.platform)
    if spec is None:
        raise connections.platform_not_supported(connection.platform.value)
    now = utcnow()
    run = PullRun(
        id=new_id(now),
        connection_id=connection.id,
        connection_name=connection.name,
        platform=connection.platform,
        status=RunStatus.PENDING,
        trigger=trigger,
        full_sync=full,
        created_at=now.isoformat(),
        streams={name: StreamState() for name in spec.streams},
        heartbeat_at=now.isoformat(),
        options=options if options is not None else spec.default_options(now),
    )
    lifecycle.claim(tenant_id, connection, run, now)
    try:
        queue.send(get_settings().pull_queue_url, run_queue.run(tenant_id, run.id))
    except Exception:
        lifecycle.end(tenant_id, run, lifecycle.failed("The run could not be queued",
                                                       "QUEUE_ERROR"))  # fmt: skip
        raise
    return run


def skipped(tenant_id: str, connection_id: str, holder: str | None) -> PullRun:
    """Record a schedule fire that found a run in progress: it is in the history, and the
    connection stays with the run that holds it."""
    connection = connections.get(tenant_id, connection_id)
    now = utcnow()
    run = PullRun(
        id=new_id(now),
        connection_id=connection.id,
        connection_name=connection.name,
        platform=connection.platform,
        status=RunStatus.SKIPPED,
        trigger=Trigger.SCHEDULE,
        full_sync=False,
        created_at=now.isoformat(),
        streams={},
        started_at=now.isoformat(),
        completed_at=now.isoformat(),
        error=f"Another run ({holder or 'unknown'}) was in progress: this fire was skipped",
        error_code="SYNC_IN_PROGRESS",
    )
    pull_runs.put_finished_run(tenant_id, run)
    return run
