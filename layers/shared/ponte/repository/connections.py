"""SaaS connections in the table, and the claim a run holds on its connection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ponte import aws
from ponte.domain.connectors import Connection, Platform, RunStatus
from ponte.repository import batch, keys
from ponte.repository.errors import ConditionFailed, conditional, translated
from ponte.repository.table import (
    Item,
    assignments,
    deserialize,
    get_item,
    query_pages,
    serialize,
    table_name,
    values,
)

_FIELDS = (
    "id",
    "name",
    "platform",
    "enabled",
    "created_at",
    "updated_at",
    "last_sync_at",
    "last_sync_status",
    "synced_records",
    "disabled_reason",
    "auth_failures",
    "cursors",
    "active_run",
    "workspace_id",
    "schedule",
    "timezone",
    "identity",
    "web_base",
)


def _connection(item: Item) -> Connection:
    status = item.get("last_sync_status")
    return Connection(
        id=str(item["id"]),
        name=str(item["name"]),
        platform=Platform(item["platform"]),
        enabled=bool(item["enabled"]),
        created_at=str(item["created_at"]),
        updated_at=str(item["updated_at"]),
        last_sync_at=item.get("last_sync_at"),
        last_sync_status=RunStatus(status) if status else None,
        synced_records=int(item.get("synced_records", 0)),
        disabled_reason=item.get("disabled_reason"),
        auth_failures=int(item.get("auth_failures", 0)),
        cursors=dict(item.get("cursors") or {}),
        active_run=item.get("active_run"),
        workspace_id=item.get("workspace_id"),
        schedule=item.get("schedule"),
        timezone=item.get("timezone"),
        identity=dict(item["identity"]) if item.get("identity") else None,
        web_base=item.get("web_base"),
    )


def _item(tenant_id: str, connection: Connection) -> Item:
    body = {name: getattr(connection, name) for name in _FIELDS}
    return {**keys.connection(tenant_id, connection.id), "type": "connection", **body}


def put_new(tenant_id: str, connection: Connection) -> None:
    with conditional(connection.id):
        aws.dynamodb().put_item(
            TableName=table_name(),
            Item=serialize(_item(tenant_id, connection)),
            ConditionExpression="attribute_not_exists(PK)",
        )


def get(tenant_id: str, connection_id: str) -> Connection | None:
    item = get_item(keys.connection(tenant_id, connection_id))
    return _connection(item) if item else None


def listing(tenant_id: str) -> list[Connection]:
    """The tenant's connections, oldest first (one Query page per MB)."""
    key = keys.connection(tenant_id)
    return [
        _connection(item)
        for page in query_pages(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues=values({":pk": key["PK"]}),
        )
        for item in page
    ]


def update(
    tenant_id: str, connection_id: str, fields: Mapping[str, Any], *, remove: tuple[str, ...] = ()
) -> Connection:
    """Set ``fields`` (those set to None are removed, as is ``remove``) on an existing
    connection; return it."""
    remove = (*remove, *(name for name, value in fields.items() if value is None))
    sets, names, vals = assignments({k: v for k, v in fields.items() if v is not None})
    names |= {f"#r{i}": name for i, name in enumerate(remove)}
    expression = f"SET {sets}"
    if remove:
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
    with conditional(connection_id):
        response = aws.dynamodb().update_item(
            TableName=table_name(),
            Key=serialize(keys.connection(tenant_id, connection_id)),
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values(vals),
            ReturnValues="ALL_NEW",
        )
    return _connection(deserialize(response["Attributes"]))


def delete(tenant_id: str, connection_id: str) -> None:
    with translated():
        aws.dynamodb().delete_item(
            TableName=table_name(), Key=serialize(keys.connection(tenant_id, connection_id))
        )


def claim_for_run(
    tenant_id: str, connection_id: str, run_item: Item, *, replacing: str | None
) -> None:
    """Make ``run_item`` the connection's active run and store it, in one transaction: the
    connection must have no active run (or still hold ``replacing``, a dead one), and be
    enabled. Raises ConditionFailed otherwise."""
    vals: dict[str, Any] = {":run": run_item["id"], ":on": True}
    condition = "attribute_exists(PK) AND enabled = :on AND "
    if replacing:
        condition += "active_run = :old"
        vals[":old"] = replacing
    else:
        condition += "attribute_not_exists(active_run)"
    try:
        batch.transact(
            [
                {
                    "Update": {
                        "TableName": table_name(),
                        "Key": serialize(keys.connection(tenant_id, connection_id)),
                        "UpdateExpression": "SET active_run = :run",
                        "ConditionExpression": condition,
                        "ExpressionAttributeValues": values(vals),
                    }
                },
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
        raise ConditionFailed(connection_id) from exc


def release(
    tenant_id: str,
    connection_id: str,
    run_id: str,
    fields: Mapping[str, Any],
    *,
    add: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The update that lets go of the connection, if ``run_id`` still holds it, and records
    the run's outcome: ``fields`` set, ``add`` added (counters). For a transaction, or
    :func:`release_run`."""
    adds = dict(add or {})
    sets, names, vals = assignments(fields)
    names["#active"] = "active_run"
    expression = f"SET {sets} " if sets else ""
    for i, (name, amount) in enumerate(adds.items()):
        names[f"#add{i}"] = name
        vals[f":add{i}"] = amount
    if adds:
        expression += "ADD " + ", ".join(f"#add{i} :add{i}" for i in range(len(adds))) + " "
    return {
        "TableName": table_name(),
        "Key": serialize(keys.connection(tenant_id, connection_id)),
        "UpdateExpression": expression + "REMOVE #active",
        "ConditionExpression": "#active = :run",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values({":run": run_id} | vals),
    }


def release_run(
    tenant_id: str, connection_id: str, run_id: str, fields: Mapping[str, Any]
) -> Connection | None:
    """Let go of the connection (if ``run_id`` still holds it) and record the run's outcome;
    None when the connection is gone or held by another run."""
    try:
        with conditional(connection_id):
            response = aws.dynamodb().update_item(
                **release(tenant_id, connection_id, run_id, fields), ReturnValues="ALL_NEW"
            )
    except ConditionFailed:
        return None
    return _connection(deserialize(response["Attributes"]))
