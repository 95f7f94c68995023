"""A connector, as one declaration the engine reads and never names.

Each vendor's module declares a :class:`ConnectorSpec`: its platform, its credentials model,
its streams, how it is built from typed credentials, its default options and the hooks of what
its runs write at their start and end. ``registry`` lists the specs; the run engine, the
starting code and the connections service work from a spec alone.

Credentials that change (OAuth2 tokens) declare what a person gives (``given``), how that
becomes what is stored when the connection is saved (``prepare``: an authorization code
exchanged, say), and how old they may grow before the daily keep-alive renews them
(``renew_after``); the connector then reads and rewrites them through ``Build.vault``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from ponte.connectors.base import Connector
from ponte.domain.connectors import Credentials, Platform, PullRun, RunStatus
from ponte.settings import Settings
from ponte.vendors.http import VendorAuthError
from ponte.vendors.oauth import Vault
from ponte.vendors.pacing import Schedule


@dataclass(frozen=True, slots=True)
class Build:
    """What a connector is built with, besides its credentials."""

    settings: Settings
    schedule: Schedule  # where pacing state lives (the table, across invocations)
    attempts: int  # how many times each request is tried (fewer when a person waits)
    options: Mapping[str, Any]  # what the run covers (Movidesk's window); {} for a check
    # Where credentials that change (OAuth2 tokens) are read and rewritten; None: they are
    # kept in memory only (nothing stored yet, or a connector whose credentials last).
    vault: Vault | None = None


def _no_start(run: PullRun) -> None:
    return None


def _no_end(run: PullRun, status: RunStatus) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class RunHooks:
    """What a platform's runs write besides the engine's own record of them."""

    started: Callable[[PullRun], None] = _no_start  # the run's first invocation
    # The run's last checkpoint: fields it adds to the run (a summary line, say).
    ended: Callable[[PullRun, RunStatus], dict[str, Any]] = _no_end


def _no_options(now: datetime) -> dict[str, Any]:
    return {}


def _nothing_shown(credentials: Any) -> str | None:
    return None


def _no_url(base: str, stream: str, record_id: str) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class ConnectorSpec[K: Credentials]:
    platform: Platform
    credentials: type[K]
    streams: tuple[str, ...]  # in the order a run pulls them
    build: Callable[[K, Build], Connector]
    # Managed by its own admin API (one per tenant), not created through the connectors API.
    managed: bool = False
    max_attempts: int = 5
    default_options: Callable[[datetime], dict[str, Any]] = _no_options
    hooks: RunHooks = field(default_factory=RunHooks)
    # The credentials' non-secret workspace a connection shows (RD Station's workspaceId).
    workspace: Callable[[K], str | None] = _nothing_shown
    # Where the vendor's web app shows the account's records (not secret: kept on the
    # connection), and a record's address there (base, stream, id; None: it has none).
    web: Callable[[K], str | None] = _nothing_shown
    record_url: Callable[[str, str, str], str | None] = _no_url
    # What a person gives, when it is not what is stored (``credentials``), and how it
    # becomes that when the connection is saved (a token exchange: raises VendorAuthError
    # when the vendor refuses, VendorError when it cannot be reached).
    given: type[Credentials] | None = None
    prepare: Callable[[Any, Build], K] | None = None
    # Stored credentials older than this are renewed by the daily keep-alive (they die
    # unused); None: they last.
    renew_after: timedelta | None = None

    @property
    def accepts(self) -> type[Credentials]:
        """The model of the credentials a person gives."""
        return self.given or self.credentials

    def ready(self, given: Credentials, build: Build) -> K:
        """What is stored for the credentials a person gave."""
        if self.prepare is not None:
            return self.prepare(given, self._scaled(build))
        if not isinstance(given, self.credentials):
            raise TypeError(f"{type(given).__name__} is not {self.credentials.__name__}")
        return given

    def connector(self, credentials: Mapping[str, Any] | K, build: Build) -> Connector:
        """The connector for stored (JSON) or already typed credentials. Stored credentials
        of a kind the platform no longer takes (saved before its authentication changed) are
        refused as the vendor would refuse them: VendorAuthError."""
        if isinstance(credentials, self.credentials):
            typed = credentials
        else:
            try:
                typed = self.credentials.model_validate(credentials)
            except ValidationError:
                raise VendorAuthError(
                    f"the stored {self.platform.value} credentials are of a kind it no longer takes"
                ) from None
        return self.build(typed, self._scaled(build))

    def _scaled(self, build: Build) -> Build:
        attempts = min(build.attempts, self.max_attempts)
        return Build(build.settings, build.schedule, attempts, build.options, build.vault)


def account(secret: str) -> str:
    """The name pacing gives a vendor account: the secret's digest (the same token is the same
    account, whichever connection uses it), never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]
