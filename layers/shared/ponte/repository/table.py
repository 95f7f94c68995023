"""Thin typed helpers over the DynamoDB client: (de)serialisation and the table name."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ponte import aws
from ponte.settings import get_settings

Item = dict[str, Any]


def table_name() -> str:
    return get_settings().table_name


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {k: serializer.serialize(v) for k, v in item.items() if v is not None}


def deserialize(raw: Mapping[str, Any]) -> Item:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in raw.items()}


def values(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Serialise ExpressionAttributeValues."""
    return serialize(mapping)


def get_item(
    key: Mapping[str, str], *, consistent: bool = True, probe: bool = False
) -> Item | None:
    client = aws.dynamodb("probe" if probe else "default")
    response = client.get_item(
        TableName=table_name(), Key=serialize(key), ConsistentRead=consistent
    )
    raw = response.get("Item")
    return deserialize(raw) if raw else None


def query_pages(**params: Any) -> Iterator[list[Item]]:
    """Yield each page of a Query (params as for ``client.query``, TableName added)."""
    client = aws.dynamodb()
    params = {"TableName": table_name(), **params}
    while True:
        response = client.query(**params)
        yield [deserialize(raw) for raw in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        if not last:
            return
        params["ExclusiveStartKey"] = last
