"""The moto internals that the local stack (devstack.moto_fixes, devstack.runtime) and the
virtual clock (tests.support.virtual_time) replace. A moto upgrade that renames, moves or
reshapes one of them fails here, naming it, instead of making the fixes silently inert.

Signatures are read in a fresh interpreter: in this one the local stack may have them patched.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
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
    ("moto.dynamodb.models.table", "Table.query",
     ["self", "hash_key", "range_comparison", "range_objs", "limit", "exclusive_start_key",
      "scan_index_forward", "projection_expressions", "index_name", "consistent_read",
      "filter_expression", "hash_key_conditions", "range_key_conditions", "filter_kwargs"]),
    ("moto.dynamodb.models.table", "Table.all_items", ["self"]),
    ("moto.core.serialize", "JSONSerializer._serialize_result", ["self", "resp", "result"]),
    ("moto.core.responses", "method_names_from_class", ["clazz"]),
    ("moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
     "boto_client_for", ["region", "service", "state_credentials"]),
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


# Every Query of a table of 7 partitions and an index, paged 7 at a time both ways, answered
# by moto as it is and with the local stack's scoped queries: printed as lists of keys.
_QUERIES = """
import json
from unittest import mock
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from devstack.moto_fixes import _scoped_queries

keys = [("PK", "HASH"), ("SK", "RANGE")]
index = {"IndexName": "GSI1", "Projection": {"ProjectionType": "ALL"},
         "KeySchema": [{"AttributeName": "GPK", "KeyType": "HASH"},
                       {"AttributeName": "GSK", "KeyType": "RANGE"}]}
table = Table("t", region="us-east-1", account_id="123456789012",
              schema=[{"AttributeName": n, "KeyType": k} for n, k in keys],
              attr=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "GPK", "GSK")],
              global_indexes=[index])
for n in range(300):
    item = {"PK": {"S": f"p{n % 7}"}, "SK": {"S": f"s{n:04}"}}
    if n % 3:
        item |= {"GPK": {"S": f"g{n % 2}"}, "GSK": {"S": f"{n % 5}"}}
    table.put_item(item)

def pages(hash_value, index_name, forward):
    found, start = [], None
    while True:
        results, _, last = table.query(DynamoType({"S": hash_value}), None, [], 7, start, forward,
                                       None, index_name,
                                       hash_key_conditions=[(("GPK" if index_name else "PK"),
                                                             DynamoType({"S": hash_value}))])
        found.append([r.attrs["SK"].value for r in results])
        if not last:
            return found
        start = last

def every_query():
    return [pages(h, None, f) for h in ("p0", "p3", "p9") for f in (True, False)] + [
        pages(h, "GSI1", f) for h in ("g0", "g1") for f in (True, False)]

plain = every_query()
scoped_query, scoped_all_items = _scoped_queries(Table)
with mock.patch.object(Table, "query", scoped_query), \
        mock.patch.object(Table, "all_items", scoped_all_items):
    scoped = every_query()
print(json.dumps({"plain": plain, "scoped": scoped}))
"""


def test_scoped_queries_answer_as_moto_does() -> None:
    """The local stack's Query looks at one partition (devstack.moto_fixes): every page of
    every query, either way, on the table and on an index, is moto's own."""
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", _QUERIES], capture_output=True, text=True, check=True, env=env
    )
    answers = json.loads(out.stdout)
    assert answers["scoped"] == answers["plain"]
    # both ways: p0 and p3 (43 items each; p9 has none), and the 200 items the index holds
    assert sum(len(page) for query in answers["plain"] for page in query) == 2 * (43 + 43 + 200)


# Every item operation, through boto3 on moto, answered by moto's serializer and by the local
# stack's direct one: the parsed answers, printed.
_ANSWERS = """
import json, os
from unittest import mock
os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
import boto3
from moto import mock_aws
from moto.core.serialize import JSONSerializer
from devstack.moto_fixes import _direct_item_answers

item = {"PK": {"S": "p"}, "SK": {"S": "1"}, "n": {"N": "1.50"}, "b": {"B": b"\\x00\\xffbin"},
        "bs": {"BS": [b"a", b"b"]}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2"]},
        "m": {"M": {"deep": {"L": [{"S": "é"}, {"NULL": True}, {"BOOL": False}]}}}}

def answers():
    found = []
    with mock_aws():
        c = boto3.client("dynamodb")
        keys = [{"AttributeName": n, "KeyType": k} for n, k in (("PK", "HASH"), ("SK", "RANGE"))]
        c.create_table(TableName="t", KeySchema=keys, BillingMode="PAY_PER_REQUEST",
                       AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                                             for n in ("PK", "SK")])
        key = {"PK": {"S": "p"}, "SK": {"S": "1"}}
        calls = [
            ("put_item", dict(TableName="t", Item=item, ReturnValues="ALL_OLD")),
            ("put_item", dict(TableName="t", Item=item, ReturnValues="ALL_OLD",
                              ReturnConsumedCapacity="TOTAL")),
            ("get_item", dict(TableName="t", Key=key)),
            ("get_item", dict(TableName="t", Key={"PK": {"S": "p"}, "SK": {"S": "none"}})),
            ("update_item", dict(TableName="t", Key=key, UpdateExpression="SET n = n + :o",
                                 ExpressionAttributeValues={":o": {"N": "1"}},
                                 ReturnValues="ALL_NEW")),
            ("query", dict(TableName="t", KeyConditionExpression="PK = :p", Limit=1,
                           ExpressionAttributeValues={":p": {"S": "p"}})),
            ("scan", dict(TableName="t", ReturnConsumedCapacity="INDEXES")),
            ("batch_write_item", dict(RequestItems={"t": [
                {"PutRequest": {"Item": {**item, "SK": {"S": str(n)}}}} for n in range(2, 6)]})),
            ("batch_get_item", dict(RequestItems={"t": {"Keys": [
                {"PK": {"S": "p"}, "SK": {"S": str(n)}} for n in range(1, 7)]}})),
            ("transact_get_items", dict(TransactItems=[{"Get": {"TableName": "t", "Key": key}}])),
            ("transact_write_items", dict(TransactItems=[{"Delete": {"TableName": "t",
                                                                     "Key": key}}])),
            ("delete_item", dict(TableName="t", Key={"PK": {"S": "p"}, "SK": {"S": "2"}},
                                 ReturnValues="ALL_OLD")),
        ]
        for name, kwargs in calls:
            answer = getattr(c, name)(**kwargs)
            answer.pop("ResponseMetadata")
            found.append([name, answer])
    return found

plain = answers()
with mock.patch.object(JSONSerializer, "_serialize_result", _direct_item_answers(JSONSerializer)):
    direct = answers()
print(json.dumps({"plain": plain, "direct": direct}, default=repr, sort_keys=True))
"""


def test_item_answers_written_directly_parse_as_moto_writes_them() -> None:
    """The local stack writes DynamoDB item answers with json.dumps (devstack.moto_fixes):
    boto3 reads each operation's answer, binary and nested values included, as it reads
    moto's own."""
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", _ANSWERS], capture_output=True, text=True, check=True, env=env
    )
    answers = json.loads(out.stdout)
    assert answers["direct"] == answers["plain"]
    assert [name for name, _ in answers["plain"]][:3] == ["put_item", "put_item", "get_item"]
    assert "bin" in json.dumps(answers["plain"][2])  # the binary value came back
