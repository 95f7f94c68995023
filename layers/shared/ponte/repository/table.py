"""Thin typed helpers over the DynamoDB client: (de)serialisation and the table name."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from ponte import aws
from ponte.settings import get_settings

Item = dict[str, Any]


def table_name() -> str:
    return get_settings().table_name


def _to_dynamodb(value: Any) -> Any:
    """DynamoDB numbers are Decimals; floats are converted through their text form."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamodb(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamodb(v) for v in value]
    return value


def _from_dynamodb(value: Any) -> Any:
    """Decimals back to int or float, so services and JSON never see Decimal."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamodb(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamodb(v) for v in value]
    if isinstance(value, set):
        return {_from_dynamodb(v) for v in value}
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {k: serializer.serialize(_to_dynamodb(v)) for k, v in item.items() if v is not None}


def deserialize(raw: Mapping[str, Any]) -> Item:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: _from_dynamodb(deserializer.deserialize(v)) for k, v in raw.items()}


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
