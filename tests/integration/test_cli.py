"""The `ponte` CLI against the stack: tenants, API clients, tokens, firing schedules."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from devstack.stack import LocalStack


def new_tenant_id(prefix: str) -> str:
    """A tenant id of the test's own: the table is shared with the other tests."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_tenant_and_api_client_lifecycle(cli, api: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    acme = new_tenant_id("acme")
    assert cli("tenants", "create", acme, "--name", "ACME")[0] == 0
    assert cli("tenants", "create", acme)[0] == 1  # already exists

    code, created = cli(
        "api-clients",
        "create",
        "--tenant",
        acme,
        "--name",
        "ERP",
        "--scope",
        "read",
        "--rate-limit",
        "30",
    )
    assert code == 0
    key = created["api_key"]
    status = api.get("/api/integration/v1/sync-status", headers={"Authorization": f"Bearer {key}"})
    assert status.status_code == 200
    assert status.json()["data"]["api_client"] == {"name": "ERP", "scope": "read", "rate_limit": 30}

    code, listed = cli("api-clients", "list", "--tenant", acme)
    assert code == 0
    assert key not in json.dumps(listed)
    assert [c["id"] for c in listed] == [created["id"]]

    code, revoked = cli("api-clients", "revoke", "--tenant", acme, created["id"])
    assert (code, revoked["active"]) == (0, False)
    status = api.get("/api/integration/v1/sync-status", headers={"Authorization": f"Bearer {key}"})
    assert status.status_code == 401


@pytest.mark.parametrize(
    ("command", "rest"),
    [
        (("api-clients", "create"), ("--name", "x", "--scope", "read")),
        (("api-clients", "list"), ()),
        (("api-clients", "revoke"), ("0123456789ab",)),
        (("token",), ("--role", "admin")),
    ],
    ids=["create", "list", "revoke", "token"],
)
def test_an_unknown_tenant_is_an_error_for_every_command(  # type: ignore[no-untyped-def]
    cli, stack: LocalStack, tmp_path: Path, command: tuple[str, ...], rest: tuple[str, ...]
) -> None:
    """One rule: a command naming a tenant that does not exist says so and stores nothing
    (no empty listing, no token for nobody)."""
    state = tmp_path / ".ponte"
    state.mkdir()
    shutil.copy(stack.state_dir / "local-idp.pem", state / "local-idp.pem")
    (state / "dev.json").write_text(json.dumps({"jwt_issuer": stack.idp.issuer}))
    nobody = new_tenant_id("nobody")

    code, out = cli(*command, "--tenant", nobody, *rest)

    assert (code, out) == (1, "")
    assert cli.stderr == f"ponte: Tenant '{nobody}' not found\n"  # type: ignore[attr-defined]


def test_tenants_list_shows_each_tenant(cli) -> None:  # type: ignore[no-untyped-def]
    acme = new_tenant_id("acme-l")
    assert cli("tenants", "create", acme, "--name", "ACME", "--strict-cpf")[0] == 0

    code, listed = cli("tenants", "list")

    assert code == 0
    mine = [t for t in listed if t["id"] == acme]
    assert mine == [{"id": acme, "name": "ACME", "active": True,
                     "createdAt": mine[0]["createdAt"],
                     "settings": {"strict_cpf_check_digits": True}}]  # fmt: skip


def test_refusals_are_in_english_quoting_the_apis_message(cli) -> None:  # type: ignore[no-untyped-def]
    code, _ = cli("tenants", "create", "Not A Valid Id")

    assert code == 1
    assert cli.stderr.splitlines() == [  # type: ignore[attr-defined]
        "ponte: Validation error",
        '  tenant_id: "Use 2-63 caracteres: letras minúsculas, dígitos e hífen" '
        "(the API's message)",
    ]


def test_an_unreachable_endpoint_named_by_option_is_named_without_make_dev(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path
) -> None:
    """A running `make dev` (its dev.json) is not what an --endpoint-url names: the error
    points at the option, not at `make dev`."""
    state = tmp_path / ".ponte"
    state.mkdir()
    (state / "dev.json").write_text(json.dumps({"aws_endpoint_url": "http://127.0.0.1:4566"}))

    code, _ = cli("--endpoint-url", "http://127.0.0.1:9", "--table", "t", "tenants", "list",
                  table=False)  # fmt: skip

    assert code == 1
    assert cli.stderr.startswith("ponte: cannot reach http://127.0.0.1:9")  # type: ignore[attr-defined]
    assert "make dev" not in cli.stderr  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "rate_limit"), [("ERP", "0"), ("ERP", "-5"), ("   ", "30"), ("", "30")]
)
def test_api_client_values_are_validated_as_the_api_does(  # type: ignore[no-untyped-def]
    cli, name: str, rate_limit: str
) -> None:
    acme = new_tenant_id("acme-v")
    assert cli("tenants", "create", acme)[0] == 0
    args = ("--tenant", acme, "--name", name, "--scope", "read", "--rate-limit", rate_limit)

    code, _ = cli("api-clients", "create", *args)

    assert code == 1
    assert cli("api-clients", "list", "--tenant", acme) == (0, [])  # nothing stored


def test_token_is_accepted_by_the_stack(
    cli, stack: LocalStack, api: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / ".ponte"
    state.mkdir()
    shutil.copy(stack.state_dir / "local-idp.pem", state / "local-idp.pem")
    (state / "dev.json").write_text(json.dumps({"jwt_issuer": stack.idp.issuer}))
    monkeypatch.chdir(tmp_path)
    acme = new_tenant_id("acme")
    cli("tenants", "create", acme)

    code, token = cli("token", "--tenant", acme, "--role", "admin", "--claim", 'units=["U1"]')

    assert code == 0
    response = api.get("/api/admin/api-clients", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_schedules_fire_invokes_the_target(cli, stack: LocalStack) -> None:  # type: ignore[no-untyped-def]
    health = stack.provisioned.runtime.arns["HealthFunction"]
    event = (Path(__file__).parents[2] / "events" / "HealthFunction.json").read_text()
    boto3.client("scheduler").create_schedule(
        Name="health-every-morning",
        ScheduleExpression="cron(0 8 * * ? *)",
        ScheduleExpressionTimezone="America/Sao_Paulo",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": health,
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            "Input": event,
        },
    )
    before = len(stack.provisioned.runtime.invocations)

    code, fired = cli("schedules", "fire", "health-every-morning")

    assert code == 0, fired
    assert fired["result"]["statusCode"] == 200, fired
    assert stack.provisioned.runtime.invocations[before:] == ["HealthFunction"]


def test_schedules_list_and_an_unknown_name_is_one_line(cli, stack: LocalStack) -> None:  # type: ignore[no-untyped-def]
    boto3.client("scheduler").create_schedule(
        Name="nightly",
        ScheduleExpression="cron(0 3 * * ? *)",
        ScheduleExpressionTimezone="America/Sao_Paulo",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": "arn:aws:iam::1:role/r"},
    )

    code, listed = cli("schedules", "list")

    assert code == 0
    assert {"name": "nightly", "expression": "cron(0 3 * * ? *)",
            "timezone": "America/Sao_Paulo", "state": "ENABLED"} in listed  # fmt: skip
    with pytest.raises(SystemExit, match="no schedule 'nope' in group 'default'"):
        cli("schedules", "fire", "nope")


def test_an_explicit_table_wins_over_a_local_stacks_dev_json(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With --table (or --stack) the CLI acts there, not on the endpoint of .ponte/dev.json
    (which would be unreachable here, and another table)."""
    state = tmp_path / ".ponte"
    state.mkdir()
    unreachable = {"aws_endpoint_url": "http://127.0.0.1:9", "table_name": "elsewhere"}
    (state / "dev.json").write_text(json.dumps(unreachable))

    assert cli("tenants", "create", new_tenant_id("explicit"))[0] == 0  # `cli` passes --table
    assert "AWS_ENDPOINT_URL" not in os.environ


def test_users_create_makes_a_cognito_user_the_api_can_read(cli) -> None:  # type: ignore[no-untyped-def]
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool = cognito.create_user_pool(
        PoolName="ponte-test-users",
        Schema=[
            {"Name": "tenant_id", "AttributeDataType": "String", "Mutable": False},
            {"Name": "role", "AttributeDataType": "String", "Mutable": True},
        ],
    )["UserPool"]["Id"]
    acme = new_tenant_id("acme-users")
    assert cli("tenants", "create", acme)[0] == 0
    args = ("--tenant", acme, "--role", "coordinator", "--email", "ana@acme.edu")

    code, created = cli(
        "users", "create", *args, "--password", "Str0ng!pass", "--user-pool-id", pool
    )

    assert code == 0
    assert created["status"] == "CONFIRMED"
    user = cognito.admin_get_user(UserPoolId=pool, Username="ana@acme.edu")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["custom:tenant_id"] == acme
    assert attributes["custom:role"] == "coordinator"
    assert attributes["email_verified"] == "true"
    # Cognito refusing (the user exists) is one line and exit 1, not a traceback.
    assert cli("users", "create", *args, "--user-pool-id", pool)[0] == 1
    # A tenant Ponte does not know is refused before any user is made.
    code, _ = cli("users", "create", "--tenant", "nobody", "--role", "admin", "--email", "x@y.z",
                  "--user-pool-id", pool)  # fmt: skip
    assert code == 1
    assert len(cognito.list_users(UserPoolId=pool)["Users"]) == 1


def test_help_describes_every_command_and_option() -> None:
    from ponte_cli.main import parser

    def walk(p: Any, trail: str) -> Iterator[tuple[str, Any]]:
        yield trail, p
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, f"{trail} {name}")

    undocumented = [
        f"{trail}: {action.dest}"
        for trail, p in walk(parser(), "ponte")
        for action in p._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
        and not action.help
    ]
    assert undocumented == []
    commands = [
        (trail, choice.dest, choice.help)
        for trail, p in walk(parser(), "ponte")
        for action in p._actions
        if isinstance(action, argparse._SubParsersAction)
        for choice in action._choices_actions
    ]
    assert commands
    assert all(help_ for _, _, help_ in commands)
