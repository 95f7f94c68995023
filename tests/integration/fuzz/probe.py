"""Sends one generated request through the local stack and checks what a client and the
data owner would notice: no 5xx, every error in its API's envelope, and nothing stored
(table, bundle bucket, secrets) changed by a request that was refused."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx

from devstack.stack import LocalStack
from tests.support.routes import flavor_of, is_envelope

_pause = threading.Event()  # never set: its wait() is a plain real-time pause

# Written by every request, refused or not: the rate limiter's counters, and when an API
# key was last used.
_BOOKKEEPING = ("RATE#",)
_BOOKKEEPING_FIELDS = ("last_used_at",)


def _binary(value: object) -> str:
    """moto keeps a binary attribute (a gzip record) as bytes: compared by its hex."""
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} in a stored item")


@dataclass
class Stats:
    """What `make fuzz` reports: requests tried, and each distinct failure once."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: set[str] = field(default_factory=set)

    def summary(self) -> str:
        spread = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        lines = [f"fuzz: {self.requests} requests tried, {len(self.failures)} failures ({spread})"]
        lines += [f"  failure: {f}" for f in sorted(self.failures)]
        return "\n".join(lines)

    def dump(self) -> dict[str, object]:
        """What a pytest-xdist worker sends to the controller at its end."""
        return {
            "requests": self.requests,
            "statuses": dict(self.statuses),
            "failures": sorted(self.failures),
        }

    def add(self, dumped: dict[str, object]) -> None:
        """Sum a worker's figures into these (the controller prints one line for the run)."""
        self.requests += int(dumped["requests"])  # type: ignore[call-overload]
        self.statuses.update({int(k): v for k, v in dumped["statuses"].items()})  # type: ignore[attr-defined]
        self.failures.update(dumped["failures"])  # type: ignore[arg-type]


STATS = Stats()


@dataclass
class Probe:
    api: httpx.Client
    stack: LocalStack
    _clients: dict[str, Any] = field(default_factory=dict)

    def _client(self, service: str) -> Any:
        """One client per service for the probe's life: a new one costs ~70 ms, and each
        request is checked with six."""
        if service not in self._clients:
            self._clients[service] = boto3.client(service)  # type: ignore[call-overload]
        return self._clients[service]

    def send(
        self,
        method: str,
        route: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        before = self._stored()
        answer = self.api.request(method, path, params=params, content=content, headers=headers)
        STATS.requests += 1
        STATS.statuses[answer.status_code] += 1
        if answer.status_code < 400:
            self._settle()  # work it started in the background must not count against the next
        problem = self._problem(route, answer, before)
        if problem:
            STATS.failures.add(f"{method} {route}: {problem}")
            raise AssertionError(f"{method} {path} {params!r}: {problem}\n{answer.text[:500]}")
        return answer

    def _problem(self, route: str, answer: httpx.Response, before: frozenset[str]) -> str:
        status = answer.status_code
        if status >= 500:
            return f"answered {status}"
        if status < 400 or _gateways_own(answer) or self._routed_nowhere(answer):
            return ""
        try:
            enveloped = is_envelope(flavor_of(route), answer.json())
        except ValueError:
            enveloped = False
        if not enveloped:
            return f"{status} is not in the API's envelope"
        after = self._stored()
        if after != before:
            changed = sorted(after ^ before)[:2]
            return f"refused with {status}, yet changed what is stored: {changed}"
        return ""

    def _settle(self, seconds: float = 120) -> None:
        """Wait until no workflow runs and the queues are empty (an accepted full sync, role
        sync or connector run finishes in the background)."""
        sfn, sqs = self._client("stepfunctions"), self._client("sqs")
        machines = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]
        queues = sqs.list_queues().get("QueueUrls", [])
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            running = any(
                sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
                for arn in machines
            )
            waiting = any(
                int(attributes.get("ApproximateNumberOfMessages", 0))
                + int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))
                for url in queues
                if "DeadLetter" not in url
                for attributes in [
                    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
                ]
            )
            if not running and not waiting:
                return
            _pause.wait(0.05)
        raise AssertionError("background work did not finish in time")

    def _stored(self) -> frozenset[str]:
        """Everything a request could have written, as comparable lines: the table's items,
        every object version of every bucket and every secret's versions. All are read from
        moto's backends in this process: through boto3, the listings cost more than the request
        they check (a bucket's XML listing alone grows with every bundle the suite uploaded)."""
        from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT
        from moto.dynamodb.models import dynamodb_backends
        from moto.s3.models import s3_backends
        from moto.secretsmanager.models import secretsmanager_backends

        region = self._client("dynamodb").meta.region_name
        table = dynamodb_backends[ACCOUNT][region].get_table(self.stack.provisioned.table_name)
        lines: set[str] = set()
        for item in table.all_items():
            attributes = item.to_json()["Attributes"]
            if not attributes["PK"]["S"].startswith(_BOOKKEEPING):
                kept = {k: v for k, v in attributes.items() if k not in _BOOKKEEPING_FIELDS}
                lines.add(json.dumps(kept, sort_keys=True, default=_binary))
        for name, bucket in s3_backends[ACCOUNT]["aws"].buckets.items():
            for key, versions in bucket.keys.iterlists():
                for version in versions:  # a delete marker has no ETag
                    etag = getattr(version, "etag", "deleted")
                    lines.add(f"s3://{name}/{key} {version.version_id} {etag}")
        for name, secret in secretsmanager_backends[ACCOUNT][region].secrets.items():
            versions = sorted(getattr(secret, "versions", {}))
            lines.add(f"secret {name} {getattr(secret, 'last_changed_date', '')} {versions}")
        return frozenset(lines)

    def _routed_nowhere(self, answer: httpx.Response) -> bool:
        """API Gateway's 404 for a request no route matches: a path parameter of ``.`` or
        ``..`` is a dot segment, which the client removes (RFC 3986 5.2.4) before sending, so
        the request sent names no route and no function sees it (API Gateway answers the
        same)."""
        sent = answer.request.url.path
        return (
            answer.status_code == 404
            and answer.content == b'{"message": "Not Found"}'
            and all(r.match(answer.request.method, sent) is None for r in self.stack.gateway.routes)
        )


def _gateways_own(answer: httpx.Response) -> bool:
    """API Gateway's 413 for a body past its limit: the function never saw the request."""
    return (
        answer.status_code == 413 and answer.content == b'{"message": "Request Entity Too Large"}'
    )
