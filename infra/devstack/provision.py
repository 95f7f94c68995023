"""Create the template's resources on moto (in-process mock or moto server)."""

from __future__ import annotations

import io
import json
import secrets as secrets_module
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from devstack.runtime import LambdaRuntime
from devstack.template import Template

PREFIX = "ponte-local"


@dataclass
class Provisioned:
    template: Template
    runtime: LambdaRuntime
    environment: dict[str, str]

    @property
    def table_name(self) -> str:
        return self.template.physical["Table"]


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# served in-process by the local stack\n")
    return buffer.getvalue()


def _table(client: Any, name: str, props: Mapping[str, Any]) -> str:
    params: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        params["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    arn: str = client.create_table(**params)["TableDescription"]["TableArn"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    return arn


def reset_tables(provisioned: Provisioned, session: boto3.session.Session | None = None) -> None:
    """Empty every table of the stack by recreating it (tests start each case from nothing)."""
    client = (session or boto3.session.Session()).client("dynamodb")
    template = provisioned.template
    for logical_id, resource in template.resources("AWS::DynamoDB::Table").items():
        name = template.physical[logical_id]
        client.delete_table(TableName=name)
        _table(client, name, template.resolve(resource["Properties"]))


def _secrets(client: Any, template: Template) -> None:
    """Secrets the template generates: a random value of the asked length."""
    for logical_id, resource in template.resources("AWS::SecretsManager::Secret").items():
        props = template.resolve(resource["Properties"])
        name = props.get("Name") or f"{PREFIX}-{logical_id}"
        length = int((props.get("GenerateSecretString") or {}).get("PasswordLength", 32))
        value = secrets_module.token_hex(length // 2)
        template.physical[logical_id] = client.create_secret(Name=name, SecretString=value)["ARN"]


def _roles_and_schedule_groups(session: boto3.session.Session, template: Template) -> None:
    """IAM roles (Scheduler's, to reach the run queue), Scheduler's schedule groups and the
    template's own schedules (the daily keep-alive): nothing fires on moto by itself, so
    ``ponte schedules fire`` and the tests deliver them."""
    iam = session.client("iam")
    for logical_id, resource in template.resources("AWS::IAM::Role").items():
        props = template.resolve(resource["Properties"])
        created = iam.create_role(
            RoleName=f"{PREFIX}-{logical_id}",
            AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
        )["Role"]
        template.physical[logical_id] = created["RoleName"]
        template.attributes[(logical_id, "Arn")] = created["Arn"]
    scheduler = session.client("scheduler")
    for logical_id, resource in template.resources("AWS::Scheduler::ScheduleGroup").items():
        group = template.resolve(resource["Properties"])["Name"]
        arn = scheduler.create_schedule_group(Name=group)["ScheduleGroupArn"]
        template.physical[logical_id] = group  # Ref of a schedule group is its name
        template.attributes[(logical_id, "Arn")] = arn
    for logical_id, resource in template.resources("AWS::Scheduler::Schedule").items():
        props = template.resolve(resource["Properties"])
        schedule = scheduler.create_schedule(
            **{k: props[k] for k in ("Name", "ScheduleExpression", "FlexibleTimeWindow", "Target")},
            **{k: props[k] for k in ("GroupName", "Description", "State") if k in props},
        )
        template.physical[logical_id] = props["Name"]
        template.attributes[(logical_id, "Arn")] = schedule["ScheduleArn"]


def provision(
    parameters: Mapping[str, str] | None = None, *, session: boto3.session.Session | None = None
) -> Provisioned:
    """Create tables and functions from ``template.yaml``; resolve every function's env."""
    session = session or boto3.session.Session()
    template = Template.read(parameters)
    template.region = session.region_name or "us-east-1"

    dynamodb = session.client("dynamodb")
    for logical_id, resource in template.resources("AWS::DynamoDB::Table").items():
        name = f"{PREFIX}-{logical_id}"
        arn = _table(dynamodb, name, template.resolve(resource["Properties"]))
        template.physical[logical_id] = name
        template.attributes[(logical_id, "Arn")] = arn

    s3 = session.client("s3")
    for logical_id in template.resources("AWS::S3::Bucket"):
        name = f"{PREFIX}-{logical_id}".lower()
        s3.create_bucket(Bucket=name)
        template.physical[logical_id] = name
        template.attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"

    _secrets(session.client("secretsmanager"), template)
    sqs = session.client("sqs")
    queues = template.resources("AWS::SQS::Queue")
    # Dead-letter queues first: a queue's redrive policy names its DLQ's ARN.
    for logical_id in sorted(queues, key=lambda q: "RedrivePolicy" in queues[q]["Properties"]):
        props = template.resolve(queues[logical_id].get("Properties") or {})
        attributes = {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in props.items()}
        url = sqs.create_queue(QueueName=f"{PREFIX}-{logical_id}", Attributes=attributes)[
            "QueueUrl"
        ]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        template.physical[logical_id] = url
        template.attributes[(logical_id, "Arn")] = arn
        template.attributes[(logical_id, "QueueName")] = f"{PREFIX}-{logical_id}"

    iam = session.client("iam")
    _roles_and_schedule_groups(session, template)
    role_arn = iam.create_role(
        RoleName=f"{PREFIX}-lambda",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}',
    )["Role"]["Arn"]
    lambda_client = session.client("lambda")
    code = _placeholder_zip()
    names, arns = {}, {}
    for logical_id, resource in template.resources("AWS::Serverless::Function").items():
        name = f"{PREFIX}-{logical_id}"
        arn = lambda_client.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role_arn,
            Handler=resource["Properties"]["Handler"],
            Code={"ZipFile": code},
            Timeout=int(resource["Properties"].get("Timeout", 29)),
        )["FunctionArn"]
        names[logical_id], arns[logical_id] = name, arn
        template.physical[logical_id] = name
        template.attributes[(logical_id, "Arn")] = arn

    sfn = session.client("stepfunctions")
    for logical_id, resource in template.resources("AWS::Serverless::StateMachine").items():
        props = resource["Properties"]
        definition = template.state_machine_definition(logical_id)
        name = f"{PREFIX}-{logical_id}"
        arn = sfn.create_state_machine(
            name=name, definition=definition, roleArn=role_arn, type=props.get("Type", "STANDARD")
        )["stateMachineArn"]
        template.physical[logical_id] = arn
        template.attributes[(logical_id, "Name")] = name
        template.attributes[(logical_id, "Arn")] = arn

    functions = template.functions()
    environment: dict[str, str] = {}
    for fn in functions.values():
        for key, value in fn.environment.items():
            if environment.setdefault(key, value) != value:
                # One process serves every function, so they must agree on shared variables.
                raise ValueError(f"functions disagree on {key}; the local stack shares one env")
    return Provisioned(template, LambdaRuntime(functions, names, arns), environment)
