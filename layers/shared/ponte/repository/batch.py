"""BatchGetItem and TransactWriteItems within AWS limits, retrying what DynamoDB hands back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ponte import aws
from ponte.clock import get_clock
from ponte.repository.table import Item, deserialize, serialize, table_name

BATCH_GET_LIMIT = 100
TRANSACTION_LIMIT = 100
_MAX_ATTEMPTS = 6


def _backoff(attempt: int) -> None:
    get_clock().sleep(min(2.0, 0.05 * 2**attempt))


def batch_get(keys: Iterable[Mapping[str, str]]) -> dict[tuple[str, str], Item]:
    """Items by (PK, SK); absent keys are simply missing. Duplicate keys are read once."""
    unique = list({(k["PK"], k["SK"]): k for k in keys}.values())
    found: dict[tuple[str, str], Item] = {}
    client = aws.dynamodb()
    name = table_name()
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        pending: list[dict[str, Any]] = [
            serialize(k) for k in unique[start : start + BATCH_GET_LIMIT]
        ]
        attempt = 0
        while pending:
            response: dict[str, Any] = client.batch_get_item(  # type: ignore[assignment]
                RequestItems={name: {"Keys": pending, "ConsistentRead": True}}
            )
            for raw in response.get("Responses", {}).get(name, []):
                item = deserialize(raw)
                found[(item["PK"], item["SK"])] = item
            pending = response.get("UnprocessedKeys", {}).get(name, {}).get("Keys", [])
            if pending:
                _backoff(attempt)
                attempt += 1
    return found


class TransactionCancelled(Exception):
    """The transaction was cancelled; ``reasons`` has one code per item, in order."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = list(reasons)


def transact(items: Sequence[Mapping[str, Any]]) -> None:
    """TransactWriteItems; retries transient conflicts, raises TransactionCancelled otherwise."""
    client = aws.dynamodb()
    for attempt in range(_MAX_ATTEMPTS):
        try:
            client.transact_write_items(TransactItems=list(items))  # type: ignore[arg-type]
            return
        except Exception as exc:
            reasons = _cancellation_reasons(exc)
            if reasons is None:
                raise
            transient = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
            if any(r in transient for r in reasons) and "ConditionalCheckFailed" not in reasons:
                _backoff(attempt)
                continue
            raise TransactionCancelled(reasons) from exc
    raise TransactionCancelled(["TransactionConflict"] * len(items))


def _cancellation_reasons(exc: Exception) -> list[str] | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    if response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    raw = response.get("CancellationReasons") or []
    return [str(r.get("Code") or "None") for r in raw]
