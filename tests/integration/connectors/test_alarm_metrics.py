"""The metrics the template's alarms watch are emitted, with the alarm's exact dimensions,
when their condition happens: a run ending in error, a vendor answering 429."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from devstack.template import Template
from tests.integration.connectors.conftest import Connectors

Emitted = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def emitted(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Emitted:
    """The CloudWatch embedded-metric records the functions print from now on."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")  # the suite turns them off
    capsys.readouterr()

    def read() -> list[dict[str, Any]]:
        lines = capsys.readouterr().out.splitlines()
        return [json.loads(line) for line in lines if line.startswith('{"_aws"')]

    return read


def _watched(alarm: str) -> tuple[str, str, dict[str, str]]:
    """(namespace, metric, dimensions) of one of the template's alarms."""
    props = Template.read().document["Resources"][alarm]["Properties"]
    dimensions = {d["Name"]: d["Value"] for d in props["Dimensions"]}
    return props["Namespace"], props["MetricName"], dimensions


def _total(
    records: list[dict[str, Any]], namespace: str, metric: str, dims: dict[str, str]
) -> float:
    """The sum a CloudWatch alarm on (namespace, metric, dims) would see in ``records``."""
    total = 0.0
    for record in records:
        for declared in record["_aws"]["CloudWatchMetrics"]:
            names = {m["Name"] for m in declared["Metrics"]}
            if declared["Namespace"] != namespace or metric not in names:
                continue
            for dimension_set in declared["Dimensions"]:
                if {name: record.get(name) for name in dimension_set} == dims and set(
                    dimension_set
                ) == set(dims):
                    values = record[metric]
                    total += sum(values) if isinstance(values, list) else values
    return total


def test_a_run_ending_in_error_is_counted_where_the_alarm_looks(
    connectors: Connectors, emitted: Emitted
) -> None:
    connection_id, token = connectors.hubspot_connection(contacts=5)
    del connectors.hubspot.accounts[token]  # the token was revoked at HubSpot

    run = connectors.run(connection_id)

    assert run["status"] == "error"
    namespace, metric, dims = _watched("PullRunErrorsAlarm")
    assert _total(emitted(), namespace, metric, dims) == 1


def test_vendor_429s_are_counted_where_the_alarm_looks(
    connectors: Connectors, emitted: Emitted
) -> None:
    connection_id, token = connectors.hubspot_connection(contacts=20)
    emitted()  # not the credentials test's requests
    connectors.hubspot.accounts[token].failures.fail_next(429, 429, retry_after=1)

    run = connectors.run(connection_id)

    assert run["status"] == "success"
    records = emitted()
    namespace, metric, dims = _watched("VendorThrottlingAlarm")
    assert _total(records, namespace, metric, dims) == 2
    per_vendor = dims | {"vendor": "HubSpot"}
    assert _total(records, namespace, metric, per_vendor) == 2  # the dashboard's graph
    requests = _total(records, namespace, "VendorRequests", per_vendor)
    assert requests == len(connectors.hubspot.made(token[-6:])) - 1  # less the credentials test
