"""The connector of each platform, built from a connection's credentials."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, Final

from ponte.connectors import hubspot, zendesk
from ponte.connectors.base import Connector, Stream
from ponte.domain.connectors import Platform
from ponte.settings import get_settings
from ponte.vendors import hubspot as hubspot_api
from ponte.vendors import zendesk as zendesk_api
from ponte.vendors.http import VendorHttp
from ponte.vendors.pacing import Schedule

# Platforms whose connector exists; the others answer PLATFORM_NOT_SUPPORTED.
SUPPORTED: Final = frozenset({Platform.HUBSPOT, Platform.ZENDESK})
STREAMS: Final = {Platform.HUBSPOT: hubspot.STREAMS, Platform.ZENDESK: zendesk.STREAMS}


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
    platform: Platform, credentials: Mapping[str, Any], schedule: Schedule, *, attempts: int = 5
) -> Connector:
    """``attempts``: how many times each request is tried (fewer when a person waits)."""
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
    raise ValueError(f"no connector for {platform}")
