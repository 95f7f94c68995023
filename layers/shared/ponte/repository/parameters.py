"""Tenant parameters: a name, a type, a group and a text value, as the seed's ``parameters``
table keeps them (``MOVIDESK_SYNC_SCHEDULES``: TEXT, group Integrações, a JSON array)."""

from __future__ import annotations

from ponte import aws
from ponte.clock import utcnow
from ponte.repository import keys
from ponte.repository.table import get_item, serialize, table_name


def get(tenant_id: str, name: str) -> str | None:
    item = get_item(keys.parameter(tenant_id, name))
    return str(item["value"]) if item else None


def put(tenant_id: str, name: str, value: str, *, kind: str = "TEXT", group: str = "") -> None:
    item = {
        **keys.parameter(tenant_id, name),
        "type": "parameter",
        "name": name,
        "value_type": kind,
        "group": group,
        "value": value,
        "updated_at": utcnow().isoformat(),
    }
    aws.dynamodb().put_item(TableName=table_name(), Item=serialize(item))
