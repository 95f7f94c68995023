"""The connector of each platform, built from a connection's credentials."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, Final

from ponte.connectors import chatwoot, hubspot, movidesk, rdstation, zendesk
from ponte.connectors.base import Coalesced, Connector, Stream
from ponte.domain.connectors import Platform
from ponte.settings import get_settings
from ponte.vendors import chatwoot as chatwoot_api
from ponte.vendors import hubspot as hubspot_api
from ponte.vendors import movidesk as movidesk_api
from ponte.vendors import rdstation as rdstation_api
from ponte.vendors import zendesk as zendesk_api
from ponte.vendors.http import VendorHttp, safe_base_url
from ponte.vendors.pacing import Schedule

# Platforms whose connector exists; the others answer PLATFORM_NOT_SUPPORTED.
STREAMS: Final = {
    Platform.RDSTATION: rdstation.STREAMS,
    Platform.HUBSPOT: hubspot.STREAMS,
    Platform.ZENDESK: zendesk.STREAMS,
    Platform.CHATWOOT: chatwoot.STREAMS,
    Platform.MOVIDESK: movidesk.STREAMS,
}
# What the connectors API creates; Movidesk has its own admin API (one per tenant).
SUPPORTED: Final = frozenset(STREAMS) - {Platform.MOVIDESK}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def _connector(
    platform: Platform,
    http: VendorHttp,
    streams: list[Stream],
    check: Callable[[VendorHttp], None],
    attempts: int,
) -> Connector:
    http.max_attempts = attempts
    return Connector(
        platform,
        streams,
        check=lambda: check(http),
        close=http.close,
    )


def build(
    platform: Platform,
    credentials: Mapping[str, Any],
    schedule: Schedule,
    *,
    attempts: int = 5,
    options: Mapping[str, Any] | None = None,
) -> Connector:
    """``attempts``: how many times each request is tried (fewer when a person waits);
    ``options``: what the run covers (Movidesk's window)."""
    settings = get_settings()
    if platform is Platform.HUBSPOT:
        token = str(credentials["accessToken"])
        http = hubspot_api.client(
            token,
            base_url=settings.hubspot_base_url,
            account=_digest(token),
            per_ten_seconds=settings.hubspot_requests_per_10s,
            schedule=schedule,
        )
        streams: list[Stream] = [hubspot.ObjectStream(http, n) for n in hubspot.STREAMS]
        return _connector(platform, http, streams, hubspot_api.check, attempts)
    if platform is Platform.ZENDESK:
        http = zendesk_api.client(
            str(credentials["email"]),
            str(credentials["apiToken"]),
            str(credentials["subdomain"]),
            base_url=settings.zendesk_base_url,
            exports_per_minute=settings.zendesk_exports_per_minute,
            schedule=schedule,
        )
        streams = [zendesk.ExportStream(http, n) for n in zendesk.STREAMS]
        return _connector(platform, http, streams, zendesk_api.check, attempts)
    if platform is Platform.CHATWOOT:
        http = chatwoot_api.client(
            chatwoot_base_url(str(credentials.get("baseUrl") or "")),
            str(credentials["accountId"]),
            str(credentials["accessToken"]),
            per_minute=settings.chatwoot_requests_per_minute,
            schedule=schedule,
        )
        streams = [
            Coalesced(chatwoot.ConversationStream(http)),
            Coalesced(chatwoot.MessageStream(http)),
            Coalesced(chatwoot.ContactStream(http)),
        ]
        return _connector(platform, http, streams, chatwoot_api.check, attempts)
    if platform is Platform.RDSTATION:
        key = str(credentials["apiKey"])
        http = rdstation_api.client(
            key,
            base_url=settings.rdstation_base_url,
            account=_digest(key),
            per_minute=settings.rdstation_requests_per_minute,
            schedule=schedule,
        )
        streams = [rdstation.ListStream(http, n) for n in rdstation.STREAMS]
        return _connector(platform, http, streams, rdstation_api.check, attempts)
    if platform is Platform.MOVIDESK:
        token = str(credentials["token"])
        http = movidesk_api.client(
            token,
            base_url=settings.movidesk_base_url,
            account=_digest(token),
            per_minute=settings.movidesk_requests_per_minute,
            schedule=schedule,
        )
        window = dict(options or {}) or {"start": 0, "end": 0}
        streams = [movidesk.TicketStream(http, window)]
        return _connector(platform, http, streams, movidesk_api.check, min(attempts, 2))
    raise ValueError(f"no connector for {platform}")


def chatwoot_base_url(given: str) -> str:
    """The Chatwoot instance a connection calls: its own ``baseUrl`` (held to the https,
    public-address rule: raises UnsafeUrl) or the stack's default. Checked on every build,
    so a host that later resolves to a private address is refused then too."""
    settings = get_settings()
    url = chatwoot_api.origin(given or settings.chatwoot_base_url)
    return safe_base_url(url, private_hosts=settings.vendor_private_hosts)
