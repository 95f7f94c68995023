"""HTTP API Lambda REQUEST authorizer (payload 2.0, simple responses).

It resolves the principal and counts the request against its rate limit, and always lets
the request through with its verdict in the context: functions render 401/403/429 in their
own API's envelope (API Gateway's own denials cannot carry it). Every route but health
declares the principal it needs, and a test checks each one refuses an anonymous call.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ponte.auth.authenticate import Authenticator
from ponte.auth.jwt_verifier import JwksCache, JwtVerifier
from ponte.auth.rate_limit import RateLimiter
from ponte.observability import Metric, correlation_id, count, instrument, logger
from ponte.repository import rate_limits, tenancy
from ponte.settings import Settings, get_settings


def authenticator() -> Authenticator:
    return _authenticator(get_settings())


@cache
def _authenticator(settings: Settings) -> Authenticator:
    """One per cold start: per settings, so a process that hosts several local stacks in turn
    (the benchmarks) verifies each stack's tokens against that stack's issuer."""
    jwks = JwksCache(settings.jwt.jwks_url, settings.jwt.jwks_cache_seconds)
    return Authenticator(
        settings=settings,
        find_client=tenancy.get_api_client_by_hash,
        find_tenant=tenancy.get_tenant,
        touch_client=tenancy.touch_api_client,
        verifier=JwtVerifier(settings.jwt, jwks),
        limiter=RateLimiter(rate_limits.hit),
    )


def _authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    verdict = authenticator().authenticate(event.get("headers") or {})
    principal = verdict.principal
    logger.info(
        "authorized" if principal else "unauthenticated",
        extra={
            "route": event.get("routeKey"),
            "failure": verdict.failure or None,
            "tenant_id": principal.tenant_id if principal else None,
            "principal": principal.rate_key if principal else None,
            "rate_exceeded": verdict.rate.exceeded if verdict.rate else None,
        },
    )
    if verdict.failure:
        count(Metric.AUTH_FAILURES)
    if verdict.rate is not None and verdict.rate.exceeded:
        count(Metric.RATE_LIMITED)
    count(Metric.AUTHORIZATIONS)
    # The access log reads the correlation id from here ($context.authorizer.correlationId).
    context = verdict.to_context() | {"correlationId": correlation_id(event)}
    return {"isAuthorized": True, "context": context}


handler = instrument(_authorize, correlation=correlation_id)
