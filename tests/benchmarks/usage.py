"""What a scenario would cost on AWS, from what it used on the local stack.

``metered()`` counts, while a scenario runs: DynamoDB request units (from each request's
items: writes per 1 KB, transactions twice, reads per 4 KB, eventually consistent reads
half), Lambda requests and GB-seconds (each function's memory size from the template, times
its duration: wall time, or the virtual clock's when waits are virtual, as a paced worker
would be billed for them), HTTP API requests, Step Functions state transitions (from the
executions' histories), SQS, Secrets Manager, S3 and EventBridge Scheduler calls. ``PRICES``
turns that into dollars; free tiers are left out.

Item sizes are taken from their JSON (a little above DynamoDB's own count) and durations from
the local stack on moto: read the figures as an order of magnitude, for choosing memory sizes
and schedules, not as a bill.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.client import BaseClient

from devstack.gateway import Gateway
from devstack.runtime import LambdaRuntime


@dataclass(frozen=True)
class Prices:
    """List prices in US dollars, us-east-1, as published on the AWS pricing pages."""

    region: str = "us-east-1"
    as_of: str = "2025-01 (aws.amazon.com/<service>/pricing; free tiers not deducted)"
    dynamodb_write_unit: float = 0.625 / 1e6  # on-demand, per write request unit
    dynamodb_read_unit: float = 0.125 / 1e6  # on-demand, per read request unit
    lambda_request: float = 0.20 / 1e6
    lambda_gb_second: float = 0.0000133334  # arm64 (Graviton), first 7.5 billion GB-s a month
    http_api_request: float = 1.00 / 1e6  # first 300 million a month
    state_transition: float = 0.025 / 1000  # Standard workflows
    sqs_request: float = 0.40 / 1e6  # standard queue, per 64 KB request
    secrets_call: float = 0.05 / 10_000  # plus 0.40 per secret-month, not per run
    s3_put: float = 0.005 / 1000
    s3_get: float = 0.0004 / 1000


PRICES = Prices()


EVENTS = Path(__file__).resolve().parents[2] / "events"


def sample_event(logical_id: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{logical_id}.json").read_text())
    return event


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), default=str).encode())


@dataclass
class Usage:
    write_units: float = 0.0
    read_units: float = 0.0
    invocations: Counter[str] = field(default_factory=Counter)
    gb_seconds: float = 0.0
    api_requests: int = 0
    transitions: int = 0
    sqs_requests: int = 0
    secrets_calls: int = 0
    s3_puts: int = 0
    s3_gets: int = 0
    executions: list[str] = field(default_factory=list)

    # -- counting -------------------------------------------------------------------------
    def dynamodb(self, operation: str, params: dict[str, Any], result: dict[str, Any]) -> None:
        factor = 1.0 if params.get("ConsistentRead") else 0.5
        if operation in {"PutItem", "DeleteItem", "UpdateItem"}:
            self.write_units += math.ceil(_size(params.get("Item") or params["Key"]) / 1024)
        elif operation == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    body = request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]
                    self.write_units += math.ceil(_size(body) / 1024)
        elif operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                body = next(iter(item.values()))
                self.write_units += 2 * math.ceil(_size(body.get("Item") or body["Key"]) / 1024)
        elif operation == "GetItem":
            self.read_units += factor * max(1, math.ceil(_size(result.get("Item", {})) / 4096))
        elif operation == "BatchGetItem":
            for items in result.get("Responses", {}).values():
                self.read_units += sum(0.5 * max(1, math.ceil(_size(i) / 4096)) for i in items)
        elif operation == "Query":
            self.read_units += factor * max(1, math.ceil(_size(result.get("Items", [])) / 4096))

    def call(self, service: str, operation: str) -> None:
        if service == "sqs":
            self.sqs_requests += 1
        elif service == "secretsmanager":
            self.secrets_calls += 1
        elif service == "s3":
            if operation in {"PutObject", "CopyObject", "ListObjectsV2"}:
                self.s3_puts += 1
            elif operation in {"GetObject", "HeadObject"}:
                self.s3_gets += 1

    # -- dollars --------------------------------------------------------------------------
    def dollars(self) -> dict[str, float]:
        p = PRICES
        return {
            "DynamoDB": self.write_units * p.dynamodb_write_unit
            + self.read_units * p.dynamodb_read_unit,
            "Lambda": sum(self.invocations.values()) * p.lambda_request
            + self.gb_seconds * p.lambda_gb_second,
            "API Gateway": self.api_requests * p.http_api_request,
            "Step Functions": self.transitions * p.state_transition,
            "SQS": self.sqs_requests * p.sqs_request,
            "Secrets Manager": self.secrets_calls * p.secrets_call,
            "S3": self.s3_puts * p.s3_put + self.s3_gets * p.s3_get,
        }

    def add(self, other: Usage, times: int = 1) -> None:
        """Add ``times`` requests' worth of ``other`` (e.g. the authorizer per API request)."""
        self.write_units += other.write_units * times
        self.read_units += other.read_units * times
        for name, count in other.invocations.items():
            self.invocations[name] += count * times
        self.gb_seconds += other.gb_seconds * times
        self.api_requests += other.api_requests * times
        self.transitions += other.transitions * times
        self.sqs_requests += other.sqs_requests * times
        self.secrets_calls += other.secrets_calls * times
        self.s3_puts += other.s3_puts * times
        self.s3_gets += other.s3_gets * times

    def line(self, label: str, scale: float = 1.0) -> str:
        """One printed row: the scenario's cost times ``scale`` (e.g. per 100k records)."""
        parts = {k: v * scale for k, v in self.dollars().items() if v}
        total = sum(parts.values())
        detail = ", ".join(f"{k} {v:.4f}" for k, v in sorted(parts.items(), key=lambda x: -x[1]))
        counts = (
            f"[{self.write_units * scale:,.0f} WRU, {self.read_units * scale:,.0f} RRU, "
            f"{sum(self.invocations.values()) * scale:,.0f} Lambda requests, "
            f"{self.gb_seconds * scale:,.1f} GB-s, {self.transitions * scale:,.0f} transitions]"
        )
        return f"  {label:<46} ${total:9.4f}  ({detail})\n  {'':<46} {counts}"


@contextmanager
def metered() -> Iterator[Usage]:
    """Count what the local stack uses while the block runs (every thread)."""
    from ponte.clock import utcnow

    usage = Usage()
    make_call = BaseClient._make_api_call
    invoke = LambdaRuntime.invoke
    handle = Gateway.handle

    def counting_call(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        result = make_call(self, operation, params)
        service = self.meta.service_model.service_name
        if service == "dynamodb":
            usage.dynamodb(operation, params, result)
        elif service == "stepfunctions" and operation == "StartExecution":
            usage.executions.append(result["executionArn"])
        else:
            usage.call(service, operation)
        return result

    def timed_invoke(self: LambdaRuntime, logical_id: str, event: Any) -> Any:
        started, virtual = time.perf_counter(), utcnow()
        try:
            return invoke(self, logical_id, event)
        finally:
            seconds = max(time.perf_counter() - started, (utcnow() - virtual).total_seconds())
            usage.invocations[logical_id] += 1
            usage.gb_seconds += self.functions[logical_id].memory / 1024 * seconds

    def counted_handle(self: Gateway, *args: Any, **kwargs: Any) -> Any:
        usage.api_requests += 1
        return handle(self, *args, **kwargs)

    BaseClient._make_api_call = counting_call  # type: ignore[method-assign]
    LambdaRuntime.invoke = timed_invoke  # type: ignore[method-assign]
    Gateway.handle = counted_handle  # type: ignore[method-assign]
    try:
        yield usage
    finally:
        BaseClient._make_api_call = make_call  # type: ignore[method-assign]
        LambdaRuntime.invoke = invoke  # type: ignore[method-assign]
        Gateway.handle = handle  # type: ignore[method-assign]
    usage.transitions = sum(_transitions(arn) for arn in usage.executions)


def _transitions(execution_arn: str) -> int:
    """Billed transitions of a finished execution: one per state entered."""
    import boto3

    sfn = boto3.client("stepfunctions")
    count, token = 0, None
    while True:
        page = sfn.get_execution_history(
            executionArn=execution_arn, maxResults=1000, **({"nextToken": token} if token else {})
        )
        count += sum(1 for e in page["events"] if e["type"].endswith("StateEntered"))
        token = page.get("nextToken")
        if not token:
            return count


def authorizer_request(runtime: LambdaRuntime, tenant_id: str) -> Usage:
    """One API request through the authorizer (an API client's key, warm): what every call
    of a client costs before its function runs."""
    from ponte.domain.tenancy import Scope
    from ponte.observability import logger
    from ponte.services import tenancy

    logger.setLevel("ERROR")  # its "authorized" line would interleave with the figures
    key = tenancy.create_api_client(tenant_id, "cost", Scope.FULL, 10_000).api_key
    event = sample_event("AuthorizerFunction")
    event["headers"]["authorization"] = f"Bearer {key}"
    runtime.invoke("AuthorizerFunction", event)  # warm: the cold start is not per request
    with metered() as usage:
        runtime.invoke("AuthorizerFunction", event)
    usage.api_requests += 1
    return usage


def print_prices() -> None:
    p = PRICES
    print(
        f"AWS cost estimate: list prices, {p.region}, as of {p.as_of}: DynamoDB on-demand "
        f"${p.dynamodb_write_unit * 1e6:.3f}/M writes, ${p.dynamodb_read_unit * 1e6:.3f}/M "
        f"reads; Lambda arm64 ${p.lambda_request * 1e6:.2f}/M requests, "
        f"${p.lambda_gb_second:.10f}/GB-s; HTTP API ${p.http_api_request * 1e6:.2f}/M; Step "
        f"Functions ${p.state_transition * 1000:.3f}/1000 transitions; SQS "
        f"${p.sqs_request * 1e6:.2f}/M; Secrets Manager ${p.secrets_call * 10_000:.2f}/10k "
        f"calls; S3 ${p.s3_put * 1000:.3f}/1000 PUTs"
    )
