"""The moto internals that the local stack (devstack.moto_fixes, devstack.runtime) and the
virtual clock (tests.support.virtual_time) replace. A moto upgrade that renames, moves or
reshapes one of them fails here, naming it, instead of making the fixes silently inert.

Signatures are read in a fresh interpreter: in this one the local stack may have them patched.
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys

import pytest

# (module, attribute path, the parameters our replacement is written for)
PATCHED = [
    ("moto.dynamodb.responses", "DynamoHandler.call_action", ["self"]),
    ("moto.dynamodb.models", "DynamoDBBackend.transact_write_items", ["self", "transact_items"]),
    ("moto.stepfunctions.parser.backend.execution_worker", "ExecutionWorker.stop",
     ["self", "stop_date", "error", "cause"]),
    ("moto.awslambda.models", "LambdaFunction._invoke_lambda", ["self", "event"]),
    ("moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function",
     "WaitFunction._wait_interval", ["self", "env", "wait_seconds"]),
    ("moto.moto_server.threaded_moto_server", "ThreadedMotoServer._server_entry", ["self"]),
]  # fmt: skip


_SIGNATURES = """
import importlib, inspect, json, sys
found = {}
for module, path in json.loads(sys.argv[1]):
    target = importlib.import_module(module)
    try:
        for name in path.split("."):
            target = getattr(target, name)
    except AttributeError:
        found[path] = None
        continue
    found[path] = list(inspect.signature(target).parameters)
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def signatures() -> dict[str, list[str] | None]:
    wanted = json.dumps([[module, path] for module, path, _ in PATCHED])
    out = subprocess.run(
        [sys.executable, "-c", _SIGNATURES, wanted], capture_output=True, text=True, check=True
    )
    found: dict[str, list[str] | None] = json.loads(out.stdout)
    return found


@pytest.mark.parametrize(("module", "path", "parameters"), PATCHED, ids=[p[1] for p in PATCHED])
def test_patched_callable_keeps_its_shape(
    signatures: dict[str, list[str] | None], module: str, path: str, parameters: list[str]
) -> None:
    assert signatures[path] is not None, f"{module}.{path} is gone"
    assert signatures[path] == parameters


def test_transactions_still_snapshot_tables_through_the_copy_module() -> None:
    """moto_fixes swaps `copy` in moto.dynamodb.models so a transaction does not deep-copy
    whole tables; it works only while the backend takes that snapshot with copy.deepcopy."""
    models = importlib.import_module("moto.dynamodb.models")
    assert models.copy is importlib.import_module("copy")
    # Read from the file, not the class: in this interpreter the local stack may have
    # replaced the method with its own.
    source = inspect.getsource(inspect.getmodule(models.DynamoDBBackend))  # type: ignore[arg-type]
    method = source[source.index("def transact_write_items(") :]
    assert "copy.deepcopy(" in method[: method.index("\n    def ", 1)]


def test_table_exposes_what_the_transaction_restore_reads() -> None:
    from moto.dynamodb.models.table import Table

    schema = [{"AttributeName": n, "KeyType": k} for n, k in (("PK", "HASH"), ("SK", "RANGE"))]
    attributes = [{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")]
    table = Table(
        "t", region="us-east-1", account_id="123456789012", schema=schema, attr=attributes
    )
    assert (table.hash_key_attr, table.range_key_attr) == ("PK", "SK")
    assert isinstance(table.items, dict)


def test_step_functions_retries_sleep_through_the_time_module() -> None:
    """The virtual clock replaces `time.sleep` as the retrier module sees it."""
    retrier = importlib.import_module(
        "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl"
    )
    assert retrier.time is importlib.import_module("time")
    assert "time.sleep(" in inspect.getsource(retrier)
