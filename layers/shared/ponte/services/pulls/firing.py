"""A schedule fire: EventBridge Scheduler put a fire message (``domain/run_queue.py``) on the
run queue. The worker starts an incremental run, queued as any
run is (so a failure while it runs is retried as that run, not as another fire); a fire that
finds a run in progress is recorded as ``skipped`` and runs nothing."""

from __future__ import annotations

from ponte import errors
from ponte.domain.connectors import Trigger
from ponte.observability import logger
from ponte.services import connections
from ponte.services.pulls import starting


def fire(tenant_id: str, connection_id: str) -> str:
    try:
        run = starting.start(tenant_id, connection_id, full=False, trigger=Trigger.SCHEDULE)
    except errors.DomainError as exc:
        if exc.code == "SYNC_IN_PROGRESS":
            holder = connections.get(tenant_id, connection_id).active_run
            skipped = starting.skipped(tenant_id, connection_id, holder)
            return f"skipped ({skipped.id}): {holder} in progress"
        if exc.code in ("CONNECTION_NOT_FOUND", "CONNECTION_DISABLED"):
            # A schedule is deleted or disabled with its connection; a fire already on the
            # queue when that happened has nothing to do.
            logger.info("schedule fire dropped", extra={"connection": connection_id,
                                                        "reason": exc.code})  # fmt: skip
            return exc.code.lower()
        raise
    return f"started {run.id}"
