"""Tenants and API clients in the table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ponte import aws
from ponte.domain.tenancy import ApiClient, Scope, Tenant
from ponte.repository import keys
from ponte.repository.errors import conditional
from ponte.repository.table import Item, get_item, query_pages, serialize, table_name, values


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _dt(raw: Any) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


def put_tenant(tenant: Tenant) -> None:
    item = {
        **keys.tenant(tenant.id),
        **keys.tenant_listing(),
        "GSI1SK": tenant.id,
        "type": "tenant",
        "tenant_id": tenant.id,
        "name": tenant.name,
        "active": tenant.active,
        "settings": dict(tenant.settings),
        "created_at": _iso(tenant.created_at),
    }
    with conditional(tenant.id):
        aws.dynamodb().put_item(
            TableName=table_name(),
            Item=serialize(item),
            ConditionExpression="attribute_not_exists(PK)",
        )


def get_tenant(tenant_id: str) -> Tenant | None:
    item = get_item(keys.tenant(tenant_id))
    return None if item is None else _tenant(item)


def list_tenants() -> list[Tenant]:
    """Every tenant, by id (the listing partition of the first index)."""
    found: list[Tenant] = []
    for page in query_pages(
        IndexName=keys.GSI1,
        KeyConditionExpression="GSI1PK = :pk",
        ExpressionAttributeValues=values({":pk": keys.tenant_listing()["GSI1PK"]}),
    ):
        found.extend(_tenant(item) for item in page)
    return found


def _tenant(item: Item) -> Tenant:
    return Tenant(
        id=item["tenant_id"],
        name=item["name"],
        created_at=_dt(item["created_at"]) or datetime.min,
        active=bool(item.get("active", True)),
        settings=dict(item.get("settings") or {}),
    )


def _api_client_item(client: ApiClient) -> Item:
    return {
        **keys.api_client(client.key_hash),
        **keys.api_client_index(client.tenant_id, client.id),
        "type": "api_client",
        "client_id": client.id,
        "tenant_id": client.tenant_id,
        "name": client.name,
        "scope": client.scope.value,
        "rate_limit": client.rate_limit,
        "key_prefix": client.key_prefix,
        "active": client.active,
        "created_at": _iso(client.created_at),
        "last_used_at": _iso(client.last_used_at),
        "revoked_at": _iso(client.revoked_at),
    }


def _api_client(item: Item) -> ApiClient:
    return ApiClient(
        id=item["client_id"],
        tenant_id=item["tenant_id"],
        name=item["name"],
        scope=Scope(item["scope"]),
        rate_limit=int(item["rate_limit"]),
        key_hash=item["PK"].removeprefix("APIKEY#"),
        key_prefix=item["key_prefix"],
        created_at=_dt(item["created_at"]) or datetime.min,
        active=bool(item.get("active", False)),
        last_used_at=_dt(item.get("last_used_at")),
        revoked_at=_dt(item.get("revoked_at")),
    )


def put_api_client(client: ApiClient) -> None:
    aws.dynamodb().put_item(
        TableName=table_name(),
        Item=serialize(_api_client_item(client)),
        ConditionExpression="attribute_not_exists(PK)",
    )


def get_api_client_by_hash(key_hash: str) -> ApiClient | None:
    item = get_item(keys.api_client(key_hash))
    return _api_client(item) if item else None


def list_api_clients(tenant_id: str) -> list[ApiClient]:
    index = keys.api_client_index(tenant_id)
    clients: list[ApiClient] = []
    for page in query_pages(
        IndexName=keys.GSI1,
        KeyConditionExpression="GSI1PK = :pk",
        ExpressionAttributeValues=values({":pk": index["GSI1PK"]}),
    ):
        clients.extend(_api_client(item) for item in page)
    return clients


def find_api_client(tenant_id: str, client_id: str) -> ApiClient | None:
    index = keys.api_client_index(tenant_id, client_id)
    for page in query_pages(
        IndexName=keys.GSI1,
        KeyConditionExpression="GSI1PK = :pk AND GSI1SK = :sk",
        ExpressionAttributeValues=values({":pk": index["GSI1PK"], ":sk": index["GSI1SK"]}),
    ):
        if page:
            return _api_client(page[0])
    return None


def revoke_api_client(client: ApiClient, at: datetime) -> None:
    aws.dynamodb().update_item(
        TableName=table_name(),
        Key=serialize(keys.api_client(client.key_hash)),
        UpdateExpression="SET active = :false, revoked_at = :at",
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeValues=values({":false": False, ":at": _iso(at)}),
    )


def touch_api_client(key_hash: str, at: datetime) -> None:
    aws.dynamodb().update_item(
        TableName=table_name(),
        Key=serialize(keys.api_client(key_hash)),
        UpdateExpression="SET last_used_at = :at",
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeValues=values({":at": _iso(at)}),
    )
