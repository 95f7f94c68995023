"""Thin typed helpers over the DynamoDB client: (de)serialisation and the table name."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ponte import aws
from ponte.repository.errors import translated
from ponte.settings import get_settings

Item = dict[str, Any]


def table_name() -> str:
    return get_settings().table_name


# DynamoDB numbers run from 1E-130 to 9.99E+125 in magnitude (floats go further).
_SMALLEST = Decimal("1E-130")
_LARGEST = Decimal("9.99E+125")


def _to_dynamodb(value: Any) -> Any:
    """DynamoDB numbers are Decimals; floats are converted through their text form. A float
    closer to 0 than DynamoDB can hold is 0; one beyond its range (or inf, nan) is kept as
    its text: a number a client or a vendor sent must never fail the write."""
    if isinstance(value, float):
        number = Decimal(str(value))
        if not number.is_finite() or abs(number) > _LARGEST:
            return str(value)
        return Decimal(0) if abs(number) < _SMALLEST else number
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


def assignments(fields: Mapping[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``#f0 = :f0, #f1 = :f1, …`` for ``fields`` (every name through a placeholder: many are
    reserved words), with its attribute names and its (unserialised) values."""
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    vals = {f":f{i}": value for i, value in enumerate(fields.values())}
    return ", ".join(f"#f{i} = :f{i}" for i in range(len(fields))), names, vals


def values(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Serialise ExpressionAttributeValues."""
    return serialize(mapping)


def get_item(
    key: Mapping[str, str], *, consistent: bool = True, probe: bool = False
) -> Item | None:
    client = aws.dynamodb("probe" if probe else "default")
    with translated():
        response = client.get_item(
            TableName=table_name(), Key=serialize(key), ConsistentRead=consistent
        )
    raw = response.get("Item")
    return deserialize(raw) if raw else None


@dataclass(frozen=True, slots=True)
class Page:
    """One Query response: its items (deserialised), how many matched, and where to go on."""

    items: list[Item]
    count: int
    last_key: dict[str, Any] | None


def query_page(params: Mapping[str, Any], start: Mapping[str, Any] | None = None) -> Page:
    """One Query request (params as for ``client.query``; TableName added)."""
    request = {"TableName": table_name(), **params}
    if start:
        request["ExclusiveStartKey"] = start
    with translated():
        response: dict[str, Any] = aws.dynamodb().query(**request)  # type: ignore[assignment]
    return Page(
        [deserialize(raw) for raw in response.get("Items", [])],
        int(response.get("Count", 0)),
        response.get("LastEvaluatedKey"),
    )


def query_pages(**params: Any) -> Iterator[list[Item]]:
    """Yield each page of a Query's items, following LastEvaluatedKey."""
    for page in query_responses(params):
        yield page.items


def query_responses(
    params: Mapping[str, Any], start: Mapping[str, Any] | None = None
) -> Iterator[Page]:
    """Every page of a Query, from ``start``."""
    while True:
        page = query_page(params, start)
        yield page
        if not page.last_key:
            return
        start = page.last_key


def first_page(**params: Any) -> list[Item]:
    """The items of a Query's first page (with a Limit: the newest or first N)."""
    return next(query_pages(**params))


KEY_ATTRIBUTES = frozenset({"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"})


def without_keys(item: Mapping[str, Any]) -> Item:
    """An item's own attributes: key formats stay in the repository."""
    return {k: v for k, v in item.items() if k not in KEY_ATTRIBUTES}
