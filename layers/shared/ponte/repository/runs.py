"""Runs (full sync, role sync): the run record with live progress, its first errors, the
tenant lock. ``kind`` says whose run it is (``keys.FULL_SYNC`` unless told)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ponte import aws
from ponte.repository import batch, keys
from ponte.repository.errors import ConditionFailed, is_condition_failure
from ponte.repository.table import Item, get_item, query_pages, serialize, table_name, values

COUNTS = ("total", "processed", "created", "updated", "unchanged", "failed")


def create_run_locked(
    tenant_id: str,
    lock_name: str,
    run: Mapping[str, Any],
    *,
    replacing: str = "",
    kind: str = keys.FULL_SYNC,
) -> None:
    """Take the tenant's lock and create the run, in one transaction. ``replacing`` takes the
    lock over from that (dead) run. Raises ConditionFailed when the lock is held."""
    run_id = str(run["run_id"])
    lock_item = {
        **keys.lock(tenant_id, lock_name),
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
    run_item = {**keys.run(tenant_id, kind, run_id), "type": f"{kind.lower()}_run", **run}
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
        raise ConditionFailed(lock_name) from exc


def close_run(
    tenant_id: str,
    lock_name: str,
    run_id: str,
    fields: Mapping[str, Any],
    finished: Sequence[str],
    *,
    kind: str = keys.FULL_SYNC,
) -> None:
    """Set the run's final fields (unless it already finished) and release its lock, together."""
    update = _update_params(tenant_id, run_id, fields, unless_status=finished, kind=kind)
    release = {
        "TableName": table_name(),
        "Key": serialize(keys.lock(tenant_id, lock_name)),
        "ConditionExpression": "attribute_not_exists(PK) OR run_id = :run",
        "ExpressionAttributeValues": values({":run": run_id}),
    }
    try:
        batch.transact([{"Update": update}, {"Delete": release}])
    except batch.TransactionCancelled:
        # Already finished (a stop closed it) or the lock moved on: settle each on its own.
        update_run(tenant_id, run_id, fields, unless_status=finished, kind=kind)
        release_lock(tenant_id, lock_name, run_id)


def get_run(tenant_id: str, run_id: str, *, kind: str = keys.FULL_SYNC) -> Item | None:
    return get_item(keys.run(tenant_id, kind, run_id))


def list_runs(tenant_id: str, limit: int, *, kind: str = keys.FULL_SYNC) -> list[Item]:
    prefix = keys.run(tenant_id, kind)
    for page in query_pages(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :run)",
        ExpressionAttributeValues=values({":pk": prefix["PK"], ":run": prefix["SK"]}),
        ScanIndexForward=False,
        Limit=limit,
    ):
        return page
    return []


def update_run(
    tenant_id: str,
    run_id: str,
    fields: Mapping[str, Any],
    *,
    unless_status: Sequence[str] = (),
    kind: str = keys.FULL_SYNC,
) -> bool:
    """Set fields; with ``unless_status``, only if the run is not in one of those states."""
    try:
        aws.dynamodb().update_item(
            **_update_params(tenant_id, run_id, fields, unless_status=unless_status, kind=kind)
        )
    except Exception as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def _update_params(
    tenant_id: str,
    run_id: str,
    fields: Mapping[str, Any],
    *,
    unless_status: Sequence[str] = (),
    kind: str = keys.FULL_SYNC,
) -> dict[str, Any]:
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    vals: dict[str, Any] = {f":v{i}": value for i, value in enumerate(fields.values())}
    params: dict[str, Any] = {
        "TableName": table_name(),
        "Key": serialize(keys.run(tenant_id, kind, run_id)),
        "UpdateExpression": "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
        "ConditionExpression": "attribute_exists(PK)",
    }
    if unless_status:
        names["#status"] = "status"
        placeholders = []
        for i, status in enumerate(unless_status):
            vals[f":s{i}"] = status
            placeholders.append(f":s{i}")
        params["ConditionExpression"] += f" AND NOT #status IN ({', '.join(placeholders)})"
    params["ExpressionAttributeNames"] = names
    params["ExpressionAttributeValues"] = values(vals)
    return params


def add_progress(tenant_id: str, run_id: str, entity: str, counts: Mapping[str, int]) -> None:
    """Add a chunk's counts to the run's progress for ``entity`` (atomic, concurrent-safe)."""
    add_progresses(tenant_id, run_id, {entity: counts})


def add_progresses(tenant_id: str, run_id: str, by_entity: Mapping[str, Mapping[str, int]]) -> None:
    """Add counts to several entities' progress in one request."""
    names = {"#p": "progress"}
    vals: dict[str, Any] = {}
    adds = []
    for e, (entity, counts) in enumerate(by_entity.items()):
        names[f"#e{e}"] = entity
        for i, (name, value) in enumerate(counts.items()):
            names[f"#c{e}_{i}"] = name
            vals[f":c{e}_{i}"] = value
            adds.append(f"#p.#e{e}.#c{e}_{i} :c{e}_{i}")
    if not adds:
        return
    aws.dynamodb().update_item(
        TableName=table_name(),
        Key=serialize(keys.full_sync_run(tenant_id, run_id)),
        UpdateExpression="ADD " + ", ".join(adds),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values(vals),
    )


def put_errors(tenant_id: str, run_id: str, errors: Sequence[Mapping[str, Any]]) -> None:
    """Store record errors (entity, chunk, index, code, messages), 25 per request."""
    client = aws.dynamodb()
    for start in range(0, len(errors), 25):
        requests = [
            {
                "PutRequest": {
                    "Item": serialize(
                        {
                            **keys.full_sync_error(
                                tenant_id, run_id, e["entity"], int(e["chunk"]), int(e["index"])
                            ),
                            "type": "full_sync_error",
                            **e,
                        }
                    )
                }
            }
            for e in errors[start : start + 25]
        ]
        pending: dict[str, Any] = {table_name(): requests}
        while pending:
            response = client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}


def first_errors(tenant_id: str, run_id: str, limit: int) -> list[Item]:
    pk = keys.full_sync_error(tenant_id, run_id, "", 0, 0)["PK"]
    for page in query_pages(
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues=values({":pk": pk}),
        Limit=limit,
    ):
        return page
    return []


def get_lock(tenant_id: str, name: str) -> Item | None:
    return get_item(keys.lock(tenant_id, name))


def release_lock(tenant_id: str, name: str, run_id: str) -> None:
    """Release the lock if ``run_id`` still holds it."""
    try:
        aws.dynamodb().delete_item(
            TableName=table_name(),
            Key=serialize(keys.lock(tenant_id, name)),
            ConditionExpression="run_id = :run",
            ExpressionAttributeValues=values({":run": run_id}),
        )
    except Exception as exc:
        if not is_condition_failure(exc):
            raise
