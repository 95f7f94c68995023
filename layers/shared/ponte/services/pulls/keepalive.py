"""The daily keep-alive: credentials that die unused (an OAuth2 refresh token, RD Station's
after 14 days) are renewed before they do, so a connection synced once a month stays alive.

For each platform whose spec sets ``renew_after``, the connections (every tenant's) whose
credentials were issued longer ago than that are listed from the table's token claims (one
Query, oldest first) and renewed through their connector, under the same claim a run's
refresh takes: a run refreshing at the same moment is waited for, never raced. A refusal
counts towards disabling the connection as a refused run does. A keep-alive whose time runs
short queues its continuation from where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

from ponte.adapters import queue
from ponte.clock import get_clock
from ponte.connectors import registry
from ponte.domain import run_queue
from ponte.observability import logger
from ponte.repository import connections as connection_store
from ponte.repository import token_claims
from ponte.repository.pacing import DynamoSchedule
from ponte.services import connections
from ponte.settings import get_settings
from ponte.vendors.http import UnsafeUrl, VendorAuthError, VendorError

ATTEMPTS = 3  # per vendor request: tomorrow's keep-alive tries again


@dataclass
class Tally:
    renewed: int = 0
    current: int = 0  # renewed meanwhile by a run (its result was read)
    refused: int = 0
    failed: int = 0
    skipped: int = 0  # disabled after refusals, or gone

    def line(self) -> str:
        return (
            f"{self.renewed} renewed, {self.current} already current, {self.refused} refused, "
            f"{self.failed} failed, {self.skipped} skipped"
        )


def work(message: run_queue.KeepAliveMessage, remaining_seconds: float) -> str:
    """Renew what this invocation has time for; what was done (for the log)."""
    clock = get_clock()
    settings = get_settings()
    deadline = clock.now().timestamp() + remaining_seconds - settings.pull_time_margin_seconds
    tally = Tally()
    platforms = sorted(p for p, spec in registry.SPECS.items() if spec.renew_after is not None)
    for platform in platforms:
        if message.platform and platform.value < message.platform:
            continue  # done before this continuation
        spec = registry.SPECS[platform]
        assert spec.renew_after is not None
        before = clock.now().timestamp() - spec.renew_after.total_seconds()
        last = message.after if platform.value == message.platform else ""
        for due in token_claims.issued_before(platform.value, before, after=last):
            if clock.now().timestamp() >= deadline:  # the next invocation goes on from here
                queue.send(settings.pull_queue_url, run_queue.keepalive(platform.value, last))
                return f"continued: {tally.line()}"
            _renew(due, before, tally)
            last = due.position
    return tally.line()


def _renew(due: token_claims.Due, before: float, tally: Tally) -> None:
    connection = connection_store.get(due.tenant_id, due.connection_id)
    if connection is None:  # deleted: its claim outlived it
        token_claims.delete(due.tenant_id, due.connection_id)
        tally.skipped += 1
        return
    if not connection.enabled and connection.disabled_reason:
        tally.skipped += 1  # its credentials were refused: new ones are awaited
        return
    try:
        connector = registry.build(
            connection.platform,
            connections.credentials(due.tenant_id, connection),
            DynamoSchedule(),
            attempts=ATTEMPTS,
            vault=connections.vault(due.tenant_id, connection),
        )
    except VendorAuthError as exc:
        tally.refused += 1
        connections.refused(due.tenant_id, connection, str(exc))
        return
    except UnsafeUrl:
        tally.failed += 1
        return
    try:
        if connector.renew is None:
            tally.skipped += 1
        elif connector.renew(before):
            tally.renewed += 1
        else:
            tally.current += 1
    except VendorAuthError as exc:
        tally.refused += 1
        logger.warning("keep-alive refused", extra={"connection": connection.id})
        connections.refused(due.tenant_id, connection, str(exc))
    except VendorError as exc:
        tally.failed += 1
        logger.warning(
            "keep-alive failed", extra={"connection": connection.id, "problem": str(exc)}
        )
    finally:
        connector.close()
