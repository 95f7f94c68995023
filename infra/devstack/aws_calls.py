"""Every AWS call a function makes, as IAM sees it: (function, action, resource ARN).

The in-process runtime names the function running (``acting_as``); a botocore event hook
(``provide-client-params``, emitted once per call and per presigned URL, with the caller's
parameters) turns each call into the IAM actions and resources it needs. A transaction is
authorised as its items' actions, a batch per table, a presigned URL as the call it signs.
The least-privilege check (``devstack.privilege``) compares these with the template.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from botocore import handlers

_current: ContextVar[str | None] = ContextVar("ponte_function", default=None)
_paused = threading.Event()  # set: a test misconfigures the functions on purpose
_ran: set[str] = set()  # every function invoked in this process (a run of no AWS call counts)

Call = tuple[str, str, str]  # (function logical id, "service:Action", resource ARN)

# IAM names an operation's permission differently here (the rest: service:Operation).
_ACTION = {
    ("s3", "HeadObject"): "GetObject",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("sqs", "SendMessageBatch"): "SendMessage",
    ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility",
    ("lambda", "Invoke"): "InvokeFunction",
}
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
_TRANSACT["ConditionCheck"] = "ConditionCheckItem"
_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


def secret_arn(region: str, account: str, name_or_arn: str) -> str:
    """A secret's ARN without the six random characters AWS appends (a call may name the
    secret by name, which does not carry them)."""
    name = name_or_arn.split(":secret:", 1)[1] if ":secret:" in name_or_arn else name_or_arn
    if ":secret:" in name_or_arn:
        name = _SECRET_SUFFIX.sub("", name)
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}"


class CallLog:
    """The calls made while a function ran, from any thread; saved as JSON lines."""

    def __init__(self, region: str, account: str) -> None:
        self.region = region
        self.account = account
        self._calls: set[Call] = set()
        self._lock = threading.Lock()

    @property
    def calls(self) -> set[Call]:
        with self._lock:
            return set(self._calls)

    def record(self, service: str, operation: str, params: Mapping[str, Any]) -> None:
        function = _current.get()
        if function is None or _paused.is_set():  # a test's or the local stack's own call
            return
        found = {
            (function, action, resource)
            for action, resource in self.needs(service, operation, params)
        }
        with self._lock:
            self._calls |= found

    def needs(
        self, service: str, operation: str, params: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        """The (action, resource) pairs IAM checks for one call."""
        action = f"{service}:{_ACTION.get((service, operation), operation)}"
        describe = _RESOURCES.get(service)
        if describe is None:
            return [(action, "*")]
        return describe(self, action, operation, params)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"

    def save(self, path: Path) -> None:
        """The calls, and each function that ran as (function, "", "")."""
        lines = sorted(self.calls | {(function, "", "") for function in _ran})
        path.write_text("".join(json.dumps(call) + "\n" for call in lines))

    @staticmethod
    def load(directory: Path) -> set[Call]:
        """Every call saved under ``directory`` (one file per test process)."""
        found: set[Call] = set()
        for path in directory.glob("*.jsonl"):
            found |= {tuple(json.loads(line)) for line in path.read_text().splitlines() if line}
        return found

    @contextmanager
    def installed(self) -> Iterator[CallLog]:
        """Record from every botocore session created while installed (boto3 clients are
        created lazily, after the local stack starts)."""

        def hook(params: Mapping[str, Any], model: Any, **_: Any) -> None:
            service = model.service_model.signing_name  # IAM's prefix: states, not sfn
            self.record(service, model.name, params)

        entry = ("provide-client-params", hook)
        handlers.BUILTIN_HANDLERS.append(entry)
        try:
            yield self
        finally:
            handlers.BUILTIN_HANDLERS.remove(entry)


Needs = list[tuple[str, str]]


def _dynamodb(log: CallLog, action: str, operation: str, params: Mapping[str, Any]) -> Needs:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        found = []
        for item in params.get("TransactItems", []):
            ((kind, body),) = item.items()
            name = "GetItem" if kind == "Get" else _TRANSACT[kind]
            found.append((f"dynamodb:{name}", log.arn("dynamodb", f"table/{body['TableName']}")))
        return found
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(action, log.arn("dynamodb", f"table/{t}")) for t in params.get("RequestItems", {})]
    resource = f"table/{params.get('TableName', '*')}"
    if params.get("IndexName"):
        resource += f"/index/{params['IndexName']}"
    return [(action, log.arn("dynamodb", resource))]


def _s3(log: CallLog, action: str, operation: str, params: Mapping[str, Any]) -> Needs:
    bucket = params.get("Bucket", "*")
    if operation == "DeleteObjects":
        keys = [o["Key"] for o in params.get("Delete", {}).get("Objects", [])]
        return [(action, f"arn:aws:s3:::{bucket}/{key}") for key in keys]
    key = params.get("Key")
    return [(action, f"arn:aws:s3:::{bucket}" + (f"/{key}" if key else ""))]


def _sqs(log: CallLog, action: str, operation: str, params: Mapping[str, Any]) -> Needs:
    name = str(params.get("QueueUrl", params.get("QueueName", "*"))).rsplit("/", 1)[-1]
    return [(action, log.arn("sqs", name))]


def _secrets(log: CallLog, action: str, operation: str, params: Mapping[str, Any]) -> Needs:
    secret = str(params.get("SecretId") or params.get("Name") or "*")
    return [(action, secret_arn(log.region, log.account, secret))]


def _states(log: CallLog, action: str, operation: str, params: Mapping[str, Any]) -> Needs:
    return [(action, str(params.get("stateMachineArn") or params.get("executionArn") or "*"))]


def _scheduler(log: CallLog, action: str, operation: str, params: Mapping[str, Any]) -> Needs:
    if operation == "ListSchedules":
        return [(action, "*")]
    group = params.get("GroupName") or "default"
    found = [(action, log.arn("scheduler", f"schedule/{group}/{params.get('Name', '*')}"))]
    role = (params.get("Target") or {}).get("RoleArn")
    return found + ([("iam:PassRole", str(role))] if role else [])


def _lambda(log: CallLog, action: str, operation: str, params: Mapping[str, Any]) -> Needs:
    name = str(params.get("FunctionName", "*"))
    return [(action, name if name.startswith("arn:") else log.arn("lambda", f"function:{name}"))]


_RESOURCES = {
    "dynamodb": _dynamodb,
    "s3": _s3,
    "sqs": _sqs,
    "secretsmanager": _secrets,
    "states": _states,  # Step Functions' IAM prefix
    "scheduler": _scheduler,
    "lambda": _lambda,
}


@contextmanager
def unrecorded() -> Iterator[None]:
    """Calls made meanwhile are not the template's (a test points the functions at a table
    or an endpoint that is not there): not recorded."""
    _paused.set()
    try:
        yield
    finally:
        _paused.clear()


@contextmanager
def acting_as(function: str) -> Iterator[None]:
    """Calls made in this block (this thread) are ``function``'s."""
    _ran.add(function)
    token = _current.set(function)
    try:
        yield
    finally:
        _current.reset(token)
