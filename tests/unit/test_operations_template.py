"""The template's alarms, dashboard and data protection, read as the operator relies on them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from devstack.template import Template
from ponte.observability import Metric


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    found: dict[str, Any] = Template.read().document["Resources"]
    return found


def _ponte_metrics_read(resources: dict[str, Any]) -> set[str]:
    """Every Ponte metric an alarm or a dashboard graph reads."""
    named = {
        props["MetricName"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and (props := r["Properties"]).get("Namespace") == "Ponte"
    }
    body = resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    return named | set(re.findall(r'\{Ponte,[^}]*\} MetricName=\\"(\w+)\\"', body))


def test_every_metric_the_template_reads_is_one_the_code_emits(resources: dict[str, Any]) -> None:
    assert _ponte_metrics_read(resources) <= {m.value for m in Metric}


def test_every_metric_the_code_emits_is_on_the_dashboard_or_an_alarm(
    resources: dict[str, Any],
) -> None:
    """Authorizations and the like are read by the API Gateway graphs' counterpart: only
    the HTTP answer classes the dashboard groups by API are exempt from a graph of their own."""
    shown = _ponte_metrics_read(resources)
    exempt = {Metric.HTTP_2XX, Metric.HTTP_3XX, Metric.AUTHORIZATIONS, Metric.AUTH_FAILURES,
              Metric.RATE_LIMITED}  # fmt: skip
    assert {m.value for m in Metric} - {m.value for m in exempt} <= shown


def test_the_metric_namespace_and_service_are_the_functions(resources: dict[str, Any]) -> None:
    variables = Template.read().document["Globals"]["Function"]["Environment"]["Variables"]
    for resource in resources.values():
        props = resource["Properties"]
        if resource["Type"] == "AWS::CloudWatch::Alarm" and props.get("Namespace") == "Ponte":
            assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Ponte"
            dimensions = {d["Name"]: d["Value"] for d in props["Dimensions"]}
            assert dimensions["service"] == variables["POWERTOOLS_SERVICE_NAME"]


def test_every_alarm_notifies_the_topic(resources: dict[str, Any]) -> None:
    alarms = {k: r for k, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert len(alarms) >= 8
    for name, alarm in alarms.items():
        assert {"Ref": "AlarmTopic"} in alarm["Properties"]["AlarmActions"], name


def test_stored_data_is_protected(resources: dict[str, Any]) -> None:
    table = resources["Table"]
    assert table["DeletionPolicy"] == "Retain"
    props = table["Properties"]
    assert props["DeletionProtectionEnabled"] == {"Ref": "TableDeletionProtection"}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    parameters = Template.read().parameters
    assert parameters["TableDeletionProtection"] == "true"  # on unless a dev stack says not
    bundles = resources["BundleBucket"]["Properties"]
    assert bundles["VersioningConfiguration"]["Status"] == "Enabled"
    rules = bundles["LifecycleConfiguration"]["Rules"]
    assert any(r.get("NoncurrentVersionExpiration") for r in rules)  # old uploads do go
    cursor_key = resources["CursorKey"]["Properties"]
    assert cursor_key["KmsKeyId"]["Fn::If"][0] == "HasSecretsKey"


def test_a_customer_key_is_used_only_when_given() -> None:
    without = Template.read()
    given = Template.read({"SecretsKmsKeyArn": "arn:aws:kms:us-east-1:1:key/k"})
    assert without.condition("HasSecretsKey") is False
    assert given.condition("HasSecretsKey") is True
    props = without.resources("AWS::SecretsManager::Secret")["CursorKey"]["Properties"]
    assert "KmsKeyId" not in without.resolve(props)
    props = given.resources("AWS::SecretsManager::Secret")["CursorKey"]["Properties"]
    assert given.resolve(props["KmsKeyId"]) == "arn:aws:kms:us-east-1:1:key/k"


def test_the_worker_knows_its_last_attempt_as_the_queue_counts_it(
    resources: dict[str, Any],
) -> None:
    """The worker ends a run in error on the attempt after which the queue gives up."""
    variables = Template.read().document["Globals"]["Function"]["Environment"]["Variables"]
    policy = resources["PullQueue"]["Properties"]["RedrivePolicy"]
    assert int(variables["PULL_MAX_RECEIVES"]) == policy["maxReceiveCount"]
    keepalive = resources["CredentialsKeepAlive"]["Properties"]["Target"]
    assert keepalive["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["PullDeadLetterQueue", "Arn"]}}


def test_functions_list_kinds_of_access_written_once(resources: dict[str, Any]) -> None:
    """No statement is pasted into a function: each names managed policies, one per kind."""
    managed = {k for k, r in resources.items() if r["Type"] == "AWS::IAM::ManagedPolicy"}
    for name, resource in resources.items():
        if resource["Type"] == "AWS::Serverless::Function":
            for item in resource["Properties"].get("Policies") or []:
                assert set(item) == {"Ref"}, (name, item)
                assert item["Ref"] in managed, (name, item)


def test_a_secrets_policy_reaches_one_kind_of_secret(resources: dict[str, Any]) -> None:
    """Connection credentials, Kommo tokens and the cursor key: a policy reaches one kind."""
    for name, resource in resources.items():
        if resource["Type"] != "AWS::IAM::ManagedPolicy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement.get("Action", []) if isinstance(statement, dict) else []
            if not any(str(a).startswith("secretsmanager:") for a in actions):
                continue
            targets = statement["Resource"]
            targets = targets if isinstance(targets, list) else [targets]
            kinds = set()
            for target in targets:
                if target == {"Ref": "CursorKey"}:
                    kinds.add("cursor key")
                    continue
                pattern = target["Fn::Sub"]
                assert pattern.endswith("/*"), (name, pattern)
                assert "/*/" in pattern, (name, pattern)  # ponte/<stage>/<tenant>/<kind>/*
                vendor = pattern.rsplit("/", 2)[-2]
                kinds.add("kommo" if vendor == "kommo" else "connection")
            assert len(kinds) == 1, (name, kinds)
