"""The local stack assembled: resources from the template, the gateway, the local IdP.

Used by ``make dev`` (over a moto server) and by the integration tests (over moto in-process),
so both run the same template, the same authorizer and the same handlers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack import apidocs, fakes
from devstack.chatwoot_fake import ChatwootFake
from devstack.fakes import Fake
from devstack.gateway import Gateway, GatewayServer, bind
from devstack.hubspot_fake import HubSpotFake
from devstack.idp import AUDIENCE, ISSUER_PATH, JWKS_PATH, LocalIdentityProvider
from devstack.kommo_fake import KommoFake, serve
from devstack.movidesk_fake import MovideskFake
from devstack.oidc import LocalOidc
from devstack.provision import Provisioned, provision
from devstack.queues import Consumer, QueuePoller, default_concurrency
from devstack.rdstation_fake import RdStationFake
from devstack.template import ROOT
from devstack.zendesk_fake import ZendeskFake
from ponte import aws
from ponte.settings import get_settings

# PONTE_STATE_DIR moves it (the README's tests run a second stack beside a developer's).
STATE_DIR = Path(os.environ.get("PONTE_STATE_DIR") or ROOT / ".ponte")


@dataclass(frozen=True)
class Vendor:
    """A connector vendor the local stack fakes, unless ``env`` names a real one."""

    name: str  # the LocalStack field that holds its fake
    fake: Callable[[], Fake]
    env: str
    parameter: str  # the template parameter of its base URL
    suffix: str = ""  # the path after the fake's origin that the base URL names


VENDORS = (
    Vendor("hubspot", HubSpotFake, "HUBSPOT_BASE_URL", "HubSpotBaseUrl"),
    Vendor("zendesk", ZendeskFake, "ZENDESK_BASE_URL", "ZendeskBaseUrl", "/{subdomain}/api/v2"),
    Vendor("chatwoot", ChatwootFake, "CHATWOOT_BASE_URL", "ChatwootBaseUrl"),
    Vendor("rdstation", RdStationFake, "RDSTATION_BASE_URL", "RdStationBaseUrl"),
    Vendor("movidesk", MovideskFake, "MOVIDESK_BASE_URL", "MovideskBaseUrl"),
)


@dataclass
class LocalStack:
    base_url: str
    provisioned: Provisioned
    gateway: Gateway
    idp: LocalIdentityProvider
    server: GatewayServer
    state_dir: Path
    kommo: KommoFake | None = None  # the Kommo fake, unless KOMMO_BASE_URL named another
    # Each of VENDORS: its fake, unless its variable named a real one.
    hubspot: HubSpotFake | None = None
    zendesk: ZendeskFake | None = None
    chatwoot: ChatwootFake | None = None
    rdstation: RdStationFake | None = None
    movidesk: MovideskFake | None = None
    poller: QueuePoller | None = None

    @property
    def table_name(self) -> str:
        return self.provisioned.table_name


LOCAL_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",  # EMF lines would drown the request logs
}


@contextmanager
def function_environment(environment: dict[str, str]) -> Iterator[None]:
    """Give this process the functions' environment (one process hosts them all), and on
    the way out leave the environment as it was found."""
    saved = dict(os.environ)
    os.environ.update(environment)
    get_settings.cache_clear()
    aws.reset_clients()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        aws.reset_clients()


@contextmanager
def run_local_stack(
    host: str = "127.0.0.1", port: int = 0, state_dir: Path = STATE_DIR, *, serve_now: bool = True
) -> Iterator[LocalStack]:
    """Provision the template on the current AWS endpoint (moto) and serve it over HTTP;
    with ``serve_now=False`` the caller starts serving (``stack.server.start(stack.gateway)``)
    once it is ready for requests."""
    server = bind(host, port)
    base_url = f"http://{fakes.reachable(host)}:{server.port}"
    issuer = base_url + ISSUER_PATH
    kommo_url = os.environ.get("KOMMO_BASE_URL", "")
    with ExitStack() as cleanup:
        cleanup.callback(server.server_close)
        cleanup.callback(server.shutdown)
        kommo = None
        if not kommo_url:  # no Kommo named: serve the fake
            kommo = KommoFake()
            kommo_server, kommo_url = serve(kommo, host)
            cleanup.callback(kommo_server.server_close)
            cleanup.callback(kommo_server.shutdown)
        served: dict[str, Any] = {}
        urls: dict[str, str] = {}
        for vendor in VENDORS:
            urls[vendor.parameter] = os.environ.get(vendor.env, "")
            if not urls[vendor.parameter]:
                served[vendor.name] = vendor.fake()
                origin = _serve(cleanup, served[vendor.name], host)
                urls[vendor.parameter] = origin + vendor.suffix
        provisioned = provision(
            {
                "JwtIssuer": issuer,
                "JwtAudience": AUDIENCE,
                "JwksUrl": base_url + JWKS_PATH,
                "KommoBaseUrl": kommo_url,
                **urls,
            }
        )
        # The local stack's vendors (fakes) live on loopback.
        environment = provisioned.environment | {"VENDOR_PRIVATE_HOSTS": fakes.reachable(host)}
        cleanup.enter_context(function_environment(environment))
        cleanup.enter_context(provisioned.runtime.moto_hook())
        poller = _queue_poller(provisioned)
        poller.start()
        cleanup.callback(poller.stop)
        idp = LocalIdentityProvider(state_dir / "local-idp.pem", issuer)
        template = provisioned.template
        gateway = Gateway(template.routes(), provisioned.runtime, template.authorizer_function())
        LocalOidc(idp, base_url).mount(gateway)
        apidocs.mount(gateway)
        if serve_now:
            server.start(gateway)
        yield LocalStack(
            base_url, provisioned, gateway, idp, server, state_dir,
            kommo=kommo, poller=poller, **served,
        )  # fmt: skip


def _serve(cleanup: ExitStack, fake: Fake, host: str) -> str:
    fake_server, origin = fakes.serve(fake, host)
    cleanup.callback(fake_server.server_close)
    cleanup.callback(fake_server.shutdown)
    return origin


def _queue_poller(provisioned: Provisioned) -> QueuePoller:
    """The template's SQS event sources, delivered in the background."""
    template = provisioned.template
    consumers = [
        Consumer(
            queue_url=template.physical[queue],
            queue_arn=template.attributes[(queue, "Arn")],
            function=function,
            batch_size=size,
            concurrency=most or default_concurrency(),
        )
        for queue, function, size, most in template.queue_consumers()
    ]
    return QueuePoller(provisioned.runtime, consumers, lambda: aws.client("sqs"))
