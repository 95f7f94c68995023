"""Tenant parameters: a name, a type, a group and a text value, as the original integration's
``parameters`` table keeps them (``MOVIDESK_SYNC_SCHEDULES``: TEXT, group Integrações, a JSON
array).

A parameter whose value drives something outside the table (Movidesk's times drive
Scheduler schedules) is changed under a claim on its own item: :func:`claim` takes it for a
while (a conditional write), :func:`put` with ``owner`` writes only while the claim is the
writer's and counts a ``version``, :func:`release` lets go. So one writer at a time brings
the outside world in line with the value it wrote.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from ponte import aws
from ponte.clock import utcnow
from ponte.repository import keys
from ponte.repository.errors import ConditionFailed, conditional
from ponte.repository.table import get_item, serialize, table_name, values


@dataclass(frozen=True, slots=True)
class Stored:
    value: str | None  # None: never written (the item may hold only a claim)
    version: int


def get(tenant_id: str, name: str) -> str | None:
    return read(tenant_id, name).value


def read(tenant_id: str, name: str) -> Stored:
    item = get_item(keys.parameter(tenant_id, name))
    if not item or "value" not in item:
        return Stored(None, int((item or {}).get("version", 0)))
    return Stored(str(item["value"]), int(item.get("version", 0)))


def put(
    tenant_id: str,
    name: str,
    value: str,
    *,
    kind: str = "TEXT",
    group: str = "",
    owner: str | None = None,
) -> int:
    """Write the value (its version goes up by one: returned). With ``owner``, only while
    ``owner`` holds the parameter's claim: else ConditionFailed."""
    params: dict[str, Any] = {
        "TableName": table_name(),
        "Key": serialize(keys.parameter(tenant_id, name)),
        "UpdateExpression": (
            "SET #type = :type, #name = :name, value_type = :kind, #group = :group, "
            "#value = :value, updated_at = :now ADD version :one"
        ),
        "ExpressionAttributeNames": {
            "#type": "type",
            "#name": "name",
            "#group": "group",
            "#value": "value",
        },
        "ExpressionAttributeValues": values(
            {
                ":type": "parameter",
                ":name": name,
                ":kind": kind,
                ":group": group,
                ":value": value,
                ":now": utcnow().isoformat(),
                ":one": 1,
            }
        ),
        "ReturnValues": "UPDATED_NEW",
    }
    if owner is not None:
        params["ConditionExpression"] = "claimed_by = :owner"
        params["ExpressionAttributeValues"] |= values({":owner": owner})
    with conditional(name):
        response = aws.dynamodb().update_item(**params)
    return int(response["Attributes"]["version"]["N"])


def claim(tenant_id: str, name: str, owner: str, *, now: float, until: float) -> bool:
    """Take the parameter's claim for ``owner`` until ``until`` (epoch seconds): True, or
    False while another holds an unexpired one."""
    try:
        with conditional(name):
            aws.dynamodb().update_item(
                TableName=table_name(),
                Key=serialize(keys.parameter(tenant_id, name)),
                UpdateExpression="SET claimed_by = :owner, claimed_until = :until",
                ConditionExpression=("attribute_not_exists(claimed_until) OR claimed_until < :now"),
                ExpressionAttributeValues=values({":owner": owner, ":until": until, ":now": now}),
            )
    except ConditionFailed:
        return False
    return True


def release(tenant_id: str, name: str, owner: str) -> bool:
    """Let go of ``owner``'s claim; False when it was no longer ``owner``'s. A claim on a
    parameter never written leaves nothing behind."""
    key = serialize(keys.parameter(tenant_id, name))
    with contextlib.suppress(ConditionFailed), conditional(name):
        aws.dynamodb().update_item(
            TableName=table_name(),
            Key=key,
            UpdateExpression="REMOVE claimed_by, claimed_until",
            ConditionExpression="claimed_by = :owner",
            ExpressionAttributeValues=values({":owner": owner}),
        )
        with contextlib.suppress(ConditionFailed), conditional(name):
            aws.dynamodb().delete_item(
                TableName=table_name(),
                Key=key,
                ConditionExpression=(
                    "attribute_not_exists(#value) AND attribute_not_exists(claimed_by)"
                ),
                ExpressionAttributeNames={"#value": "value"},
            )
        return True
    return False
