"""One run per tenant at a time (architecture §6): the lock and the run are created together;
a lock whose execution is no longer running is taken over, so a crash never blocks for ever."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ponte.adapters import workflows
from ponte.clock import utcnow
from ponte.errors import ApiError
from ponte.repository import runs
from ponte.repository.errors import ConditionFailed


def execution_arn(state_machine_arn: str, run_id: str) -> str:
    """Executions are named after their run: the ARN follows from the state machine's."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{run_id}"


def create_locked(
    tenant_id: str,
    lock: str,
    run: Mapping[str, Any],
    *,
    kind: str,
    execution_of: Callable[[str], str],
    busy: ApiError,
) -> None:
    """Take ``lock`` and create ``run``; raise ``busy`` while another run is alive."""
    try:
        runs.create_run_locked(tenant_id, lock, run, kind=kind)
        return
    except ConditionFailed:
        pass
    holder = runs.get_lock(tenant_id, lock) or {}
    holder_run = str(holder.get("run_id", ""))
    state = workflows.status(execution_of(holder_run)) if holder_run else "MISSING"
    if state == "RUNNING" or (state == "MISSING" and _recent(holder.get("taken_at"))):
        raise busy
    try:  # the holder's execution is over (or never started): take the lock over
        runs.create_run_locked(tenant_id, lock, run, replacing=holder_run, kind=kind)
    except ConditionFailed as exc:
        raise busy from exc


def _recent(taken_at: Any, seconds: int = 120) -> bool:
    """A lock without an execution yet is alive while its start may still be under way."""
    if not taken_at:
        return False
    return (utcnow() - datetime.fromisoformat(str(taken_at))).total_seconds() < seconds
