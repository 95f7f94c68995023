"""The least-privilege check's rules, on a small template and calls written by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.aws_calls import CallLog
from devstack.privilege import policies, violations
from devstack.template import Template

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/ponte-Table"
TEMPLATE = """
Resources:
  Table: {Type: AWS::DynamoDB::Table, Properties: {}}
  TableRead:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: [dynamodb:GetItem, dynamodb:Query]
            Resource: [!GetAtt Table.Arn, !Sub "${Table.Arn}/index/*"]
  ReadFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/read/
      Handler: app.handler
      Policies:
        - !Ref TableRead
        - Statement:
            - Effect: Allow
              Action: [dynamodb:UpdateItem, dynamodb:DeleteItem]
              Resource: !GetAtt Table.Arn
            - Effect: Allow
              Action: [secretsmanager:GetSecretValue]
              Resource: KOMMO_SECRETS
            - Effect: Allow  # used by Secrets Manager for the function: not flagged unused
              Action: [kms:Decrypt]
              Resource: "*"
              Condition:
                StringEquals: {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
"""
KOMMO_SECRETS = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ponte/dev/*/kommo/*"


@pytest.fixture
def template(tmp_path: Path) -> Template:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE.replace("KOMMO_SECRETS", KOMMO_SECRETS))
    read = Template.read(path=path)
    read.attributes[("Table", "Arn")] = TABLE
    read.physical["TableRead"] = "arn:aws:iam::123456789012:policy/TableRead"
    return read


def test_a_call_outside_the_policy_and_a_write_never_made_are_both_named(
    template: Template,
) -> None:
    calls = {
        ("ReadFunction", "dynamodb:Query", f"{TABLE}/index/GSI1"),  # the managed policy
        ("ReadFunction", "dynamodb:UpdateItem", TABLE),  # inline
        ("ReadFunction", "dynamodb:PutItem", TABLE),  # nowhere
    }

    assert violations(policies(template), calls) == [
        f"ReadFunction: calls dynamodb:PutItem on {TABLE}, not allowed",
        "ReadFunction: allows dynamodb:DeleteItem, never called",
    ]


def test_a_secret_of_another_kind_is_not_allowed(template: Template) -> None:
    log = CallLog("us-east-1", "123456789012")
    kommo = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ponte/dev/acme/kommo/1-AbC123"
    other = "ponte/dev/acme/connections/9"
    calls = {
        ("ReadFunction", "dynamodb:UpdateItem", TABLE),
        ("ReadFunction", "dynamodb:DeleteItem", TABLE),
    }
    for secret in (kommo, other):
        for action, resource in log.needs("secretsmanager", "GetSecretValue", {"SecretId": secret}):
            calls.add(("ReadFunction", action, resource))

    assert violations(policies(template), calls) == [
        "ReadFunction: calls secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-1:"
        "123456789012:secret:ponte/dev/acme/connections/9, not allowed"
    ]


def test_a_function_the_tests_never_ran_is_named(template: Template) -> None:
    assert violations(policies(template), set()) == ["ReadFunction: never ran in the tests"]
    ran_without_calls = {("ReadFunction", "", "")}
    assert violations(policies(template), ran_without_calls) == [
        "ReadFunction: allows dynamodb:UpdateItem, never called",
        "ReadFunction: allows dynamodb:DeleteItem, never called",
    ]


@pytest.mark.parametrize(
    ("service", "operation", "params", "needs"),
    [
        (
            "dynamodb",
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": "T"}},
                    {"ConditionCheck": {"TableName": "T"}},
                ]
            },
            [("dynamodb:PutItem", "table/T"), ("dynamodb:ConditionCheckItem", "table/T")],
        ),
        (
            "dynamodb",
            "Query",
            {"TableName": "T", "IndexName": "GSI3"},
            [("dynamodb:Query", "table/T/index/GSI3")],
        ),
        (
            "s3",
            "ListObjectsV2",
            {"Bucket": "records"},
            [("s3:ListBucket", "arn:aws:s3:::records")],
        ),
        (
            "sqs",
            "SendMessageBatch",
            {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/runs"},
            [("sqs:SendMessage", "runs")],
        ),
        (
            "scheduler",
            "CreateSchedule",
            {"Name": "n", "GroupName": "g", "Target": {"RoleArn": "arn:aws:iam::1:role/r"}},
            [
                ("scheduler:CreateSchedule", "schedule/g/n"),
                ("iam:PassRole", "arn:aws:iam::1:role/r"),
            ],
        ),
    ],
)
def test_a_call_needs_what_iam_authorises_it_as(
    service: str, operation: str, params: dict[str, object], needs: list[tuple[str, str]]
) -> None:
    """A transaction needs its items' actions; a batch send, SendMessage; a listing,
    ListBucket on the bucket; a schedule with a role, PassRole on it."""
    log = CallLog("us-east-1", "123456789012")
    prefix = "arn:aws:{}:us-east-1:123456789012:"
    expected = [
        (action, r if r.startswith("arn:") else prefix.format(action.split(":")[0]) + r)
        for action, r in needs
    ]
    assert log.needs(service, operation, params) == expected
