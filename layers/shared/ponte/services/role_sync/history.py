"""How a role-sync run ends: a sync log per slave, the final fields, the lock released."""

from __future__ import annotations

from typing import Any

from ponte.clock import isoformat, utcnow
from ponte.domain.runs import RunKind, RunStatus
from ponte.repository import kommo as kommo_store
from ponte.repository import runs
from ponte.services.runs import lifecycle

KIND = RunKind.ROLE_SYNC


def close(tenant_id: str, run_id: str, status: RunStatus, error: str | None = None) -> None:
    run = runs.get_run(tenant_id, KIND, run_id)
    if run is None or run.status.finished:
        runs.release_lock(tenant_id, KIND, run_id)
        return
    finished_at = isoformat(utcnow())
    master = run.get("master", {})
    entries = [
        {
            "sync_id": run_id,
            "master_id": master.get("id"),
            "master_subdomain": master.get("subdomain"),
            "slave_id": s.account_id,
            "slave_subdomain": s.subdomain,
            "type": "roles_only",
            "status": "success" if s.status == "success" else "failed",
            "details": s.counts() | {"errors": list(s.errors), "error": s.error},
            "finished_at": finished_at,
        }
        for s in kommo_store.slaves(tenant_id, run_id)
    ]
    kommo_store.put_logs(tenant_id, entries)
    extra: dict[str, Any] = {"error": error} if error else {}
    lifecycle.close(tenant_id, KIND, run_id, status, extra)


def logs(tenant_id: str, limit: int) -> list[dict[str, Any]]:
    return kommo_store.list_logs(tenant_id, limit)
