"""GET sync-status: last sync and per-entity totals from maintained counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ponte.auth.principals import Principal
from ponte.clock import isoformat, utcnow
from ponte.repository import counters as counter_store

ENTITIES = ("units", "areas", "courses", "subjects", "professors", "students", "enrollments")


def describe(client: Principal) -> dict[str, Any]:
    """The caller's tenant: last sync and totals (one read of the maintained counters)."""
    counters = counter_store.get(client.tenant_id)
    last = counters.get("last_sync_at")
    last_sync = None
    if last:
        moment = datetime.fromisoformat(str(last))
        minutes = int((utcnow() - moment).total_seconds() // 60)
        last_sync = {"timestamp": isoformat(moment), "minutes_ago": max(0, minutes)}
    return {
        "last_sync": last_sync,
        "entities": {e: {"total": int(counters.get(counter_store.total(e), 0))} for e in ENTITIES},
        "api_client": {
            "name": client.name,
            "scope": client.scope.value if client.scope else None,
            "rate_limit": client.rate_limit,
        },
    }
