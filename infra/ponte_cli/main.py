"""ponte: operate a Ponte stack: tenants, API clients and Cognito users on AWS or on the
local stack; local-only helpers to mint tokens and fire schedules.

Which stack: --stack NAME (its CloudFormation outputs) or --table/--endpoint-url name one
explicitly and win; else the environment (TABLE_NAME, AWS_ENDPOINT_URL); else
.ponte/dev.json, written by `make dev` while it runs. AWS credentials and region come from
the usual AWS settings (profile, AWS_REGION) unless --region is given.

Examples:
  ponte tenants create acme --name "ACME University"
  ponte --stack ponte-prod api-clients create --tenant acme --name ERP --scope full
  ponte --stack ponte-prod users create --tenant acme --role admin --email ana@acme.edu
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEV_JSON = Path(".ponte/dev.json")
ROLES = ("admin", "coordinator", "professor", "guardian")


def _dev_state() -> dict[str, Any]:
    return json.loads(DEV_JSON.read_text()) if DEV_JSON.exists() else {}


def _configure(args: argparse.Namespace) -> None:
    """Point this process (settings, boto3) at the chosen stack before any service runs:
    a stack named by an option is never mixed with the local one of ``.ponte/dev.json``."""
    explicit = bool(args.stack or args.table or args.endpoint_url)
    dev = {} if explicit else _dev_state()
    endpoint = (
        args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or dev.get("aws_endpoint_url")
    )
    # Only an endpoint found in dev.json is the local stack's: `make dev` is the hint for it.
    args.local_stack = bool(dev) and endpoint == dev.get("aws_endpoint_url")
    region = (
        args.region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or dev.get("region")
        or "us-east-1"
    )
    os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = region
    if endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        if dev and endpoint == dev.get("aws_endpoint_url"):
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    table = args.table or (_stack_output(args.stack, "TableName") if args.stack else None)
    table = table or os.environ.get("TABLE_NAME") or dev.get("table_name")
    if not table:
        hint = (
            "pass --table or --stack"
            if explicit
            else ("pass --table or --stack, set TABLE_NAME, or start the local stack (make dev)")
        )
        raise SystemExit(f"ponte: no table: {hint}")
    os.environ["TABLE_NAME"] = table

    from ponte import aws
    from ponte.settings import get_settings

    get_settings.cache_clear()
    aws.reset_clients()


def _stack_output(stack: str, key: str) -> str:
    import boto3

    outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    for output in outputs.get("Outputs", []):
        if output["OutputKey"] == key:
            return str(output["OutputValue"])
    raise SystemExit(f"ponte: stack {stack} has no {key} output")


# The run queue and its dead letters: (variable, stack output, dev.json key).
QUEUES = (
    ("PULL_QUEUE_URL", "PullQueueUrl", "pull_queue_url"),
    ("DEAD_LETTER_QUEUE_URL", "DeadLetterQueueUrl", "dead_letter_queue_url"),
)


def _queues(args: argparse.Namespace) -> None:
    """Point the process at the stack's run queue and dead letters: a --stack's outputs win,
    then the environment, then the local stack's dev.json."""
    dev = {} if (args.stack or args.table or args.endpoint_url) else _dev_state()
    for variable, output, key in QUEUES:
        value = _stack_output(args.stack, output) if args.stack else None
        value = value or os.environ.get(variable) or dev.get(key)
        if not value:
            raise SystemExit(
                f"ponte: no {variable}: pass --stack, set it, or start the local stack (make dev)"
            )
        os.environ[variable] = value
    from ponte.settings import get_settings

    get_settings.cache_clear()


def _plain(value: Any) -> Any:
    """A response model as its API renders it; anything else JSON lacks as text."""
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if dump else str(value)


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=_plain))


# -- commands ------------------------------------------------------------------------------
def tenants_list(args: argparse.Namespace) -> None:
    from ponte.services import tenancy

    _print([
        {"id": t.id, "name": t.name, "active": t.active, "createdAt": t.created_at.isoformat(),
         "settings": t.settings}
        for t in tenancy.list_tenants()
    ])  # fmt: skip


def tenants_create(args: argparse.Namespace) -> None:
    from ponte.services import tenancy

    settings = {"strict_cpf_check_digits": True} if args.strict_cpf else {}
    tenant = tenancy.create_tenant(args.tenant_id, args.name or args.tenant_id, settings)
    _print({"id": tenant.id, "name": tenant.name, "settings": tenant.settings})


def api_clients_create(args: argparse.Namespace) -> None:
    from ponte.domain.tenancy import Scope
    from ponte.http import admin
    from ponte.services import tenancy

    issued = tenancy.create_api_client(args.tenant, args.name, Scope(args.scope), args.rate_limit)
    _print(admin.issued(issued))
    print("The key is shown only once: store it now.", file=sys.stderr)


def api_clients_list(args: argparse.Namespace) -> None:
    from ponte.http import admin
    from ponte.services import tenancy

    _print([admin.api_client(c) for c in tenancy.list_api_clients(args.tenant)])


def api_clients_revoke(args: argparse.Namespace) -> None:
    from ponte.http import admin
    from ponte.services import tenancy

    _print(admin.api_client(tenancy.revoke_api_client(args.tenant, args.client_id)))


def _user_pool(args: argparse.Namespace) -> str:
    pool = args.user_pool_id or (_stack_output(args.stack, "UserPoolId") if args.stack else "")
    if not pool:
        raise SystemExit("ponte users: pass --stack NAME (its UserPoolId output) or --user-pool-id")
    return pool


def users_create(args: argparse.Namespace) -> None:
    """A Cognito user of the stack's pool with the tenant and role the API reads; Cognito
    mails a temporary password unless --password sets a permanent one."""
    import boto3

    from ponte.services import tenancy

    tenancy.require_tenant(args.tenant)
    pool = _user_pool(args)
    cognito = boto3.client("cognito-idp")
    attributes = [
        {"Name": "email", "Value": args.email},
        {"Name": "email_verified", "Value": "true"},
        {"Name": "custom:tenant_id", "Value": args.tenant},
        {"Name": "custom:role", "Value": args.role},
    ]
    if args.name:
        attributes.append({"Name": "name", "Value": args.name})
    extra: dict[str, Any] = {"MessageAction": "SUPPRESS"} if args.password else {}
    created = cognito.admin_create_user(
        UserPoolId=pool, Username=args.email, UserAttributes=attributes, **extra
    )["User"]
    if args.password:
        cognito.admin_set_user_password(
            UserPoolId=pool, Username=args.email, Password=args.password, Permanent=True
        )
    _print({
        "username": created["Username"], "email": args.email, "tenant_id": args.tenant,
        "role": args.role, "status": "CONFIRMED" if args.password else created["UserStatus"],
    })  # fmt: skip


def token(args: argparse.Namespace) -> None:
    from devstack.idp import LocalIdentityProvider
    from ponte.services import tenancy

    dev = _dev_state()
    if not dev:
        raise SystemExit("ponte token: local stack only; start it with `make dev` first")
    tenancy.require_tenant(args.tenant)  # a token for no tenant would open nothing
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
    root.add_argument("--stack", help="a deployed stack's name: its outputs say where to act")
    root.add_argument("--table", help="the DynamoDB table, when not taken from --stack")
    root.add_argument("--endpoint-url", help="an AWS endpoint (e.g. a moto server) to use")
    root.add_argument("--region", help="the AWS region (default: AWS_REGION, then us-east-1)")
    groups = root.add_subparsers(dest="group", required=True, metavar="COMMAND")

    tenants = groups.add_parser(
        "tenants", help="tenants: each institution's own data and credentials"
    ).add_subparsers(dest="command", required=True, metavar="ACTION")
    create = tenants.add_parser("create", help="create a tenant")
    create.add_argument(
        "tenant_id", help="letters, digits and hyphens (it names the tenant in tokens and keys)"
    )
    create.add_argument("--name", default="", help="display name (default: the id)")
    create.add_argument(
        "--strict-cpf",
        action="store_true",
        help="reject CPFs with a wrong check digit instead of warning",
    )
    create.set_defaults(func=tenants_create)
    tenants.add_parser("list", help="list the tenants").set_defaults(func=tenants_list)

    tenant_help = "the tenant's id"
    clients = groups.add_parser(
        "api-clients", help="API clients: the ERP's pex_ keys"
    ).add_subparsers(dest="command", required=True, metavar="ACTION")
    c_create = clients.add_parser("create", help="create an API client; prints its key once")
    c_create.add_argument("--tenant", required=True, help=tenant_help)
    c_create.add_argument("--name", required=True, help="who uses the key (e.g. ERP TOTVS)")
    c_create.add_argument(
        "--scope", choices=["read", "write", "full"], required=True,
        help="read: GETs; write: syncs; full: both",
    )  # fmt: skip
    c_create.add_argument(
        "--rate-limit", type=int, default=None,
        help="requests per minute (default: the stack's ApiClientDefaultRateLimit)",
    )  # fmt: skip
    c_create.set_defaults(func=api_clients_create)
    c_list = clients.add_parser("list", help="list a tenant's API clients (never the keys)")
    c_list.add_argument("--tenant", required=True, help=tenant_help)
    c_list.set_defaults(func=api_clients_list)
    c_revoke = clients.add_parser("revoke", help="revoke an API client")
    c_revoke.add_argument("--tenant", required=True, help=tenant_help)
    c_revoke.add_argument("client_id", help="the client's id (from create or list)")
    c_revoke.set_defaults(func=api_clients_revoke)

    _users(groups, tenant_help)
    _local(groups, tenant_help)
    return root


def _users(groups: Any, tenant_help: str) -> None:
    """ponte users …: Cognito users of a deployed stack."""
    users = groups.add_parser(
        "users", help="Cognito users of a deployed stack (people with a role)"
    ).add_subparsers(dest="command", required=True, metavar="ACTION")
    u_create = users.add_parser(
        "create", help="create a user with custom:tenant_id and custom:role"
    )
    u_create.add_argument("--tenant", required=True, help=tenant_help)
    u_create.add_argument("--role", choices=ROLES, required=True, help="what the user may see")
    u_create.add_argument("--email", required=True, help="the user's email (their username)")
    u_create.add_argument("--name", default="", help="display name")
    u_create.add_argument(
        "--password", default="",
        help="a permanent password (default: Cognito mails a temporary one)",
    )  # fmt: skip
    u_create.add_argument(
        "--user-pool-id", default="", help="the pool, when not taken from --stack"
    )
    u_create.set_defaults(func=users_create)


def _local(groups: Any, tenant_help: str) -> None:
    """ponte token, ponte schedules …: helpers for the local stack."""
    tok = groups.add_parser("token", help="(local) mint a JWT signed by the local stack's key")
    tok.add_argument("--tenant", required=True, help=tenant_help)
    tok.add_argument("--role", choices=ROLES, required=True, help="the custom:role claim")
    tok.add_argument("--subject", default="", help="the sub claim (default: generated)")
    tok.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    tok.add_argument(
        "--claim", action="append", default=[], metavar="KEY=VALUE",
        help="another claim, VALUE as JSON when it parses (repeatable), e.g. units=[\"A\"]",
    )  # fmt: skip
    tok.set_defaults(func=token)

    schedules = groups.add_parser(
        "schedules", help="EventBridge Scheduler schedules (connector and Movidesk syncs)"
    ).add_subparsers(dest="command", required=True, metavar="ACTION")
    fire = schedules.add_parser("fire", help="(local) fire an EventBridge schedule's target")
    fire.add_argument("name", nargs="?", help="the schedule's name (from `schedules list`)")
    fire.add_argument("--connection", help="a connection's id: fire its sync schedule")
    fire.add_argument("--group", help="schedule group (default: the local stack's)")
    listing = schedules.add_parser("list", help="list a group's schedules")
    listing.add_argument("--group", help="schedule group (default: the local stack's)")
    listing.set_defaults(func=schedules_list)
    fire.set_defaults(func=schedules_fire)

    dlq = groups.add_parser(
        "dlq", help="the run queue's dead letters: runs and schedule fires that failed"
    ).add_subparsers(dest="command", required=True, metavar="ACTION")
    dlq.add_parser(
        "list", help="what died: kind, tenant, run, connection, first error (left in place)"
    ).set_defaults(func=dlq_list)
    redrive = dlq.add_parser(
        "redrive",
        help="send dead letters back (a run's: a new run of its connection); once sent, "
        "they leave the dead-letter queue",
    )
    redrive.add_argument("--run", help="only this run's message")
    redrive.set_defaults(func=dlq_redrive)


def dlq_list(args: argparse.Namespace) -> None:
    from ponte.services.pulls import dead_letters

    _queues(args)
    found = dead_letters.listing()
    if not found:
        print("ponte: the dead-letter queue is empty", file=sys.stderr)
    _print([_dead(d) for d in found])


def dlq_redrive(args: argparse.Namespace) -> None:
    from ponte.services.pulls import dead_letters

    _queues(args)
    done = dead_letters.redrive(args.run)
    if not done:
        which = f" for run {args.run}" if args.run else ""
        print(f"ponte: nothing in the dead-letter queue{which}", file=sys.stderr)
    _print([
        _dead(d.dead) | ({"newRun": d.new_run_id} if d.new_run_id else {})
        | ({"refused": d.refused} if d.refused else {"redriven": True})
        for d in done
    ])  # fmt: skip


def _dead(dead: Any) -> dict[str, Any]:
    shown = {
        "kind": dead.kind, "tenant": dead.tenant_id, "run": dead.run_id,
        "connection": dead.connection_id, "connectionName": dead.connection_name,
        "firstError": dead.first_error, "receives": dead.receives, "sentAt": dead.sent_at,
    }  # fmt: skip
    return {k: v for k, v in shown.items() if v not in (None, "")}


def _refusal(exc: Any) -> str:
    """A refused request in English; a field's message is the API's own (Portuguese, as its
    clients get it), quoted as such."""
    lines = [f"ponte: {exc.english}"]
    for field, messages in exc.errors.items():
        lines.append(f'  {field}: "{"; ".join(messages)}" (the API\'s message)')
    return "\n".join(lines)


def _answers(endpoint: str) -> bool:
    """Whether anything listens at an endpoint on this machine (the local stack, an option
    naming a port): said at once, where botocore would retry a refused connection with
    backoff for ~20 s first. Any other endpoint is left to botocore (it may sit behind a
    proxy this process cannot reach directly)."""
    url = urlsplit(endpoint)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        return True
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "localhost", port), timeout=3):
            return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _configure(args)
    import botocore.exceptions

    from ponte.errors import DomainError

    hint = " — is the local stack (`make dev`) running?" if args.local_stack else ""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and not _answers(endpoint):
        print(f"ponte: cannot reach {endpoint}{hint}", file=sys.stderr)
        return 1
    try:
        args.func(args)
    except botocore.exceptions.EndpointConnectionError as exc:
        where = exc.kwargs.get("endpoint_url") or endpoint or "AWS"
        print(f"ponte: cannot reach {where}{hint}", file=sys.stderr)
        return 1
    except DomainError as exc:
        print(_refusal(exc), file=sys.stderr)
        return 1
    except botocore.exceptions.ClientError as exc:  # AWS said no (a user exists, a bad password)
        error = exc.response.get("Error", {})
        print(f"ponte: {error.get('Code', 'Error')}: {error.get('Message', exc)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
