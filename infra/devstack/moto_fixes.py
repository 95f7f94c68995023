"""Adjustments to moto so the local stack behaves like AWS under load.

- DynamoDB applies each request atomically; moto's backend is not thread-safe, so requests
  are serialised (application code still interleaves between requests).
- moto snapshots the whole table once per *item* of a TransactWriteItems call (for rollback):
  quadratic in table size. Only the items the transaction touches are saved instead, and put
  back if it is cancelled (moto derives its indexes from the items, so that is all there is).
- moto answers every Query by listing and sorting every item of the table (tens of
  milliseconds at a thousand items, where a GetItem takes three). A Query on the table now
  looks at its own partition only, and one on an index skips that first sort (moto sorts the
  matches again by the index's keys): the same answers, at the cost DynamoDB's own have.
- moto writes every DynamoDB answer through its model-driven serializer, which walks each
  attribute value's shape: 250 ms for a BatchGetItem of 100 small items. The item
  operations' answers are already DynamoDB JSON, so they are written with ``json.dumps``
  (binary values base64-encoded, as the serializer does): the same bytes, a tenth the time.
- Whoever polls an SQS queue in process (the local stack's event sources) can wait for a
  message to arrive rather than ask moto fifty times a second: each event in
  ``SQS_LISTENERS`` is set when a message is sent or made visible again.
- moto lists a handler class's methods (``inspect.getmembers``) on every request to find the
  action's; a class's methods do not change while the stack runs, so each is listed once.
- moto's Step Functions engine builds a new boto3 Lambda client for every Lambda task it
  runs (tens of milliseconds of CPU each); one client per region serves them all.
- StopExecution right after StartExecution finds moto's worker before it has built its
  environment and crashes; the stop waits (briefly) for the worker to be ready.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock


class _NoTableSnapshot:
    """Stands in for the `copy` module during a transaction: tables are not copied."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash, range, saved copy or None) for every item the transaction names."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    saved = []
    for entry in transact_items:
        op = next(iter(entry.values()))
        table = backend.get_table(op["TableName"])
        key = op.get("Key") or op.get("Item") or {}
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        if range_value is None:
            current = table.items.get(hash_value)
        else:
            current = table.items.get(hash_value, {}).get(range_value)
        saved.append((table, hash_value, range_value, copy.deepcopy(current)))
    return saved


def _restore(saved: list[tuple[Any, Any, Any, Any]]) -> None:
    for table, hash_value, range_value, item in reversed(saved):
        if range_value is None:
            if item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
        elif item is None:
            table.items.get(hash_value, {}).pop(range_value, None)
        else:
            table.items[hash_value][range_value] = item


class _QueryScope(threading.local):
    """The Query this thread is answering: (table, partition key, or None on an index)."""

    current: tuple[Any, Any] | None = None


def _scoped_queries(table_type: Any) -> tuple[Any, Any]:
    """Replacements for ``Table.query`` and ``Table.all_items``: while a Query runs,
    ``all_items`` lists what the Query can match, unsorted (moto sorts the matches)."""
    query, all_items = table_type.query, table_type.all_items
    scope = _QueryScope()

    def scoped_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # index_name is the eighth parameter (tests/unit/test_moto_internals.py holds it there)
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        previous, scope.current = scope.current, (self, None if index_name else hash_key)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            scope.current = previous

    def scoped_all_items(self: Any) -> list[Any]:
        current = scope.current
        if current is None or current[0] is not self:
            return list(all_items(self))
        partitions = self.items.values() if current[1] is None else [self.items.get(current[1])]
        found: list[Any] = []
        for partition in partitions:
            if partition is None:
                continue
            if self.range_key_attr:
                found.extend(partition.values())
            else:
                found.append(partition)
        return found

    return scoped_query, scoped_all_items


SQS_LISTENERS: set[threading.Event] = set()
# What makes a message receivable: sent, or its visibility ended early (a failed delivery).
SQS_ARRIVALS = (
    "send_message", "send_message_batch", "change_message_visibility",
    "change_message_visibility_batch",
)  # fmt: skip


def _telling_listeners(method: Any) -> Any:
    def told(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        finally:
            for listener in list(SQS_LISTENERS):
                listener.set()

    return told


# The DynamoDB operations whose answers hold items and counts only (no timestamps, no
# renamed members): their result is written as it is.
ITEM_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
    "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
})  # fmt: skip


def _plain_json(value: Any) -> Any:
    if isinstance(value, bytes):  # B and BS values: base64 on the wire
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON")


def _without_none(value: Any) -> Any:
    """What the serializer leaves out: members that are None, at any depth."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _direct_item_answers(serializer_type: Any) -> Any:
    """A replacement for the JSON serializer's ``_serialize_result``: item operations'
    results are dumped directly."""
    serialize_result = serializer_type._serialize_result

    def direct(self: Any, resp: Any, result: Any) -> Any:
        if (
            self.service_model.service_name != "dynamodb"
            or self.operation_name not in ITEM_OPERATIONS
            or not isinstance(result, dict)
        ):
            return serialize_result(self, resp, result)
        resp["body"] = json.dumps(_without_none(result), default=_plain_json)
        resp["headers"]["Content-Type"] = self._get_protocol_specific_content_type()
        return resp

    return direct


def _one_client_each(make: Any) -> Any:
    """``boto_client_for`` answering the same client for the same region and service (boto3
    clients are safe to share between threads; building one is not cheap)."""
    from moto.core.models import botocore_stubber

    lock = threading.Lock()
    made: dict[tuple[str, str, bool], Any] = {}

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if state_credentials is not None:  # a task that assumes a role: as moto does it
            return make(region, service, state_credentials)
        key = (region, service, bool(botocore_stubber.enabled))
        with lock:
            if key not in made:
                made[key] = make(region, service)
            return made[key]

    return boto_client_for


@contextmanager
def patched_moto() -> Iterator[None]:
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    call_action = DynamoHandler.call_action
    transact = DynamoDBBackend.transact_write_items

    def atomic_call_action(self: Any) -> Any:
        with lock:
            return call_action(self)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with lock:
            try:
                saved = _touched(self, transact_items)
            except Exception:  # malformed request: let moto report it as it does
                saved = None
            if saved is None:
                return transact(self, transact_items)
            shim = _NoTableSnapshot(Table)
            try:
                with mock.patch.object(dynamodb_models, "copy", shim):
                    transact(self, transact_items)
            except BaseException:
                _restore(saved)
                raise
            return None

    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    stop_worker = ExecutionWorker.stop

    def stop(self: Any, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + 5
        while getattr(self, "env", None) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return stop_worker(self, *args, **kwargs)

    from moto.core import responses as moto_responses
    from moto.core.serialize import JSONSerializer
    from moto.core.utils import method_names_from_class as list_methods
    from moto.sqs.models import SQSBackend

    @functools.cache
    def listed(clazz: object) -> tuple[str, ...]:
        return tuple(list_methods(clazz))

    def method_names_from_class(clazz: object) -> list[str]:
        return list(listed(clazz))

    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    lambda_client = _one_client_each(boto_client_for)
    scoped_query, scoped_all_items = _scoped_queries(Table)

    patches: list[Any] = [
        mock.patch.object(DynamoHandler, "call_action", atomic_call_action),
        mock.patch.object(moto_responses, "method_names_from_class", method_names_from_class),
        mock.patch.object(Table, "query", scoped_query),
        mock.patch.object(Table, "all_items", scoped_all_items),
        mock.patch.object(
            JSONSerializer, "_serialize_result", _direct_item_answers(JSONSerializer)
        ),
        mock.patch.object(DynamoDBBackend, "transact_write_items", transact_write_items),
        mock.patch.object(ExecutionWorker, "stop", stop),
        mock.patch.object(lambda_eval_utils, "boto_client_for", lambda_client),
        *(
            mock.patch.object(SQSBackend, name, _telling_listeners(getattr(SQSBackend, name)))
            for name in SQS_ARRIVALS
        ),
    ]
    with ExitStack() as applied:
        for patch in patches:
            applied.enter_context(patch)
        yield


class _RawBodies:
    """S3 keeps a PUT body as bytes whatever its Content-Type; moto's server (Flask) parses a
    form-encoded one — curl's default for ``--data-binary`` — as a form, storing nothing or
    waiting for more. Such bodies reach moto as octet streams instead."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        kind = str(environ.get("CONTENT_TYPE", ""))
        if environ.get("REQUEST_METHOD") == "PUT" and kind.startswith(
            "application/x-www-form-urlencoded"
        ):
            environ["CONTENT_TYPE"] = "application/octet-stream"
        return self.app(environ, start_response)


def moto_server(host: str, port: int) -> Any:
    """moto's threaded server with S3 bodies taken as S3 takes them (started by the caller)."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class Server(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = _RawBodies(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    return Server(ip_address=host, port=port, verbose=False)
