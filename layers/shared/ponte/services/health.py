"""Health: every reported service is checked for real; none is "ok" by default."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ponte.observability import logger

API_VERSION = "v1"
HEALTHY_MESSAGE = "API de Integração operacional"
UNHEALTHY_MESSAGE = "API de Integração indisponível"


@dataclass(frozen=True, slots=True)
class HealthReport:
    healthy: bool
    services: dict[str, dict[str, Any]]

    def body(self) -> dict[str, Any]:
        return {
            "success": self.healthy,
            "status": "healthy" if self.healthy else "unhealthy",
            "message": HEALTHY_MESSAGE if self.healthy else UNHEALTHY_MESSAGE,
            "data": {"api_version": API_VERSION, "services": self.services},
        }


def check(probes: Mapping[str, Callable[[], None]]) -> HealthReport:
    """Run each probe; a probe is healthy when it returns and unhealthy when it raises."""
    services: dict[str, dict[str, Any]] = {}
    for name, probe in probes.items():
        started = time.perf_counter()
        try:
            probe()
        except Exception as exc:
            # The cause goes to the log, not to an unauthenticated caller.
            logger.warning("health probe failed", extra={"probe": name, "error": repr(exc)})
            services[name] = {"status": "error"}
        else:
            elapsed = round((time.perf_counter() - started) * 1000, 1)
            services[name] = {"status": "ok", "latency_ms": elapsed}
    healthy = all(s["status"] == "ok" for s in services.values())
    return HealthReport(healthy=healthy, services=services)
