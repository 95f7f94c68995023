"""Adjustments to moto so the local stack behaves like AWS under load.

- DynamoDB applies each request atomically; moto's backend is not thread-safe, so requests
  are serialised (application code still interleaves between requests).
- moto snapshots the whole table once per *item* of a TransactWriteItems call (for rollback):
  quadratic in table size. The snapshot is taken once per call instead; rollback is unchanged.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock


class _SnapshotOnce:
    """Stands in for the `copy` module inside one transaction: one deepcopy per object."""

    def __init__(self) -> None:
        self._copies: dict[int, Any] = {}

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if id(value) not in self._copies:
            self._copies[id(value)] = copy.deepcopy(value, memo)
        return self._copies[id(value)]


@contextmanager
def patched_moto() -> Iterator[None]:
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    call_action = DynamoHandler.call_action
    transact = DynamoDBBackend.transact_write_items

    def atomic_call_action(self: Any) -> Any:
        with lock:
            return call_action(self)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with lock, mock.patch.object(dynamodb_models, "copy", _SnapshotOnce()):
            transact(self, transact_items)

    with (
        mock.patch.object(DynamoHandler, "call_action", atomic_call_action),
        mock.patch.object(DynamoDBBackend, "transact_write_items", transact_write_items),
    ):
        yield
