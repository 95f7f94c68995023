"""Logger/Metrics/Tracer conventions: JSON logs with a correlation id on every line.

Metrics go through :func:`count` and are flushed at the end of each invocation under one lock:
Powertools keeps one metric set per process, which the local stack (many concurrent "Lambdas"
in one process) would otherwise mutate from several threads. In Lambda the lock is free.

The Tracer is built on the first invocation and only when tracing is on: constructing it
imports and patches the X-Ray SDK (~370 ms), which a cold start should not pay for nothing.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from ponte.settings import get_settings

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "ponte"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Ponte"))

Handler = Callable[[dict[str, Any], Any], Any]
_tracer: Any = None
_metrics_lock = threading.Lock()


class Metric(StrEnum):
    """Every metric Ponte emits (namespace POWERTOOLS_METRICS_NAMESPACE, dimension
    ``service``): the template's alarms and dashboard name these and no others."""

    HTTP_2XX = "Http2xx"
    HTTP_3XX = "Http3xx"
    HTTP_4XX = "Http4xx"
    HTTP_5XX = "Http5xx"
    HTTP_LATENCY = "HttpLatency"  # milliseconds in the function; the four above: dimension api
    AUTHORIZATIONS = "Authorizations"
    AUTH_FAILURES = "AuthFailures"
    RATE_LIMITED = "RateLimited"
    # A connector run that ended; dimensions platform and status (success, error, ...).
    PULL_RUNS_ENDED = "PullRunsEnded"
    # A run's records, on its end; dimension platform.
    RECORDS_FETCHED = "RecordsFetched"
    RECORDS_CREATED = "RecordsCreated"
    RECORDS_UPDATED = "RecordsUpdated"
    # A vendor client's requests (retries included) and the 429s among them; dimension vendor.
    VENDOR_REQUESTS = "VendorRequests"
    VENDOR_THROTTLED = "VendorThrottled"


def count(
    metric: Metric,
    value: float = 1,
    *,
    unit: MetricUnit = MetricUnit.Count,
    by: Sequence[Mapping[str, str]] = (),
) -> None:
    """Add ``value`` to ``metric``. Without ``by``: to this invocation's metric set. With it:
    written at once, one record per group of dimensions in ``by`` (``{}``: ``service``
    alone, what an alarm over every vendor reads), because a set shares one group and an
    alarm or a graph reads one."""
    with _metrics_lock:
        if not by:
            metrics.add_metric(name=metric.value, unit=unit, value=value)
            return
        service = os.environ.get("POWERTOOLS_SERVICE_NAME", "ponte")
        for group in by:
            alone = EphemeralMetrics(namespace=metrics.namespace, service=service)
            for name, named in group.items():
                alone.add_dimension(name=name, value=named)
            alone.add_metric(name=metric.value, unit=unit, value=value)
            alone.flush_metrics()


def _flush_metrics() -> None:
    with _metrics_lock:
        if metrics.metric_set:
            metrics.flush_metrics()


def tracing_enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in {"1", "true"}
    return not disabled and bool(os.environ.get("AWS_XRAY_DAEMON_ADDRESS"))


def _traced(handler: Handler) -> Handler:
    global _tracer  # noqa: PLW0603 - built once per cold start, on demand
    if _tracer is None:
        from aws_lambda_powertools import Tracer

        _tracer = Tracer()
    traced: Handler = _tracer.capture_lambda_handler(handler)
    return traced


CORRELATION_HEADER = "x-correlation-id"
# What a caller's id may hold: it is written into the JSON access log and echoed in a header,
# so a quote, a control character or a newline must never get there.
_CORRELATION = re.compile(r"[A-Za-z0-9._:/@+=-]{1,128}")


def correlation_id(event: dict[str, Any]) -> str:
    """The caller's ``X-Correlation-Id`` (up to 128 safe characters), else API Gateway's
    request id: the authorizer, the function and the access log all show the same one."""
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    given = str(headers.get(CORRELATION_HEADER, ""))[:128]
    if _CORRELATION.fullmatch(given):
        return given
    return str((event.get("requestContext") or {}).get("requestId", ""))


def instrument(handler: Handler, *, correlation: Callable[[dict[str, Any]], str]) -> Handler:
    """Wrap a Lambda handler with logging context, correlation id, metrics and tracing.

    Settings are read here, at import: a missing required variable fails the cold start."""
    get_settings()

    @logger.inject_lambda_context(clear_state=True)
    def wrapped(event: dict[str, Any], context: Any) -> Any:
        logger.set_correlation_id(correlation(event) or None)
        try:
            if tracing_enabled():
                return _traced(handler)(event, context)
            return handler(event, context)
        finally:
            _flush_metrics()

    instrumented: Handler = wrapped
    return instrumented


def workflow_task[E: Mapping[str, Any]](step: Callable[[E], object]) -> Handler:
    """A Step Functions task: ``step(event)``, instrumented, correlated by the run id.

    ``E`` is the TypedDict of the state's input (the state machine is what guarantees it)."""
    return instrument(
        lambda event, _context: step(cast(E, event)),
        correlation=lambda event: str(event.get("run_id", "")),
    )
