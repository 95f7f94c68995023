"""Ending a run from outside its worker (a new run took over, the connection was deleted)."""

from __future__ import annotations

from ponte.clock import utcnow
from ponte.domain.connectors import RunStatus
from ponte.repository import pulls as pull_store

ABANDONED = "The run stopped giving signs of life and was taken over by a new run"
DELETED = "The connection was deleted"


def end(tenant_id: str, run_id: str, message: str, code: str) -> None:
    """Fail the run; a worker still at it loses its lease and stops at its next page."""
    pull_store.set_run(
        tenant_id,
        run_id,
        {
            "status": RunStatus.ERROR.value,
            "error": message,
            "error_code": code,
            "completed_at": utcnow().isoformat(),
            "lease_id": "",
        },
    )
