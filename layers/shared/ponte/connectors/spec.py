"""A connector, as one declaration the engine reads and never names.

Each vendor's module declares a :class:`ConnectorSpec`: its platform, its credentials model,
its streams, how it is built from typed credentials, its default options and the hooks of what
its runs write at their start and end. ``registry`` lists the specs; the run engine, the
starting code and the connections service work from a spec alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ponte.connectors.base import Connector
from ponte.domain.connectors import Credentials, Platform, PullRun, RunStatus
from ponte.settings import Settings
from ponte.vendors.pacing import Schedule


@dataclass(frozen=True, slots=True)
class Build:
    """What a connector is built with, besides its credentials."""

    settings: Settings
    schedule: Schedule  # where pacing state lives (the table, across invocations)
    attempts: int  # how many times each request is tried (fewer when a person waits)
    options: Mapping[str, Any]  # what the run covers (Movidesk's window); {} for a check


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

    def connector(self, credentials: Mapping[str, Any] | K, build: Build) -> Connector:
        """The connector for stored (JSON) or already typed credentials."""
        typed = (
            credentials
            if isinstance(credentials, self.credentials)
            else self.credentials.model_validate(credentials)
        )
        attempts = min(build.attempts, self.max_attempts)
        return self.build(typed, Build(build.settings, build.schedule, attempts, build.options))


def account(secret: str) -> str:
    """The name pacing gives a vendor account: the secret's digest (the same token is the same
    account, whichever connection uses it), never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]
