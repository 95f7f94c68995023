"""A pull run's life in three steps, each one table write or one transaction:

- :func:`claim` stores the new run holding its connection, by the rule every kind of run
  follows (``services/runs/lifecycle.claim``): a holder that gives no sign of life for
  ``pull_stale_seconds`` is ended and the connection taken over;
- :func:`checkpoint` writes the worker's state of the run while it holds the run's lease;
- :func:`end` finishes the run and lets go of its connection with the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ponte import errors
from ponte.clock import utcnow
from ponte.domain.connectors import Connection, PullRun, RunStatus
from ponte.observability import Metric, count
from ponte.repository import connections as connection_store
from ponte.repository import pull_runs
from ponte.repository.errors import ConditionFailed
from ponte.services.runs import lifecycle
from ponte.settings import get_settings

ABANDONED = "The run stopped giving signs of life and was taken over by a new run"
DELETED = "The connection was deleted"
DELETED_CODE = "CONNECTION_DELETED"
# The code a purge ends its connection's run with: the run's worker, finding its lease gone,
# takes back the page it was writing (the purge may have listed the records before it landed).
PURGED = "CONNECTION_PURGED"


class LeaseLost(Exception):
    """Another worker took the run over, or it was ended from outside: the worker stops
    without touching it."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ends: its status, why (for a failure), and what its connection records."""

    status: RunStatus
    error: str | None = None
    code: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)  # more of the run's (a summary)
    # The connection's fields when the run lets go of it; None: the connection is not the
    # run's to let go (deleted, or taken over by a new run).
    connection: Mapping[str, Any] | None = field(default_factory=dict)
    add: Mapping[str, int] = field(default_factory=dict)  # counters added on the connection


DEAD_LETTER = "DEAD_LETTER"


def dead_letter_reason(exc: Exception) -> str:
    """Why a run whose message went to the dead letters ended (the error's first line)."""
    first = (str(exc).splitlines() or [""])[0][:300]
    attempts = get_settings().pull_max_receives
    return (
        f"The run failed on each of its {attempts} attempts and its message went to the "
        f"dead-letter queue (ponte dlq): {type(exc).__name__}: {first}"
    )


def failed(message: str, code: str, *, release: bool = True) -> Outcome:
    return Outcome(RunStatus.ERROR, message, code, connection={} if release else None)


def purged(tenant_id: str, run_id: str) -> bool:
    """Whether a purge ended the run (or already deleted it)."""
    run = pull_runs.get_run(tenant_id, run_id)
    return run is None or run.error_code == PURGED


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


def claim(tenant_id: str, connection: Connection, run: PullRun, now: datetime) -> None:
    """Store ``run`` holding ``connection`` (one transaction), or answer SYNC_IN_PROGRESS."""
    item = pull_runs.run_item(tenant_id, run)

    def take(replacing: str | None) -> None:
        connection_store.claim_for_run(tenant_id, connection.id, item, replacing=replacing)

    def holder() -> str | None:
        current = connection_store.get(tenant_id, connection.id)
        if current is None or not current.enabled:
            raise disabled(current or connection)
        return current.active_run

    def alive(run_id: str) -> bool:
        held = pull_runs.get_run(tenant_id, run_id)
        return held is not None and not held.status.finished and _beating(held, now)

    def retire(run_id: str) -> None:
        held = pull_runs.get_run(tenant_id, run_id)
        if held is not None:
            end(tenant_id, held, failed(ABANDONED, "ABANDONED", release=False))

    lifecycle.claim(take, holder, alive, in_progress, retire)


def _beating(run: PullRun, now: datetime) -> bool:
    beat = run.heartbeat_at or run.created_at
    age = (now - datetime.fromisoformat(beat)).total_seconds()
    return age < get_settings().pull_stale_seconds


def checkpoint(tenant_id: str, run: PullRun, lease: str, fields: Mapping[str, Any]) -> None:
    """Write the worker's state of ``run`` with ``fields``; raises LeaseLost."""
    try:
        pull_runs.checkpoint(tenant_id, run.id, lease, run, fields)
    except ConditionFailed as exc:
        raise LeaseLost(run.id) from exc


def end(tenant_id: str, run: PullRun, outcome: Outcome, *, lease: str | None = None) -> bool:
    """Finish ``run`` with ``outcome``. With ``lease`` (its worker's), the worker's state of
    the run is written too; without, a run that has already finished is left as it is and a
    worker still at it loses its lease. False when the run was not this end's to write."""
    now = utcnow().isoformat()
    fields: dict[str, Any] = {"status": outcome.status.value, "completed_at": now}
    if outcome.error is not None:
        fields |= {"error": outcome.error, "error_code": outcome.code}
    if lease is None:
        fields["lease_id"] = ""
    fields |= outcome.fields
    release = None
    if outcome.connection is not None:
        release = {"last_sync_at": now, "last_sync_status": outcome.status.value}
        release |= outcome.connection
    ended = pull_runs.end(tenant_id, run, fields, lease=lease, release=release, add=outcome.add)
    if ended:
        _measure(run, outcome.status)
    return ended


def _measure(run: PullRun, status: RunStatus) -> None:
    """The metrics of a run's end: the alarms watch the failures, the dashboard the rest."""
    platform = run.platform.value
    ended = {"platform": platform, "status": status.value}
    count(Metric.PULL_RUNS_ENDED, by=[ended, {"status": status.value}])
    for metric, total in ((Metric.RECORDS_FETCHED, "fetched"), (Metric.RECORDS_CREATED, "created"),
                          (Metric.RECORDS_UPDATED, "updated")):  # fmt: skip
        if run.total(total):
            count(metric, run.total(total), by=[{"platform": platform}])
