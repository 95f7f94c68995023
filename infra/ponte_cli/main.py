"""``ponte``: operate a Ponte stack — tenants and API clients on any endpoint (real AWS or the
local stack); local-only helpers to mint tokens and fire schedules.

Target resolution: options, then the environment (TABLE_NAME, AWS_ENDPOINT_URL), then
``.ponte/dev.json`` written by ``make dev``; ``--stack NAME`` reads the table from CloudFormation.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

DEV_JSON = Path(".ponte/dev.json")
ROLES = ("admin", "coordinator", "professor", "guardian")


def _dev_state() -> dict[str, Any]:
    return json.loads(DEV_JSON.read_text()) if DEV_JSON.exists() else {}


def _configure(args: argparse.Namespace) -> None:
    """Point this process (settings, boto3) at the chosen stack before any service runs."""
    dev = _dev_state()
    endpoint = (
        args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or dev.get("aws_endpoint_url")
    )
    region = args.region or os.environ.get("AWS_REGION") or dev.get("region") or "us-east-1"
    os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = region
    if endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        if dev and endpoint == dev.get("aws_endpoint_url"):
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    table = args.table or (_stack_table(args.stack) if args.stack else None)
    table = table or os.environ.get("TABLE_NAME") or dev.get("table_name")
    if not table:
        raise SystemExit(
            "ponte: no table: pass --table or --stack, set TABLE_NAME, or run make dev"
        )
    os.environ["TABLE_NAME"] = table

    from ponte import aws
    from ponte.settings import get_settings

    get_settings.cache_clear()
    aws.reset_clients()


def _stack_table(stack: str) -> str:
    import boto3

    outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    for output in outputs.get("Outputs", []):
        if output["OutputKey"] == "TableName":
            return str(output["OutputValue"])
    raise SystemExit(f"ponte: stack {stack} has no TableName output")


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


# -- commands ------------------------------------------------------------------------------
def tenants_create(args: argparse.Namespace) -> None:
    from ponte.services import tenancy

    settings = {"strict_cpf_check_digits": True} if args.strict_cpf else {}
    tenant = tenancy.create_tenant(args.tenant_id, args.name or args.tenant_id, settings)
    _print({"id": tenant.id, "name": tenant.name, "settings": tenant.settings})


def api_clients_create(args: argparse.Namespace) -> None:
    from ponte.domain.tenancy import Scope
    from ponte.services import tenancy

    issued = tenancy.create_api_client(args.tenant, args.name, Scope(args.scope), args.rate_limit)
    _print(tenancy.describe_api_client(issued.client) | {"api_key": issued.api_key})
    print("The key is shown only once: store it now.", file=sys.stderr)


def api_clients_list(args: argparse.Namespace) -> None:
    from ponte.services import tenancy

    _print([tenancy.describe_api_client(c) for c in tenancy.list_api_clients(args.tenant)])


def api_clients_revoke(args: argparse.Namespace) -> None:
    from ponte.services import tenancy

    _print(tenancy.describe_api_client(tenancy.revoke_api_client(args.tenant, args.client_id)))


def token(args: argparse.Namespace) -> None:
    from devstack.idp import LocalIdentityProvider

    dev = _dev_state()
    if not dev:
        raise SystemExit("ponte token: local stack only; start it with `make dev` first")
    claims: dict[str, Any] = {}
    for pair in args.claim:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"ponte token: --claim takes key=value, got {pair!r}")
        try:
            claims[key] = json.loads(value)
        except json.JSONDecodeError:
            claims[key] = value
    idp = LocalIdentityProvider(DEV_JSON.parent / "local-idp.pem", dev["jwt_issuer"])
    print(
        idp.mint(args.tenant, args.role, subject=args.subject, ttl_seconds=args.ttl, claims=claims)
    )


def schedules_fire(args: argparse.Namespace) -> None:
    """Fire a schedule's target now (under moto nothing fires on its own)."""
    from devstack.schedules import fire

    dev = _dev_state()
    if args.connection:
        from ponte.adapters.schedules import name as schedule_name

        name = schedule_name(args.connection)
    elif args.name:
        name = args.name
    else:
        raise SystemExit("ponte schedules fire: name a schedule or pass --connection ID")
    group = args.group or dev.get("schedule_group") or "default"
    import botocore.exceptions

    try:
        _print(fire(name, group))
    except ValueError as exc:
        raise SystemExit(f"ponte schedules fire: {exc}") from None
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise SystemExit(
                f"ponte schedules fire: no schedule {name!r} in group {group!r} "
                "(`ponte schedules list` shows them)"
            ) from None
        raise


def schedules_list(args: argparse.Namespace) -> None:
    """The schedules of a group: name, expression, time zone, state."""
    import boto3

    group = args.group or _dev_state().get("schedule_group") or "default"
    client = boto3.client("scheduler")
    found = []
    for page in client.get_paginator("list_schedules").paginate(GroupName=group):
        for item in page.get("Schedules", []):
            detail = client.get_schedule(Name=item["Name"], GroupName=group)
            found.append({
                "name": item["Name"], "expression": detail["ScheduleExpression"],
                "timezone": detail.get("ScheduleExpressionTimezone", "UTC"),
                "state": detail["State"],
            })  # fmt: skip
    _print(found)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="ponte", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    root.add_argument("--table", help="DynamoDB table name")
    root.add_argument("--stack", help="CloudFormation stack whose TableName output to use")
    root.add_argument("--endpoint-url", help="AWS endpoint (the local stack's moto server)")
    root.add_argument("--region")
    groups = root.add_subparsers(dest="group", required=True)

    tenants = groups.add_parser("tenants").add_subparsers(dest="command", required=True)
    create = tenants.add_parser("create", help="create a tenant")
    create.add_argument("tenant_id")
    create.add_argument("--name", default="")
    create.add_argument(
        "--strict-cpf",
        action="store_true",
        help="reject CPFs with a wrong check digit instead of warning",
    )
    create.set_defaults(func=tenants_create)

    clients = groups.add_parser("api-clients").add_subparsers(dest="command", required=True)
    c_create = clients.add_parser("create", help="create an API client; prints its key once")
    c_create.add_argument("--tenant", required=True)
    c_create.add_argument("--name", required=True)
    c_create.add_argument("--scope", choices=["read", "write", "full"], required=True)
    c_create.add_argument("--rate-limit", type=int, default=None, help="requests per minute")
    c_create.set_defaults(func=api_clients_create)
    c_list = clients.add_parser("list", help="list a tenant's API clients (never the keys)")
    c_list.add_argument("--tenant", required=True)
    c_list.set_defaults(func=api_clients_list)
    c_revoke = clients.add_parser("revoke", help="revoke an API client")
    c_revoke.add_argument("--tenant", required=True)
    c_revoke.add_argument("client_id")
    c_revoke.set_defaults(func=api_clients_revoke)

    tok = groups.add_parser("token", help="(local) mint a JWT signed by the local stack's key")
    tok.add_argument("--tenant", required=True)
    tok.add_argument("--role", choices=ROLES, required=True)
    tok.add_argument("--subject", default="")
    tok.add_argument("--ttl", type=int, default=3600)
    tok.add_argument("--claim", action="append", default=[], metavar="KEY=VALUE")
    tok.set_defaults(func=token, local_only=True)

    schedules = groups.add_parser("schedules").add_subparsers(dest="command", required=True)
    fire = schedules.add_parser("fire", help="(local) fire an EventBridge schedule's target")
    fire.add_argument("name", nargs="?", help="the schedule's name")
    fire.add_argument("--connection", help="a connection's id: fire its sync schedule")
    fire.add_argument("--group", help="schedule group (default: the local stack's)")
    listing = schedules.add_parser("list", help="list a group's schedules")
    listing.add_argument("--group", help="schedule group (default: the local stack's)")
    listing.set_defaults(func=schedules_list)
    fire.set_defaults(func=schedules_fire)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not getattr(args, "local_only", False):
        _configure(args)
    import botocore.exceptions

    from ponte.errors import DomainError

    try:
        args.func(args)
    except botocore.exceptions.EndpointConnectionError as exc:
        local = os.environ.get("AWS_ENDPOINT_URL")
        hint = " — is the local stack (`make dev`) running?" if local else ""
        print(f"ponte: cannot reach {exc.kwargs.get('endpoint_url', local or 'AWS')}{hint}",
              file=sys.stderr)  # fmt: skip
        return 1
    except DomainError as exc:
        problems = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())
        print(f"ponte: {exc.message}" + (f" ({problems})" if problems else ""), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
