"""``make dev``: the whole stack in one process, no Docker.

A moto server (every AWS API, Step Functions executing the real ASL) on PONTE_MOTO_PORT and
the HTTP API on PONTE_PORT; tenant ``demo`` with working credentials in ``.ponte/dev.json``.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import socket
import sys
import threading
from typing import Any

import httpx

from devstack.stack import LOCAL_AWS_ENVIRONMENT, STATE_DIR, LocalStack, run_local_stack

DEMO_TENANT = "demo"


def _aws_environment(moto_port: int) -> str:
    endpoint = f"http://127.0.0.1:{moto_port}"
    for key, value in LOCAL_AWS_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ["MOTO_PORT"] = str(moto_port)  # Step Functions calls Lambda through it
    return endpoint


def _start_moto(host: str, moto_port: int, endpoint: str) -> object:
    from devstack.moto_fixes import moto_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call is noise

    server = moto_server(host, moto_port)
    server.start()
    config = {"stepfunctions": {"execute_state_machine": True}}
    httpx.post(f"{endpoint}/moto-api/config", json=config, timeout=10).raise_for_status()
    return server


def demo_tenant(stack: LocalStack, endpoint: str) -> dict[str, Any]:
    """Tenant `demo`, one API client per scope and an admin token; written to dev.json."""
    from ponte.domain.tenancy import Scope
    from ponte.services import tenancy

    tenancy.create_tenant(DEMO_TENANT, "Demo Institution")
    keys = {
        scope: tenancy.create_api_client(DEMO_TENANT, f"dev {scope.value}", scope).api_key
        for scope in Scope
    }
    credentials: dict[str, Any] = {
        "base_url": stack.base_url,
        "aws_endpoint_url": endpoint,
        "region": os.environ["AWS_DEFAULT_REGION"],
        "table_name": stack.table_name,
        "tenant_id": DEMO_TENANT,
        "api_key": keys[Scope.FULL],
        "read_api_key": keys[Scope.READ],
        "write_api_key": keys[Scope.WRITE],
        "admin_token": stack.idp.mint(DEMO_TENANT, "admin", subject="dev-admin", ttl_seconds=43200),
        "jwt_issuer": stack.idp.issuer,
        "schedule_group": stack.provisioned.environment["SCHEDULE_GROUP"],
        "pull_queue_url": stack.provisioned.environment["PULL_QUEUE_URL"],
        "dead_letter_queue_url": stack.provisioned.environment["DEAD_LETTER_QUEUE_URL"],
    }
    if stack.kommo is not None:
        credentials["kommo_accounts"] = _seed_kommo(stack)
    credentials["connections"] = _seed_connections(stack)
    if stack.rdstation is not None:
        credentials["rdstation_app"] = _rdstation_app(stack)
    credentials["movidesk"] = _seed_movidesk(stack)
    STATE_DIR.mkdir(exist_ok=True)
    dev_json = STATE_DIR / "dev.json"
    dev_json.write_text(json.dumps(credentials, indent=2) + "\n")
    dev_json.chmod(0o600)
    _write_sam_env(stack)
    return credentials


def _seed_kommo(stack: LocalStack) -> str:
    """Three accounts in the Kommo fake (a master with roles, two slaves), registered."""
    from ponte.services import kommo_accounts

    assert stack.kommo is not None
    rights = {"leads": {"view": "A", "edit": "A", "add": "A", "delete": "D", "export": "A"}}
    master_roles = [{"name": n, "rights": rights} for n in ("Vendedor", "Supervisor", "Suporte")]
    for subdomain, role, roles in (
        ("demo-master", "master", master_roles),
        ("demo-slave1", "slave", master_roles[:1]),
        ("demo-slave2", "slave", [{"name": "Antigo", "rights": rights}]),
    ):
        token = f"local-{subdomain}-token"
        stack.kommo.add_account(subdomain, token, roles)
        new = kommo_accounts.NewAccount.model_validate(
            {"subdomain": subdomain, "role": role, "token": token}
        )
        kommo_accounts.create(DEMO_TENANT, new)
    return "demo-master, demo-slave1, demo-slave2 (in the local Kommo fake)"


def _seed_movidesk(stack: LocalStack) -> str:
    """A Movidesk token in its fake with tickets over the last week, set for tenant demo,
    synced at 08:00 and 18:00."""
    from datetime import timedelta

    from ponte.clock import utcnow
    from ponte.services import movidesk

    if stack.movidesk is None:
        return "MOVIDESK_BASE_URL names a real Movidesk: set the token on the admin page"
    stack.movidesk.add_account("local-movidesk-token-0000")
    for days in range(7):
        stack.movidesk.add("local-movidesk-token-0000", 40, at=utcnow() - timedelta(days=days))
    change = movidesk.SettingsChange(
        token="local-movidesk-token-0000", schedules=["08:00", "18:00"]
    )
    movidesk.save_settings(DEMO_TENANT, change)
    return f"{stack.base_url}/admin/integrations/movidesk/tickets (token set, 280 tickets)"


def _seed_connections(stack: LocalStack) -> dict[str, str]:
    """An account in each vendor fake, each with a connection (two on a schedule): their
    ids."""
    from ponte.services import connections

    made: dict[str, str] = {}
    if stack.hubspot is not None:
        stack.hubspot.add_account("local-hubspot-token", contacts=300, companies=40, deals=25)
        body = connections.NewConnection(
            name="HubSpot (local fake)",
            platform="hubspot",
            credentials={"accessToken": "local-hubspot-token"},
        )
        made["hubspot"] = connections.create(DEMO_TENANT, body).id
    if stack.zendesk is not None:
        stack.zendesk.add_account("demo", "admin@demo.com", "local-zendesk-token",
                                  tickets=1200, users=80)  # fmt: skip
        # A student of examples/bundle.json who wrote to support: linked once both are in.
        pedro = {"name": "Pedro Oliveira", "email": "pedro.oliveira@aluno.edu.br"}
        user = stack.zendesk.add("demo", "users", 1, fields=pedro)[0]
        asked = {"requester_id": user, "subject": "Segunda via do boleto"}
        stack.zendesk.add("demo", "tickets", 1, fields=asked)
        body = connections.NewConnection(
            name="Zendesk (local fake)",
            platform="zendesk",
            credentials={
                "email": "admin@demo.com",
                "apiToken": "local-zendesk-token",
                "subdomain": "demo",
            },
        )
        made["zendesk"] = connections.create(DEMO_TENANT, body).id
    if stack.chatwoot is not None:
        stack.chatwoot.add_account(1, "local-chatwoot-token", conversations=60, messages=4,
                                   contacts=45)  # fmt: skip
        body = connections.NewConnection(
            name="Chatwoot (local fake)",
            platform="chatwoot",
            credentials={"accountId": "1", "accessToken": "local-chatwoot-token"},
            schedule="rate(15 minutes)",
        )
        made["chatwoot"] = connections.create(DEMO_TENANT, body).id
    if stack.rdstation is not None:
        stack.rdstation.add_account("demo-rdstation", contacts=400, deals=90)
        stack.rdstation.add_app("demo-rdstation", RD_CLIENT_ID, RD_CLIENT_SECRET)
        body = connections.NewConnection(
            name="RD Station (local fake)",
            platform="rdstation",
            credentials={
                "clientId": RD_CLIENT_ID,
                "clientSecret": RD_CLIENT_SECRET,
                "refreshToken": stack.rdstation.grant(RD_CLIENT_ID),
                "workspaceId": "demo-workspace",
            },
            schedule="cron(0 8 ? * MON-FRI *)",
        )
        made["rdstation"] = connections.create(DEMO_TENANT, body).id
    return made


# The local RD Station fake's app (an OAuth2 client of the App Store): its authorize URL
# redirects to the callback with a code; README's example creates a connection with one.
RD_CLIENT_ID = "local-rdstation-app"
RD_CLIENT_SECRET = "local-rdstation-app-secret"


def _rdstation_app(stack: LocalStack) -> dict[str, str]:
    from devstack.rdstation_fake import DEFAULT_REDIRECT

    return {
        "base_url": stack.provisioned.environment["RDSTATION_BASE_URL"],
        "client_id": RD_CLIENT_ID,
        "client_secret": RD_CLIENT_SECRET,
        "redirect_uri": DEFAULT_REDIRECT,
    }


def _write_sam_env(stack: LocalStack) -> None:
    """Env-vars file for `sam local invoke` (where Docker exists) against this stack: every
    local URL names the host as a container reaches it (``host.docker.internal``; on Linux
    give `sam local invoke` ``--add-host host.docker.internal:host-gateway`` and run
    ``PONTE_BIND=0.0.0.0 make dev`` so that the bridge can reach the servers)."""
    docker_host = "host.docker.internal"
    env = dict(stack.provisioned.environment) | {
        "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "VENDOR_PRIVATE_HOSTS": docker_host,
    }
    for local in ("127.0.0.1", "localhost"):
        # JWT_ISSUER is an identifier the tokens carry, not an address: it stays as minted.
        env = {
            name: value if name == "JWT_ISSUER" else value.replace(local, docker_host)
            for name, value in env.items()
        }
    (STATE_DIR / "sam-env.json").write_text(json.dumps({"Parameters": env}, indent=2) + "\n")


def _in_use(host: str, port: int) -> bool:
    """Whether something listens on the port. SO_REUSEADDR, as the servers themselves bind:
    the TIME-WAIT sockets a stopped `make dev` leaves behind do not hold the port."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def _port_taken(port: int, name: str) -> int:
    print(
        f"make dev: port {port} is in use (another `make dev`?); stop it, or choose "
        f"another with {name}=<port> make dev",
        file=sys.stderr,
    )
    return 2


def _banner(stack: LocalStack, endpoint: str, tenant: str) -> str:
    base = stack.base_url
    return (
        f"\nPonte local stack on {base}  (AWS endpoint {endpoint})\n"
        f"Credentials for tenant '{tenant}': {STATE_DIR / 'dev.json'}\n\n"
        f"  API documents     {base}/docs\n"
        f"  Movidesk page     {base}/admin/integrations/movidesk/tickets\n"
        f"  Health            curl {base}/api/integration/v1/health\n"
        f'  API clients       curl -H "Authorization: Bearer $(jq -r .admin_token '
        f'{STATE_DIR}/dev.json)" {base}/api/admin/api-clients\n\n'
        "Ctrl+C stops it (state lives in memory)."
    )


def main() -> int:
    port = int(os.environ.get("PONTE_PORT", "3000"))
    # Where the servers listen: loopback, or every interface (0.0.0.0) for Docker containers.
    bind_host = os.environ.get("PONTE_BIND", "127.0.0.1")
    moto_port = int(os.environ.get("PONTE_MOTO_PORT", "4566"))
    for name, wanted in (("PONTE_PORT", port), ("PONTE_MOTO_PORT", moto_port)):
        if _in_use(bind_host, wanted):
            return _port_taken(wanted, name)
    endpoint = _aws_environment(moto_port)
    moto = _start_moto(bind_host, moto_port, endpoint)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        with run_local_stack(bind_host, port=port, serve_now=False) as stack:
            creds = demo_tenant(stack, endpoint)
            # Served once dev.json is written: whoever sees health answer finds credentials.
            stack.server.start(stack.gateway)
            print(_banner(stack, endpoint, creds["tenant_id"]), flush=True)
            # Short waits: a signal's handler runs between them, however long the stack lives.
            while not stop.wait(0.5):
                pass
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        return _port_taken(port, "PONTE_PORT")  # taken between the probe and the bind
    finally:
        moto.stop()  # type: ignore[attr-defined]
        # Its credentials and endpoint die with the stack: the CLI must not reach for them.
        (STATE_DIR / "dev.json").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
