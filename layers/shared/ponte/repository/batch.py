"""BatchGetItem and TransactWriteItems within AWS limits, retrying what DynamoDB hands back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ponte import aws
from ponte.clock import get_clock
from ponte.repository.errors import (
    CONDITION_FAILED,
    TRANSIENT_CODES,
    Transient,
    cancellation_reasons,
    translated,
)
from ponte.repository.table import Item, deserialize, serialize, table_name

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
TRANSACTION_LIMIT = 100
_MAX_ATTEMPTS = 6


def _backoff(attempt: int) -> None:
    get_clock().sleep(min(2.0, 0.05 * 2**attempt))


def batch_get(
    keys: Iterable[Mapping[str, str]],
    *,
    projection: str = "",
    names: Mapping[str, str] | None = None,
) -> dict[tuple[str, str], Item]:
    """Items by (PK, SK); absent keys are simply missing. Duplicate keys are read once.
    With ``projection`` (it must name PK and SK), only those attributes."""
    unique = list({(k["PK"], k["SK"]): k for k in keys}.values())
    request: dict[str, Any] = {"ConsistentRead": True}
    if projection:
        request["ProjectionExpression"] = projection
    if names:
        request["ExpressionAttributeNames"] = dict(names)
    found: dict[tuple[str, str], Item] = {}
    client = aws.dynamodb()
    name = table_name()
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        pending: list[dict[str, Any]] = [
            serialize(k) for k in unique[start : start + BATCH_GET_LIMIT]
        ]
        attempt = 0
        while pending:
            if attempt >= _MAX_ATTEMPTS:
                raise Transient("UnprocessedKeys")
            with translated():
                response: dict[str, Any] = client.batch_get_item(  # type: ignore[assignment]
                    RequestItems={name: request | {"Keys": pending}}  # type: ignore[dict-item]
                )
            for raw in response.get("Responses", {}).get(name, []):
                item = deserialize(raw)
                found[(item["PK"], item["SK"])] = item
            pending = response.get("UnprocessedKeys", {}).get(name, {}).get("Keys", [])
            if pending:
                _backoff(attempt)
                attempt += 1
    return found


def put_all(items: Sequence[Mapping[str, Any]]) -> None:
    """Put items (no conditions) with BatchWriteItem, 25 per request, retrying what DynamoDB
    hands back a few times."""
    _write_all([{"PutRequest": {"Item": serialize(item)}} for item in items])


def _write_all(requests: Sequence[dict[str, Any]]) -> None:
    client = aws.dynamodb()
    name = table_name()
    for start in range(0, len(requests), BATCH_WRITE_LIMIT):
        pending: dict[str, Any] = {name: list(requests[start : start + BATCH_WRITE_LIMIT])}
        attempt = 0
        while pending:
            if attempt >= _MAX_ATTEMPTS:
                raise Transient("UnprocessedItems")
            if attempt:
                _backoff(attempt - 1)
            with translated():
                response = client.batch_write_item(RequestItems=pending)
            pending = dict(response.get("UnprocessedItems") or {})
            attempt += 1


def delete_all(keys: Sequence[Mapping[str, str]]) -> None:
    """Delete items by key with BatchWriteItem, 25 per request (a few retries of leftovers)."""
    _write_all([{"DeleteRequest": {"Key": serialize(k)}} for k in keys])


class TransactionCancelled(Exception):
    """The transaction was cancelled; ``reasons`` has one code per item, in order."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = list(reasons)


def transact(items: Sequence[Mapping[str, Any]]) -> None:
    """TransactWriteItems; retries transient conflicts a few times (then raises
    :class:`Transient`), raises TransactionCancelled when a condition failed."""
    from botocore.exceptions import ClientError  # botocore is loaded with the client

    client = aws.dynamodb()
    condition_failed = CONDITION_FAILED.removesuffix("Exception")
    for attempt in range(_MAX_ATTEMPTS):
        try:
            with translated():
                client.transact_write_items(TransactItems=list(items))  # type: ignore[arg-type]
            return
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if reasons is None:
                raise
            if condition_failed not in reasons and any(r in TRANSIENT_CODES for r in reasons):
                _backoff(attempt)
                continue
            raise TransactionCancelled(reasons) from exc
    raise Transient("TransactionConflict")
