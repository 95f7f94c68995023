"""Full-sync runs: the run record with live progress, its first errors, the tenant lock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ponte import aws
from ponte.repository import keys
from ponte.repository.errors import ConditionFailed, is_condition_failure
from ponte.repository.table import Item, get_item, query_pages, serialize, table_name, values

COUNTS = ("total", "processed", "created", "updated", "unchanged", "failed")


def put_run(tenant_id: str, run: Mapping[str, Any]) -> None:
    item = {**keys.full_sync_run(tenant_id, str(run["run_id"])), "type": "full_sync_run", **run}
    aws.dynamodb().put_item(
        TableName=table_name(), Item=serialize(item), ConditionExpression="attribute_not_exists(PK)"
    )


def get_run(tenant_id: str, run_id: str) -> Item | None:
    return get_item(keys.full_sync_run(tenant_id, run_id))


def list_runs(tenant_id: str, limit: int) -> list[Item]:
    prefix = keys.full_sync_run(tenant_id)
    for page in query_pages(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :run)",
        ExpressionAttributeValues=values({":pk": prefix["PK"], ":run": prefix["SK"]}),
        ScanIndexForward=False,
        Limit=limit,
    ):
        return page
    return []


def update_run(
    tenant_id: str, run_id: str, fields: Mapping[str, Any], *, unless_status: Sequence[str] = ()
) -> bool:
    """Set fields; with ``unless_status``, only if the run is not in one of those states."""
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    vals: dict[str, Any] = {f":v{i}": value for i, value in enumerate(fields.values())}
    params: dict[str, Any] = {
        "TableName": table_name(),
        "Key": serialize(keys.full_sync_run(tenant_id, run_id)),
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
    try:
        aws.dynamodb().update_item(**params)
    except Exception as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def add_progress(tenant_id: str, run_id: str, entity: str, counts: Mapping[str, int]) -> None:
    """Add a chunk's counts to the run's progress for ``entity`` (atomic, concurrent-safe)."""
    names = {"#p": "progress", "#e": entity}
    vals: dict[str, Any] = {}
    adds = []
    for i, (name, value) in enumerate(counts.items()):
        names[f"#c{i}"] = name
        vals[f":c{i}"] = value
        adds.append(f"#p.#e.#c{i} :c{i}")
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


def take_lock(tenant_id: str, name: str, holder: Mapping[str, Any], *, replacing: str = "") -> None:
    """Take the lock; ``replacing`` takes it over from that (dead) holder's run id."""
    item = {**keys.lock(tenant_id, name), "type": "lock", **holder}
    condition = "attribute_not_exists(PK)"
    vals: dict[str, Any] = {}
    if replacing:
        condition = "run_id = :old"
        vals[":old"] = replacing
    params: dict[str, Any] = {
        "TableName": table_name(),
        "Item": serialize(item),
        "ConditionExpression": condition,
    }
    if vals:
        params["ExpressionAttributeValues"] = values(vals)
    try:
        aws.dynamodb().put_item(**params)
    except Exception as exc:
        if is_condition_failure(exc):
            raise ConditionFailed(name) from exc
        raise


def get_lock(tenant_id: str, name: str) -> Item | None:
    return get_item(keys.lock(tenant_id, name))


def update_lock(tenant_id: str, name: str, run_id: str, fields: Mapping[str, Any]) -> None:
    names = {f"#f{i}": k for i, k in enumerate(fields)}
    vals = {f":v{i}": v for i, v in enumerate(fields.values())} | {":run": run_id}
    aws.dynamodb().update_item(
        TableName=table_name(),
        Key=serialize(keys.lock(tenant_id, name)),
        UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
        ConditionExpression="run_id = :run",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values(vals),
    )


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
