"""Count DynamoDB requests, items written and keys read, from the requests themselves."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    items_written: int = 0
    keys_read: int = 0
    entity_writes: int = 0  # records (not claims, links or counters) put
    bytes_read: int = 0  # size of the items Query/GetItem/BatchGetItem answered (wire JSON)
    pacing: int = 0  # requests on vendor pacing schedules (counted in ``requests`` too)
    # TransactWriteItems that update items (a run's claim or end, not a page or records
    # stored): counted in ``requests`` too.
    transact_updates: int = 0

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def lower_bound(self) -> float:
        """The cheapest possible: BatchWriteItem's 25 items, BatchGetItem's 100 keys a request."""
        return self.items_written / 25 + self.keys_read / 100

    def add(self, operation: str, params: dict[str, Any]) -> None:
        self.requests[operation] += 1
        if str(params.get("Key", {}).get("PK", {}).get("S", "")).startswith("PACE#"):
            self.pacing += 1
        if operation == "BatchGetItem":
            self.keys_read += sum(len(t["Keys"]) for t in params["RequestItems"].values())
        elif operation == "GetItem":
            self.keys_read += 1
        elif operation == "TransactWriteItems":
            items = params["TransactItems"]
            self.items_written += len(items)
            self.transact_updates += any("Update" in i for i in items)
            self.entity_writes += sum(
                1
                for i in items
                if "Put" in i and i["Put"]["Item"].get("type", {}).get("S") == "record"
            )
        elif operation == "BatchWriteItem":
            self.items_written += sum(len(t) for t in params["RequestItems"].values())
        elif operation in {"PutItem", "UpdateItem", "DeleteItem"}:
            self.items_written += 1


@contextmanager
def _intercepted(
    thread: str, seen: Callable[[str, dict[str, Any], dict[str, Any]], None]
) -> Iterator[None]:
    """Call ``seen(operation, params, result)`` for every DynamoDB request (only those of
    threads whose name starts with ``thread``, if given)."""
    original = BaseClient._make_api_call

    def intercepting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        result = original(self, operation, params)
        if self.meta.service_model.service_name == "dynamodb" and (
            not thread or threading.current_thread().name.startswith(thread)
        ):
            seen(operation, params, result)
        return result

    BaseClient._make_api_call = intercepting  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


@contextmanager
def count_dynamodb(thread: str = "") -> Iterator[Tally]:
    """Count every DynamoDB request (only those of threads whose name starts with
    ``thread``, if given: the queue poller delivers each batch on a thread of its own)."""
    tally = Tally()

    def seen(operation: str, params: dict[str, Any], result: dict[str, Any]) -> None:
        tally.add(operation, params)
        found = result.get("Items") or result.get("Responses") or result.get("Item")
        if found:
            tally.bytes_read += len(json.dumps(found, default=str))

    with _intercepted(thread, seen):
        yield tally


@contextmanager
def count_matching(
    kind: Callable[[str, dict[str, Any]], str | None], thread: str = ""
) -> Iterator[Counter[str]]:
    """Count the DynamoDB requests by what ``kind(operation, params)`` calls them (None: not
    counted)."""
    found: Counter[str] = Counter()

    def seen(operation: str, params: dict[str, Any], result: dict[str, Any]) -> None:
        name = kind(operation, params)
        if name:
            found[name] += 1

    with _intercepted(thread, seen):
        yield found
