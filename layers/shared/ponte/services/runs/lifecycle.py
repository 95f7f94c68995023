"""One run of a kind per tenant, on a Step Functions workflow.

The lock and the run are created together; a lock whose execution is no longer running is
taken over, so a crash never blocks the next run for ever. When the workflow cannot be
started the run is closed as failed at once. Executions are named after their run, so a run's
execution ARN follows from the state machine's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ponte.adapters import workflows
from ponte.clock import utcnow
from ponte.domain.ids import new_id
from ponte.domain.runs import RunKind, RunStatus
from ponte.errors import DomainError
from ponte.repository import runs
from ponte.repository.errors import ConditionFailed
from ponte.services.runs.events import TaskError

START_FAILED = "Falha ao iniciar o workflow"
STARTING_GRACE_SECONDS = 120  # a lock without an execution yet may still be starting


@dataclass(frozen=True, slots=True)
class Workflow:
    """A kind of run and the state machine that runs it."""

    kind: RunKind
    state_machine: Callable[[], str]  # its ARN, from the settings
    busy: Callable[[], DomainError]  # the error for a second start while one is alive

    def execution_arn(self, run_id: str) -> str:
        arn = self.state_machine()
        return arn.replace(":stateMachine:", ":execution:", 1) + f":{run_id}"

    def is_running(self, run_id: str) -> bool:
        return workflows.status(self.execution_arn(run_id)) == "RUNNING"


def start(
    tenant_id: str,
    workflow: Workflow,
    fields: Mapping[str, Any],
    payload: Callable[[str], Mapping[str, Any]],
) -> str:
    """Create the run (``fields`` plus its id and creation time) under the kind's lock, then
    start its execution with ``payload(run_id)``; return the run id."""
    now = utcnow()
    run_id = new_id(now)
    _create_locked(tenant_id, workflow, {"run_id": run_id, **fields, "created_at": now.isoformat()})
    try:
        workflows.start(workflow.state_machine(), run_id, dict(payload(run_id)))
    except Exception:
        close(tenant_id, workflow.kind, run_id, RunStatus.FAILED, {"error": START_FAILED})
        raise
    return run_id


def claim(
    take: Callable[[str | None], None],
    holder: Callable[[], str | None],
    alive: Callable[[str], bool],
    busy: Callable[[], DomainError],
    retire: Callable[[str], None] = lambda run_id: None,
) -> None:
    """The one rule of "one run at a time", for every kind of run. ``take(replacing)`` stores
    the new run with its claim in one conditional write: free (``None``), or still held by
    ``replacing``. When the claim is held, a holder that is ``alive`` answers ``busy``; a dead
    one is ``retire``d and the claim taken over from it, so a crash never blocks the next
    run for ever. Of two that take over at once, one wins; the other is ``busy``."""
    try:
        take(None)
        return
    except ConditionFailed:
        pass
    held = holder()
    if held is not None and alive(held):
        raise busy()
    if held is not None:
        retire(held)
    try:
        take(held)
    except ConditionFailed as exc:
        raise busy() from exc


def _create_locked(tenant_id: str, workflow: Workflow, run: Mapping[str, Any]) -> None:
    taken_at: dict[str, str] = {}

    def holder() -> str | None:
        lock = runs.get_lock(tenant_id, workflow.kind)
        if lock is None:
            return None
        taken_at[lock.run_id] = lock.taken_at
        return lock.run_id

    def alive(run_id: str) -> bool:
        state = workflows.status(workflow.execution_arn(run_id))
        # A lock without an execution yet may still be starting.
        return state == "RUNNING" or (state == "MISSING" and _recent(taken_at[run_id]))

    def take(replacing: str | None) -> None:
        runs.create_run_locked(tenant_id, workflow.kind, run, replacing=replacing or "")

    claim(take, holder, alive, workflow.busy)


def _recent(taken_at: str) -> bool:
    if not taken_at:
        return False
    age = (utcnow() - datetime.fromisoformat(taken_at)).total_seconds()
    return age < STARTING_GRACE_SECONDS


def close(
    tenant_id: str,
    kind: RunKind,
    run_id: str,
    status: RunStatus,
    extra: Mapping[str, Any] | None = None,
    *,
    started: bool = True,
) -> None:
    """Finish the run (unless it already finished) and release the lock, together.
    ``started=False`` stamps the start time too: a run that never started ends at once."""
    ended = utcnow().isoformat()
    fields = {"status": status.value, "ended_at": ended, **(extra or {})}
    if not started:
        fields["started_at"] = ended
    runs.close_run(tenant_id, kind, run_id, fields)


@dataclass(frozen=True, slots=True)
class TaskFailure:
    """A failed workflow task: the exception's class name and its message for people."""

    type: str
    message: str

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


def task_failure(error: TaskError, limit: int = 1000) -> TaskFailure:
    """Step Functions' ``{Error, Cause}`` of a caught failure; a Lambda task's Cause is the
    JSON of its exception, whose ``errorMessage`` is what a person should read."""
    kind = str(error.get("Error") or "Error")
    cause = str(error.get("Cause") or "")
    try:
        parsed = json.loads(cause)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        cause = str(parsed.get("errorMessage") or cause)
    return TaskFailure(kind, cause[:limit] or kind)
