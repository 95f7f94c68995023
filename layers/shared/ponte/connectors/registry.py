"""Every connector Ponte has: one line per vendor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ponte.connectors import chatwoot, hubspot, movidesk, rdstation, zendesk
from ponte.connectors.base import Connector
from ponte.connectors.spec import Build, ConnectorSpec
from ponte.domain.connectors import Credentials, Platform
from ponte.settings import get_settings
from ponte.vendors.oauth import Vault
from ponte.vendors.pacing import Schedule

SPECS: Final[Mapping[Platform, ConnectorSpec[Any]]] = {
    spec.platform: spec
    for spec in (
        rdstation.SPEC,
        hubspot.SPEC,
        zendesk.SPEC,
        chatwoot.SPEC,
        movidesk.SPEC,
    )
}
# What the connectors API creates; the others are managed by their own admin API.
SUPPORTED: Final = frozenset(p for p, spec in SPECS.items() if not spec.managed)


def spec(platform: Platform) -> ConnectorSpec[Any] | None:
    return SPECS.get(platform)


def build(
    platform: Platform,
    credentials: Mapping[str, Any] | Credentials,
    schedule: Schedule,
    *,
    attempts: int = 5,
    options: Mapping[str, Any] | None = None,
    vault: Vault | None = None,
) -> Connector:
    """The platform's connector, from stored or typed credentials. ``attempts``: how many
    times each request is tried (fewer when a person waits); ``options``: what the run
    covers; ``vault``: where credentials that change are kept. Raises ValueError for a
    platform without a connector."""
    found = SPECS.get(platform)
    if found is None:
        raise ValueError(f"no connector for {platform}")
    return found.connector(
        credentials, Build(get_settings(), schedule, attempts, options or {}, vault)
    )


def build_context(schedule: Schedule, *, attempts: int = 5) -> Build:
    """What a connector's credentials are prepared with (``ConnectorSpec.ready``)."""
    return Build(get_settings(), schedule, attempts, {})
