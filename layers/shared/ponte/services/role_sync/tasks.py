"""The role-sync workflow's states (role_sync.asl.json): check every account's connection
before anything changes, read the master's roles once, then per slave plan the changes and
apply them in batches (a Wait between batches), recording live counts; a failing slave is
recorded and the others go on; finalize writes the sync logs and releases the lock."""

from __future__ import annotations

import math

from ponte.domain.kommo import plan_roles
from ponte.domain.runs import RunStatus
from ponte.repository import kommo as kommo_store
from ponte.repository.kommo import SlaveResult
from ponte.services import kommo_accounts
from ponte.services.role_sync import history
from ponte.services.role_sync.model import (
    AccountRef,
    Checked,
    FinalizeResult,
    ReadMasterResult,
    Slave,
    SlaveEvent,
    SlaveFailedEvent,
    SlaveOutcome,
    StartEvent,
)
from ponte.services.runs import lifecycle
from ponte.services.runs.events import FinalizeEvent
from ponte.settings import get_settings
from ponte.vendors.kommo import KommoAuthError, KommoClient, KommoError, KommoUnavailable, Pacer

_FATAL = (KommoAuthError, KommoUnavailable)  # the account is gone: fail the slave


class RoleSyncFailed(Exception):
    """The run cannot go on (the master is unreachable); the message is for people."""


def _client(tenant_id: str, account: AccountRef, pacer: list[float] | None = None) -> KommoClient:
    return KommoClient(
        str(account["subdomain"]),
        kommo_accounts.token(tenant_id, int(account["id"])),
        base_url=get_settings().kommo_base_url,
        pacer=Pacer(pacer or ()),
    )


def check(event: StartEvent) -> Checked:
    """Every account answers before anything changes; a slave that does not is failed."""
    tenant_id, run_id, master = event["tenant_id"], event["run_id"], event["master"]
    try:
        _client(tenant_id, master).account()
    except KommoError as exc:
        raise RoleSyncFailed(f"Falha na conexão com a conta master {master['id']}: {exc}") from exc
    reachable: list[Slave] = []
    for slave in event["slaves"]:
        result = SlaveResult(account_id=slave["id"], subdomain=slave["subdomain"])
        try:
            client = _client(tenant_id, slave)
            client.account()
        except Exception as exc:  # a missing token counts as no connection
            message = str(exc) if isinstance(exc, KommoError) else type(exc).__name__
            result = SlaveResult(
                slave["id"], slave["subdomain"], "failed", error=f"Falha na conexão: {message}"
            )
        else:
            reachable.append({**slave, "pacer": client.pacer.state()})  # the pace goes on
        kommo_store.put_slave(tenant_id, run_id, result)
    return {"slaves": reachable}


def read_master(event: StartEvent) -> ReadMasterResult:
    tenant_id, run_id, master = event["tenant_id"], event["run_id"], event["master"]
    try:
        roles = _client(tenant_id, master).roles()
    except KommoError as exc:
        raise RoleSyncFailed(f"Erro ao extrair roles da master: {exc}") from exc
    kommo_store.put_master_roles(tenant_id, run_id, roles)
    return {"roles": len(roles)}


def plan(event: SlaveEvent) -> SlaveEvent:
    """The slave's changes, stored; the item state goes on with its batch count."""
    tenant_id, run_id, slave = event["tenant_id"], event["run_id"], event["slave"]
    client = _client(tenant_id, slave, slave.get("pacer"))
    planned = plan_roles(kommo_store.master_roles(tenant_id, run_id), client.roles())
    kommo_store.put_plan(tenant_id, run_id, slave["id"], planned.operations)
    kommo_store.set_slave(
        tenant_id,
        run_id,
        slave["id"],
        {
            "status": "running",
            "planned": True,
            "roles_total": len(planned.operations) + planned.skipped,
            "skipped": planned.skipped,
        },
    )
    batches = math.ceil(len(planned.operations) / int(event["batch_size"]))
    return {**event, "batches": batches, "batch": 0, "pacer": client.pacer.state()}


def apply_batch(event: SlaveEvent) -> SlaveEvent:
    """Apply one batch: creates in one request, updates and deletes one request each."""
    tenant_id, run_id, slave = event["tenant_id"], event["run_id"], event["slave"]
    size, batch = int(event["batch_size"]), int(event.get("batch", 0))
    stored = kommo_store.plan(tenant_id, run_id, slave["id"])
    operations = stored[batch * size : (batch + 1) * size]
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
    kommo_store.add_slave_counts(tenant_id, run_id, slave["id"], counts, problems)
    return {**event, "batch": batch + 1, "pacer": client.pacer.state()}


def record(event: SlaveEvent) -> SlaveOutcome:
    slave = event["slave"]
    kommo_store.set_slave(event["tenant_id"], event["run_id"], slave["id"], {"status": "success"})
    return {"account_id": slave["id"], "status": "success"}


def slave_failed(event: SlaveFailedEvent) -> SlaveOutcome:
    """A slave that failed after its retries: recorded with what it had done."""
    slave = event["slave"]
    message = lifecycle.task_failure(event.get("error") or {}).message
    kommo_store.set_slave(
        event["tenant_id"], event["run_id"], slave["id"], {"status": "failed", "error": message}
    )
    return {"account_id": slave["id"], "status": "failed"}


def finalize(event: FinalizeEvent) -> FinalizeResult:
    error = event.get("error")
    status = RunStatus.FAILED if error else RunStatus.COMPLETED
    message = lifecycle.task_failure(error).message if error else None
    history.close(event["tenant_id"], event["run_id"], status, message)
    return {"status": status.value}
