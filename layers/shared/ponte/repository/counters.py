"""Per-tenant counters maintained on write, so totals never need a Scan.

One item per tenant holds them all: ``total_{entity}`` (records ever created),
``active_{entity}`` (records whose status is not inactive), ``{entity}@{parent}`` (records
placed under a parent: active units per institution, turmas per unit), ``memberships``
(people in turmas) and ``schedules`` (horários).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ponte import aws
from ponte.repository import keys
from ponte.repository.table import get_item, serialize, table_name, values, without_keys

MEMBERSHIPS = "memberships"
SCHEDULES = "schedules"


def total(entity: str) -> str:
    return f"total_{entity}"


def active(entity: str) -> str:
    return f"active_{entity}"


def placed(entity: str, parent: str) -> str:
    return f"{entity}@{parent}"


def get(tenant_id: str) -> dict[str, Any]:
    """The tenant's counters by name (an empty mapping before the first write)."""
    return without_keys(get_item(keys.tenant_counters(tenant_id)) or {})


def update_operation(
    tenant_id: str, deltas: Mapping[str, int], synced_at: datetime | None
) -> dict[str, Any]:
    """An Update (for TransactWriteItems or update_item) adding ``deltas`` to the counters."""
    names: dict[str, str] = {}
    vals: dict[str, Any] = {}
    adds = []
    for i, (counter, delta) in enumerate(sorted(d for d in deltas.items() if d[1])):
        names[f"#e{i}"] = counter
        vals[f":d{i}"] = delta
        adds.append(f"#e{i} :d{i}")
    expression = f"ADD {', '.join(adds)}" if adds else ""
    if synced_at is not None:
        vals[":at"] = synced_at.isoformat()
        expression = f"SET last_sync_at = :at {expression}".strip()
    operation: dict[str, Any] = {
        "TableName": table_name(),
        "Key": serialize(keys.tenant_counters(tenant_id)),
        "UpdateExpression": expression,
        "ExpressionAttributeValues": values(vals),
    }
    if names:
        operation["ExpressionAttributeNames"] = names
    return operation


def add(tenant_id: str, deltas: Mapping[str, int], synced_at: datetime | None = None) -> None:
    aws.dynamodb().update_item(**update_operation(tenant_id, deltas, synced_at))
