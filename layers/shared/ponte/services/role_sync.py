"""Kommo role sync (seed 001) on Step Functions (infra/statemachines/role_sync.asl.json).

The API side starts, watches and stops runs; the workflow's tasks check every account's
connection before anything changes, read the master's roles once, then per slave plan the
changes and apply them in batches (a Wait of ``batch_delay`` between batches), recording
live counts; a failing slave is recorded and the others go on; finalize writes the totals and
the ``sync_logs`` and releases the lock.
"""

from __future__ import annotations

import json
import math
import secrets as random_ids
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from ponte import errors
from ponte.adapters import workflows
from ponte.clock import isoformat, utcnow
from ponte.domain.kommo import Account, plan_roles
from ponte.repository import keys, runs
from ponte.repository import kommo as repo
from ponte.services import kommo_accounts, run_lock
from ponte.settings import get_settings
from ponte.vendors.kommo import (
    KommoAuthError,
    KommoClient,
    KommoError,
    KommoUnavailable,
    Pacer,
)

LOCK = "role-sync"
KIND = keys.ROLE_SYNC
FINISHED = ("completed", "failed", "stopped")
RUNNING = "Já existe uma sincronização em andamento"
NO_MASTER = "Nenhuma conta master encontrada"
DONE = "Sincronização de roles concluída"
WAIT_LIMIT_SECONDS = 25.0
_pause = threading.Event()  # never set: its wait() is a plain real-time pause
_COUNTS = ("created", "updated", "deleted", "skipped")
_FATAL = (KommoAuthError, KommoUnavailable)  # the account is gone: fail the slave


class BatchConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: Annotated[StrictInt, Field(ge=1, le=50)] = 5
    batch_delay: Annotated[StrictFloat | StrictInt, Field(ge=0, le=60)] = 1.0


class RoleSyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    master_account_id: StrictInt | None = None
    slave_account_ids: list[StrictInt] | None = None
    batch_config: BatchConfig = BatchConfig()


@dataclass(frozen=True, slots=True)
class Started:
    sync_id: str
    run: dict[str, Any] | None  # the finished run, when the caller waited for it


def execution_arn(run_id: str) -> str:
    return run_lock.execution_arn(get_settings().role_sync_state_machine, run_id)


# -- the API side --------------------------------------------------------------------------
def start(tenant_id: str, request: RoleSyncRequest, *, wait: bool) -> Started:
    master, slaves = _accounts(tenant_id, request)
    now = utcnow()
    run_id = f"{now.strftime('%Y%m%dT%H%M%S')}-{random_ids.token_hex(4)}"
    config = request.batch_config
    run = {
        "run_id": run_id,
        "status": "running",
        "master": {"id": master.id, "subdomain": master.subdomain},
        "slaves": [{"id": s.id, "subdomain": s.subdomain} for s in slaves],
        "batch_config": {"batch_size": config.batch_size, "batch_delay": config.batch_delay},
        "created_at": now.isoformat(),
    }
    run_lock.create_locked(
        tenant_id,
        LOCK,
        run,
        kind=KIND,
        execution_of=execution_arn,
        busy=errors.conflict("ROLE_SYNC_RUNNING", RUNNING),
    )
    payload = {
        "tenant_id": tenant_id,
        "run_id": run_id,
        "master": run["master"],
        "slaves": run["slaves"],
        "batch_size": config.batch_size,
        # Step Functions waits whole seconds: a fractional delay is rounded up.
        "wait_seconds": math.ceil(config.batch_delay),
        "max_concurrency": get_settings().role_sync_map_concurrency,
    }
    try:
        workflows.start(get_settings().role_sync_state_machine, run_id, payload)
    except Exception:
        _close(tenant_id, run_id, {"status": "failed", "error": "Falha ao iniciar o workflow"})
        raise
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
        master = min(masters, key=lambda a: a.id)
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


def _wait_for(tenant_id: str, run_id: str) -> dict[str, Any] | None:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while time.monotonic() < deadline:
        run = runs.get_run(tenant_id, run_id, kind=KIND) or {}
        if run.get("status") in FINISHED:
            return dict(run)
        _pause.wait(0.2)  # real time, even under a virtual clock: the execution runs elsewhere
    return None


def results(tenant_id: str, run: dict[str, Any]) -> dict[str, Any]:
    """The seed's ``results`` of a run, from its slaves' records."""
    details = []
    totals = dict.fromkeys(_COUNTS, 0)
    success = failed = 0
    for item in repo.slaves(tenant_id, str(run["run_id"])):
        counts = {k: int(item.get(k, 0)) for k in _COUNTS}
        entry: dict[str, Any] = {
            "account_id": int(item["account_id"]),
            "subdomain": item["subdomain"],
            "status": item.get("status", "pending"),
        }
        if entry["status"] == "failed":
            failed += 1
            entry["error"] = item.get("error")
            entry["partial_results"] = (
                counts | {"errors": list(item.get("errors", []))} if item.get("planned") else None
            )
        else:
            success += entry["status"] == "success"
            entry["results"] = counts | {"errors": list(item.get("errors", []))}
        for k in _COUNTS:
            totals[k] += counts[k] if entry["status"] == "success" or item.get("planned") else 0
        details.append(entry)
    return {
        "total_accounts": len(details),
        "success_accounts": success,
        "failed_accounts": failed,
        **{f"total_roles_{k}": v for k, v in totals.items()},
        "account_details": details,
    }


def status(tenant_id: str) -> dict[str, Any]:
    recent = runs.list_runs(tenant_id, 5, kind=KIND)
    lock = runs.get_lock(tenant_id, LOCK)
    current = next((r for r in recent if lock and r["run_id"] == lock.get("run_id")), None)
    if current is not None and current.get("status") in FINISHED:
        current = None
    last = next((r for r in recent if r.get("status") in FINISHED), None)
    answer: dict[str, Any] = {"running": current is not None, "current": None, "last": None}
    if current is not None:
        slaves = repo.slaves(tenant_id, str(current["run_id"]))
        answer["current"] = {
            "sync_id": current["run_id"],
            "started_at": current["created_at"],
            "accounts_total": len(current.get("slaves", [])),
            "accounts_done": sum(1 for s in slaves if s.get("status") in ("success", "failed")),
            "accounts": [
                {
                    "account_id": int(s["account_id"]),
                    "subdomain": s["subdomain"],
                    "status": s.get("status", "pending"),
                    "roles_total": int(s.get("roles_total", 0)),
                    "roles_processed": sum(int(s.get(k, 0)) for k in _COUNTS),
                }
                for s in slaves
            ],
        }
    if last is not None:
        answer["last"] = _summary(tenant_id, last)
    return answer


def _summary(tenant_id: str, run: dict[str, Any]) -> dict[str, Any]:
    return {
        "sync_id": run["run_id"],
        "status": run["status"],
        "started_at": run["created_at"],
        "ended_at": run.get("ended_at"),
        "error": run.get("error"),
        "results": results(tenant_id, run),
    }


def stop(tenant_id: str) -> dict[str, Any]:
    lock = runs.get_lock(tenant_id, LOCK)
    run = runs.get_run(tenant_id, str(lock["run_id"]), kind=KIND) if lock else None
    if run is None or run.get("status") in FINISHED:
        raise errors.conflict("NO_ROLE_SYNC", "Nenhuma sincronização em andamento")
    run_id = str(run["run_id"])
    if workflows.status(execution_arn(run_id)) == "RUNNING":
        workflows.stop(execution_arn(run_id), "Parada solicitada pelo usuário")
    for slave in repo.slaves(tenant_id, run_id):
        if slave.get("status") not in ("success", "failed"):
            repo.set_slave(
                tenant_id,
                run_id,
                int(slave["account_id"]),
                {"status": "failed", "error": "Sincronização interrompida"},
            )
    _close(tenant_id, run_id, {"status": "stopped"})
    return _summary(tenant_id, runs.get_run(tenant_id, run_id, kind=KIND) or run)


def logs(tenant_id: str, limit: int) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in item.items() if k not in ("PK", "SK")}
        for item in repo.list_logs(tenant_id, limit)
    ]


def _close(tenant_id: str, run_id: str, fields: dict[str, Any]) -> None:
    """End the run: sync logs for each slave, final fields, and the lock released."""
    run = runs.get_run(tenant_id, run_id, kind=KIND) or {}
    if run.get("status") in FINISHED:
        runs.release_lock(tenant_id, LOCK, run_id)
        return
    ended = utcnow()
    master = run.get("master", {})
    entries = [
        {
            "sync_id": run_id,
            "master_id": master.get("id"),
            "master_subdomain": master.get("subdomain"),
            "slave_id": int(s["account_id"]),
            "slave_subdomain": s["subdomain"],
            "type": "roles_only",
            "status": "success" if s.get("status") == "success" else "failed",
            "details": {k: int(s.get(k, 0)) for k in _COUNTS}
            | {"errors": list(s.get("errors", [])), "error": s.get("error")},
            "finished_at": isoformat(ended),
        }
        for s in repo.slaves(tenant_id, run_id)
    ]
    repo.put_logs(tenant_id, entries)
    runs.close_run(
        tenant_id, LOCK, run_id, fields | {"ended_at": ended.isoformat()}, FINISHED, kind=KIND
    )


# -- the workflow's tasks ------------------------------------------------------------------
class RoleSyncFailed(Exception):
    """The run cannot go on (the master is unreachable); the message is for people."""


def _client(tenant_id: str, account: dict[str, Any], pacer: list[float] | None = None) -> Any:
    return KommoClient(
        str(account["subdomain"]),
        kommo_accounts.token(tenant_id, int(account["id"])),
        base_url=get_settings().kommo_base_url,
        pacer=Pacer(pacer or ()),
    )


def check(event: dict[str, Any]) -> dict[str, Any]:
    """Every account answers before anything changes; a slave that does not is failed."""
    tenant_id, run_id, master = event["tenant_id"], event["run_id"], event["master"]
    try:
        _client(tenant_id, master).account()
    except KommoError as exc:
        raise RoleSyncFailed(f"Falha na conexão com a conta master {master['id']}: {exc}") from exc
    reachable = []
    for slave in event["slaves"]:
        fields: dict[str, Any] = {"account_id": slave["id"], "subdomain": slave["subdomain"]}
        try:
            client = _client(tenant_id, slave)
            client.account()
        except (KommoError, Exception) as exc:  # a missing token counts as no connection
            message = str(exc) if isinstance(exc, KommoError) else type(exc).__name__
            fields |= {"status": "failed", "error": f"Falha na conexão: {message}"}
        else:
            fields["status"] = "pending"
            reachable.append(slave | {"pacer": client.pacer.state()})  # the pace goes on
        repo.put_part(tenant_id, run_id, "SLAVE", fields, slave["id"])
    return {"slaves": reachable}


def read_master(event: dict[str, Any]) -> dict[str, Any]:
    tenant_id, run_id, master = event["tenant_id"], event["run_id"], event["master"]
    try:
        roles = _client(tenant_id, master).roles()
    except KommoError as exc:
        raise RoleSyncFailed(f"Erro ao extrair roles da master: {exc}") from exc
    repo.put_part(tenant_id, run_id, "MASTER", {"roles": json.dumps(roles)})
    return {"roles": len(roles)}


def plan(event: dict[str, Any]) -> dict[str, Any]:
    """The slave's changes, stored; the item state goes on with its batch count."""
    tenant_id, run_id, slave = event["tenant_id"], event["run_id"], event["slave"]
    master = repo.get_part(tenant_id, run_id, "MASTER") or {}
    client = _client(tenant_id, slave, slave.get("pacer"))
    planned = plan_roles(json.loads(str(master.get("roles", "[]"))), client.roles())
    repo.put_part(tenant_id, run_id, "PLAN", {"operations": planned.operations}, slave["id"])
    repo.set_slave(
        tenant_id,
        run_id,
        int(slave["id"]),
        {
            "status": "running",
            "planned": True,
            "roles_total": len(planned.operations) + planned.skipped,
            "skipped": planned.skipped,
        },
    )
    batches = math.ceil(len(planned.operations) / int(event["batch_size"]))
    return event | {"batches": batches, "batch": 0, "pacer": client.pacer.state()}


def apply_batch(event: dict[str, Any]) -> dict[str, Any]:
    """Apply one batch: creates in one request, updates and deletes one request each."""
    tenant_id, run_id, slave = event["tenant_id"], event["run_id"], event["slave"]
    size, batch = int(event["batch_size"]), int(event["batch"])
    stored = repo.get_part(tenant_id, run_id, "PLAN", int(slave["id"])) or {}
    operations = list(stored.get("operations", []))[batch * size : (batch + 1) * size]
    client = _client(tenant_id, slave, event.get("pacer"))
    counts = dict.fromkeys(("created", "updated", "deleted"), 0)
    problems: list[str] = []
    creates = [op for op in operations if op["op"] == "create"]
    if creates:
        try:
            client.create_roles(creates)
            counts["created"] = len(creates)
        except KommoError as exc:
            if isinstance(exc, _FATAL):
                raise
            problems.append(f"Criar {', '.join(op['name'] for op in creates)}: {exc}")
    for op in operations:
        try:
            if op["op"] == "update":
                client.update_role(int(op["id"]), str(op["name"]), op["rights"])
                counts["updated"] += 1
            elif op["op"] == "delete":
                client.delete_role(int(op["id"]))
                counts["deleted"] += 1
        except KommoError as exc:
            if isinstance(exc, _FATAL):
                raise
            problems.append(f"{op['op']} {op['name']}: {exc}")
    repo.add_slave_counts(tenant_id, run_id, int(slave["id"]), counts, problems)
    return event | {"batch": batch + 1, "pacer": client.pacer.state()}


def record(event: dict[str, Any]) -> dict[str, Any]:
    repo.set_slave(event["tenant_id"], event["run_id"], int(event["slave"]["id"]), {
        "status": "success"
    })  # fmt: skip
    return {"account_id": event["slave"]["id"], "status": "success"}


def slave_failed(event: dict[str, Any]) -> dict[str, Any]:
    """A slave that failed after its retries: recorded with what it had done."""
    message = _cause(event.get("error") or {})
    repo.set_slave(
        event["tenant_id"],
        event["run_id"],
        int(event["slave"]["id"]),
        {"status": "failed", "error": message},
    )
    return {"account_id": event["slave"]["id"], "status": "failed"}


def finalize(event: dict[str, Any]) -> dict[str, Any]:
    tenant_id, run_id = event["tenant_id"], event["run_id"]
    error = event.get("error")
    fields: dict[str, Any] = {"status": "failed" if error else "completed"}
    if error:
        fields["error"] = _cause(error)
    _close(tenant_id, run_id, fields)
    return {"status": fields["status"]}


def _cause(error: dict[str, Any]) -> str:
    """The person-readable message of a task failure (Step Functions' Error/Cause)."""
    cause = str(error.get("Cause", ""))
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause[:1000] or str(error.get("Error", "Erro"))
    return str(parsed.get("errorMessage") or parsed)[:1000]
