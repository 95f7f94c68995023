"""The role-sync API's side: start (optionally waiting for the end), status, stop, logs."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from ponte import errors
from ponte.adapters import workflows
from ponte.domain.kommo import Account
from ponte.domain.runs import RunKind, RunStatus
from ponte.repository import kommo as kommo_store
from ponte.repository import runs
from ponte.repository.kommo import ROLE_COUNTS
from ponte.repository.runs import StoredRun
from ponte.services import kommo_accounts
from ponte.services.role_sync.history import close, logs
from ponte.services.role_sync.model import WORKFLOW, RoleSyncRequest, StartEvent
from ponte.services.runs import lifecycle
from ponte.settings import get_settings

__all__ = ["DONE", "Started", "logs", "results", "start", "status", "stop"]

KIND = RunKind.ROLE_SYNC
NO_MASTER = "Nenhuma conta master encontrada"
DONE = "Sincronização de roles concluída"
WAIT_LIMIT_SECONDS = 25.0
_pause = threading.Event()  # never set: its wait() is a plain real-time pause
_DONE_STATES = ("success", "failed")
STOPPED = "Sincronização interrompida"


@dataclass(frozen=True, slots=True)
class Started:
    sync_id: str
    run: StoredRun | None  # the finished run, when the caller waited for it


def start(tenant_id: str, request: RoleSyncRequest, *, wait: bool) -> Started:
    master, slaves = _accounts(tenant_id, request)
    config = request.batch_config
    master_ref = {"id": master.id, "subdomain": master.subdomain}
    slave_refs = [{"id": s.id, "subdomain": s.subdomain} for s in slaves]
    fields = {
        "status": RunStatus.RUNNING.value,
        "master": master_ref,
        "slaves": slave_refs,
        "batch_config": {"batch_size": config.batch_size, "batch_delay": config.batch_delay},
    }

    def payload(run_id: str) -> StartEvent:
        return {
            "tenant_id": tenant_id,
            "run_id": run_id,
            "master": {"id": master.id, "subdomain": master.subdomain},
            "slaves": [{"id": s.id, "subdomain": s.subdomain} for s in slaves],
            "batch_size": config.batch_size,
            # Step Functions waits whole seconds: a fractional delay is rounded up.
            "wait_seconds": math.ceil(config.batch_delay),
            "max_concurrency": get_settings().role_sync_map_concurrency,
        }

    run_id = lifecycle.start(tenant_id, WORKFLOW, fields, payload)
    return Started(run_id, _wait_for(tenant_id, run_id) if wait else None)


def _accounts(tenant_id: str, request: RoleSyncRequest) -> tuple[Account, list[Account]]:
    accounts = {a.id: a for a in kommo_accounts.listing(tenant_id)}
    if request.master_account_id is not None:
        master = accounts.get(request.master_account_id)
        if master is None or master.role != "master":
            raise errors.not_found(f"Conta master {request.master_account_id} não encontrada")
    else:
        masters = [a for a in accounts.values() if a.role == "master" and a.active]
        if not masters:
            raise errors.bad_request(NO_MASTER)
        if len(masters) > 1:  # only a race of two creates gets here: never choose silently
            ids = ", ".join(str(a.id) for a in sorted(masters, key=lambda a: a.id))
            raise errors.conflict(
                "SEVERAL_MASTERS", f"Há mais de uma conta master ({ids}): informe master_account_id"
            )
        master = masters[0]
    if request.slave_account_ids is not None:
        slaves = []
        for slave_id in dict.fromkeys(request.slave_account_ids):
            slave = accounts.get(slave_id)
            if slave is None or slave.role != "slave":
                raise errors.not_found(f"Conta slave {slave_id} não encontrada")
            slaves.append(slave)
    else:
        slaves = sorted(
            (a for a in accounts.values() if a.role == "slave" and a.active), key=lambda a: a.id
        )
    if not slaves:
        raise errors.bad_request("Nenhuma conta slave encontrada")
    return master, slaves


def _wait_for(tenant_id: str, run_id: str) -> StoredRun | None:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while time.monotonic() < deadline:
        run = runs.get_run(tenant_id, KIND, run_id)
        if run is not None and run.status.finished:
            return run
        _pause.wait(0.2)  # real time, even under a virtual clock: the execution runs elsewhere
    return None


def results(tenant_id: str, run: StoredRun) -> dict[str, Any]:
    """A run's ``results``, in the API's documented shape, from its slaves' records."""
    details = []
    totals = dict.fromkeys(ROLE_COUNTS, 0)
    success = failed = 0
    for slave in kommo_store.slaves(tenant_id, run.run_id):
        counts = slave.counts()
        # A task already under way when the run was stopped may write "running" after the
        # stop marked its slave: a finished run has no slave still going.
        unfinished = run.status.finished and slave.status not in _DONE_STATES
        status = "failed" if unfinished else slave.status
        entry: dict[str, Any] = {
            "account_id": slave.account_id,
            "subdomain": slave.subdomain,
            "status": status,
        }
        if status == "failed":
            failed += 1
            entry["error"] = STOPPED if unfinished else slave.error
            entry["partial_results"] = (
                counts | {"errors": list(slave.errors)} if slave.planned else None
            )
        else:
            success += slave.status == "success"
            entry["results"] = counts | {"errors": list(slave.errors)}
        for k in ROLE_COUNTS:
            totals[k] += counts[k] if slave.status == "success" or slave.planned else 0
        details.append(entry)
    return {
        "total_accounts": len(details),
        "success_accounts": success,
        "failed_accounts": failed,
        **{f"total_roles_{k}": v for k, v in totals.items()},
        "account_details": details,
    }


def status(tenant_id: str) -> dict[str, Any]:
    recent = runs.list_runs(tenant_id, KIND, 5)
    lock = runs.get_lock(tenant_id, KIND)
    current = next((r for r in recent if lock and r.run_id == lock.run_id), None)
    if current is not None and current.status.finished:
        current = None
    last = next((r for r in recent if r.status.finished), None)
    answer: dict[str, Any] = {"running": current is not None, "current": None, "last": None}
    if current is not None:
        slaves = kommo_store.slaves(tenant_id, current.run_id)
        answer["current"] = {
            "sync_id": current.run_id,
            "started_at": current.created_at,
            "accounts_total": len(current.get("slaves", [])),
            "accounts_done": sum(1 for s in slaves if s.status in _DONE_STATES),
            "accounts": [
                {
                    "account_id": s.account_id,
                    "subdomain": s.subdomain,
                    "status": s.status,
                    "roles_total": s.roles_total,
                    "roles_processed": sum(s.counts().values()),
                }
                for s in slaves
            ],
        }
    if last is not None:
        answer["last"] = summary(tenant_id, last)
    return answer


def summary(tenant_id: str, run: StoredRun) -> dict[str, Any]:
    return {
        "sync_id": run.run_id,
        "status": run.status.value,
        "started_at": run.created_at,
        "ended_at": run.ended_at,
        "error": run.error,
        "results": results(tenant_id, run),
    }


def stop(tenant_id: str) -> dict[str, Any]:
    lock = runs.get_lock(tenant_id, KIND)
    run = runs.get_run(tenant_id, KIND, lock.run_id) if lock else None
    if run is None or run.status.finished:
        raise errors.conflict("NO_ROLE_SYNC", "Nenhuma sincronização em andamento")
    if WORKFLOW.is_running(run.run_id):
        workflows.stop(WORKFLOW.execution_arn(run.run_id), "Parada solicitada pelo usuário")
    for slave in kommo_store.slaves(tenant_id, run.run_id):
        if slave.status not in _DONE_STATES:
            kommo_store.set_slave(
                tenant_id,
                run.run_id,
                slave.account_id,
                {"status": "failed", "error": STOPPED},
            )
    close(tenant_id, run.run_id, RunStatus.STOPPED)
    return summary(tenant_id, runs.get_run(tenant_id, KIND, run.run_id) or run)
