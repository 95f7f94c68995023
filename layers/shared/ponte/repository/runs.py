"""Runs in the table: the run record with live progress, its first errors, and the lock that
keeps one run of a kind per tenant (taken and released together with the run's changes)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ponte import aws
from ponte.domain.runs import FINISHED, RunKind, RunStatus
from ponte.repository import batch, keys
from ponte.repository.errors import ConditionFailed, conditional, translated
from ponte.repository.table import (
    Item,
    assignments,
    first_page,
    get_item,
    serialize,
    table_name,
    values,
    without_keys,
)

_CORE = ("run_id", "status", "created_at", "started_at", "ended_at", "error")


@dataclass(frozen=True, slots=True)
class StoredRun:
    kind: RunKind
    run_id: str
    status: RunStatus
    created_at: str
    started_at: str | None = None
    ended_at: str | None = None
    error: str | None = None
    body: Mapping[str, Any] | None = None  # the kind's own fields: progress, slaves, ...

    def get(self, name: str, default: Any = None) -> Any:
        return (self.body or {}).get(name, default)


@dataclass(frozen=True, slots=True)
class RunLock:
    run_id: str
    taken_at: str


def _run(kind: RunKind, item: Item) -> StoredRun:
    body = {k: v for k, v in without_keys(item).items() if k not in (*_CORE, "type")}
    return StoredRun(
        kind=kind,
        run_id=str(item["run_id"]),
        status=RunStatus(item["status"]),
        created_at=str(item["created_at"]),
        started_at=item.get("started_at"),
        ended_at=item.get("ended_at"),
        error=item.get("error"),
        body=body,
    )


def create_run_locked(
    tenant_id: str, kind: RunKind, run: Mapping[str, Any], *, replacing: str = ""
) -> None:
    """Take the kind's lock and create the run, in one transaction. ``replacing`` takes the
    lock over from that (dead) run. Raises ConditionFailed when the lock is held."""
    run_id = str(run["run_id"])
    lock_item = {
        **keys.lock(tenant_id, kind),
        "type": "lock",
        "run_id": run_id,
        "taken_at": run["created_at"],
    }
    lock_put: dict[str, Any] = {"TableName": table_name(), "Item": serialize(lock_item)}
    if replacing:
        lock_put["ConditionExpression"] = "run_id = :old"
        lock_put["ExpressionAttributeValues"] = values({":old": replacing})
    else:
        lock_put["ConditionExpression"] = "attribute_not_exists(PK)"
    run_item = {**keys.run(tenant_id, kind, run_id), "type": f"{kind.value.lower()}_run", **run}
    try:
        batch.transact(
            [
                {"Put": lock_put},
                {
                    "Put": {
                        "TableName": table_name(),
                        "Item": serialize(run_item),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )
    except batch.TransactionCancelled as exc:
        raise ConditionFailed(kind.lock) from exc


def close_run(tenant_id: str, kind: RunKind, run_id: str, fields: Mapping[str, Any]) -> None:
    """Set the run's final fields (unless it already finished) and release its lock, together."""
    update = _update_params(tenant_id, kind, run_id, fields, unless_finished=True)
    release = {
        "TableName": table_name(),
        "Key": serialize(keys.lock(tenant_id, kind)),
        "ConditionExpression": "attribute_not_exists(PK) OR run_id = :run",
        "ExpressionAttributeValues": values({":run": run_id}),
    }
    try:
        batch.transact([{"Update": update}, {"Delete": release}])
    except batch.TransactionCancelled:
        # Already finished (a stop closed it) or the lock moved on: settle each on its own.
        update_run(tenant_id, kind, run_id, fields, unless_finished=True)
        release_lock(tenant_id, kind, run_id)


def get_run(tenant_id: str, kind: RunKind, run_id: str) -> StoredRun | None:
    item = get_item(keys.run(tenant_id, kind, run_id))
    return _run(kind, item) if item else None


def list_runs(tenant_id: str, kind: RunKind, limit: int) -> list[StoredRun]:
    """The newest runs first."""
    prefix = keys.run(tenant_id, kind)
    page = first_page(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :run)",
        ExpressionAttributeValues=values({":pk": prefix["PK"], ":run": prefix["SK"]}),
        ScanIndexForward=False,
        Limit=limit,
    )
    return [_run(kind, item) for item in page]


def update_run(
    tenant_id: str,
    kind: RunKind,
    run_id: str,
    fields: Mapping[str, Any],
    *,
    unless_finished: bool = False,
) -> bool:
    """Set fields; with ``unless_finished``, only if the run has not finished."""
    try:
        with conditional(run_id):
            aws.dynamodb().update_item(
                **_update_params(tenant_id, kind, run_id, fields, unless_finished=unless_finished)
            )
    except ConditionFailed:
        return False
    return True


def _update_params(
    tenant_id: str,
    kind: RunKind,
    run_id: str,
    fields: Mapping[str, Any],
    *,
    unless_finished: bool = False,
) -> dict[str, Any]:
    sets, names, vals = assignments(fields)
    params: dict[str, Any] = {
        "TableName": table_name(),
        "Key": serialize(keys.run(tenant_id, kind, run_id)),
        "UpdateExpression": f"SET {sets}",
        "ConditionExpression": "attribute_exists(PK)",
    }
    if unless_finished:
        names["#status"] = "status"
        placeholders = []
        for i, status in enumerate(sorted(FINISHED)):
            vals[f":s{i}"] = status.value
            placeholders.append(f":s{i}")
        params["ConditionExpression"] += f" AND NOT #status IN ({', '.join(placeholders)})"
    params["ExpressionAttributeNames"] = names
    params["ExpressionAttributeValues"] = values(vals)
    return params


def add_progress(
    tenant_id: str, kind: RunKind, run_id: str, by_part: Mapping[str, Mapping[str, int]]
) -> None:
    """Add counts to several parts of the run's ``progress`` (an entity, say) in one atomic,
    concurrency-safe request."""
    names = {"#p": "progress"}
    vals: dict[str, Any] = {}
    adds = []
    for e, (part, counts) in enumerate(by_part.items()):
        names[f"#e{e}"] = part
        for i, (name, value) in enumerate(counts.items()):
            names[f"#c{e}_{i}"] = name
            vals[f":c{e}_{i}"] = value
            adds.append(f"#p.#e{e}.#c{e}_{i} :c{e}_{i}")
    if not adds:
        return
    with translated():
        aws.dynamodb().update_item(
            TableName=table_name(),
            Key=serialize(keys.run(tenant_id, kind, run_id)),
            UpdateExpression="ADD " + ", ".join(adds),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values(vals),
        )


def put_errors(tenant_id: str, run_id: str, errors: Sequence[Mapping[str, Any]]) -> None:
    """Store a full sync's record errors (entity, chunk, index, code, messages)."""
    items = [
        {
            **keys.full_sync_error(
                tenant_id, run_id, e["entity"], int(e["chunk"]), int(e["index"])
            ),
            "type": "full_sync_error",
            **e,
        }
        for e in errors
    ]
    batch.put_all(items)


def first_errors(tenant_id: str, run_id: str, limit: int) -> list[Item]:
    prefix = keys.full_sync_errors(tenant_id, run_id)
    page = first_page(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :err)",
        ExpressionAttributeValues=values({":pk": prefix["PK"], ":err": prefix["SK"]}),
        Limit=limit,
    )
    return [without_keys(item) for item in page]


def get_lock(tenant_id: str, kind: RunKind) -> RunLock | None:
    item = get_item(keys.lock(tenant_id, kind))
    return RunLock(str(item["run_id"]), str(item.get("taken_at", ""))) if item else None


def release_lock(tenant_id: str, kind: RunKind, run_id: str) -> None:
    """Release the lock if ``run_id`` still holds it."""
    with contextlib.suppress(ConditionFailed), conditional(run_id):
        aws.dynamodb().delete_item(
            TableName=table_name(),
            Key=serialize(keys.lock(tenant_id, kind)),
            ConditionExpression="run_id = :run",
            ExpressionAttributeValues=values({":run": run_id}),
        )
