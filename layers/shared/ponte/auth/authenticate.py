"""Resolve the caller of a request: an API client by its key, or a user by a JWT.

Used by the authorizer function. It answers an :class:`AuthContext` rather than raising, so
functions render 401/403/429 in their own API's envelope.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ponte.auth import api_keys
from ponte.auth.jwt_verifier import InvalidToken, JwtVerifier
from ponte.auth.principals import AuthContext, Principal, PrincipalKind, Role
from ponte.auth.rate_limit import RateLimiter
from ponte.clock import Clock, get_clock
from ponte.domain.tenancy import TENANT_ID, ApiClient, Tenant
from ponte.settings import Settings

# Touch `last_used_at` at most once a minute per client: a write per request would double
# the authorizer's DynamoDB cost for a value nobody reads to the second.
UNKNOWN_KEY_MEMORY = timedelta(seconds=30)
TENANT_MEMORY = timedelta(minutes=1)
UNKNOWN_KEYS_KEPT = 10_000
_TOUCH_EVERY = timedelta(minutes=1)


class Authenticator:
    def __init__(
        self,
        *,
        settings: Settings,
        find_client: Callable[[str], ApiClient | None],
        touch_client: Callable[[str, Any], None],
        verifier: JwtVerifier,
        limiter: RateLimiter,
        clock: Clock | None = None,
        find_tenant: Callable[[str], Tenant | None] | None = None,
    ) -> None:
        self._settings = settings
        self._find_client = find_client
        self._touch_client = touch_client
        self._verifier = verifier
        self._limiter = limiter
        self._clock = clock
        # Keys just found unknown, answered without a read for a while: a flood of made-up
        # keys must not become a flood of table reads.
        self._unknown: OrderedDict[str, datetime] = OrderedDict()
        self._unknown_lock = threading.Lock()
        self._find_tenant = find_tenant
        self._tenants: dict[str, tuple[bool, datetime]] = {}  # tenant -> (usable, checked at)

    def authenticate(self, headers: Mapping[str, str]) -> AuthContext:
        lowered = {k.lower(): v for k, v in headers.items()}
        raw = lowered.get("authorization", "").strip()
        if not raw:
            return AuthContext(failure="MISSING_CREDENTIALS")
        scheme, _, credential = raw.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            return AuthContext(failure="MALFORMED_CREDENTIALS")
        if api_keys.looks_like_api_key(credential):
            outcome = self._api_client(credential)
        else:
            outcome = self._user(credential)
        if outcome.principal is None:
            return outcome
        if not self._tenant_usable(outcome.principal.tenant_id):
            return AuthContext(failure="INVALID_TENANT")
        return AuthContext(principal=outcome.principal, rate=self._rate(outcome.principal))

    def _tenant_usable(self, tenant_id: str) -> bool:
        """The principal's tenant exists and is active (remembered for a minute)."""
        if not TENANT_ID.match(tenant_id):
            return False  # key characters ('#') and the like never reach the table
        if self._find_tenant is None:
            return True
        now = (self._clock or get_clock()).now()
        known = self._tenants.get(tenant_id)
        if known is not None and timedelta(0) <= now - known[1] < TENANT_MEMORY:
            return known[0]
        tenant = self._find_tenant(tenant_id)
        usable = tenant is not None and tenant.active
        self._tenants[tenant_id] = (usable, now)
        return usable

    def _api_client(self, key: str) -> AuthContext:
        if not api_keys.is_well_formed(key):
            return AuthContext(failure="MALFORMED_CREDENTIALS")
        key_hash = api_keys.hash_key(key)
        now = (self._clock or get_clock()).now()
        with self._unknown_lock:
            seen = self._unknown.get(key_hash)
        if seen is not None and timedelta(0) <= now - seen < UNKNOWN_KEY_MEMORY:
            return AuthContext(failure="INVALID_API_KEY")
        client = self._find_client(key_hash)
        if client is None:
            with self._unknown_lock:
                self._unknown[key_hash] = now
                self._unknown.move_to_end(key_hash)
                while len(self._unknown) > UNKNOWN_KEYS_KEPT:
                    self._unknown.popitem(last=False)
            return AuthContext(failure="INVALID_API_KEY")
        if not client.active:
            return AuthContext(failure="REVOKED_API_KEY")
        if client.last_used_at is None or now - client.last_used_at >= _TOUCH_EVERY:
            self._touch_client(key_hash, now)
        return AuthContext(
            principal=Principal(
                kind=PrincipalKind.API_CLIENT,
                tenant_id=client.tenant_id,
                id=client.id,
                name=client.name,
                scope=client.scope,
                rate_limit=client.rate_limit,
            )
        )

    def _user(self, token: str) -> AuthContext:
        if token.count(".") != 2:
            return AuthContext(failure="MALFORMED_CREDENTIALS")
        try:
            claims = self._verifier.verify(token)
        except InvalidToken:
            return AuthContext(failure="INVALID_TOKEN")
        jwt_settings = self._settings.jwt
        tenant_id = str(claims.get(jwt_settings.tenant_claim, "")).strip()
        if not tenant_id:
            return AuthContext(failure="INVALID_TOKEN")
        # Claims that scope a hierarchy user, plain or as Cognito custom attributes.
        attributes: dict[str, Any] = {}
        for name in ("units", "students", "username", "code"):
            value = claims.get(name, claims.get(f"custom:{name}"))
            if value not in (None, "", []):
                attributes[name] = value
        return AuthContext(
            principal=Principal(
                kind=PrincipalKind.USER,
                tenant_id=tenant_id,
                id=str(claims["sub"]),
                name=str(claims.get("name") or claims.get("email") or claims["sub"]),
                role=Role.parse(claims.get(jwt_settings.role_claim)),
                rate_limit=self._settings.user_rate_limit_per_hour,
                # Scoping by email trusts only an email the issuer has verified: a user who
                # could set their own email could otherwise take a guardian's.
                email=str(claims.get("email", "")) if _verified(claims) else "",
                attributes=attributes,
            )
        )

    def _rate(self, principal: Principal) -> Any:
        window = 60 if principal.kind is PrincipalKind.API_CLIENT else 3600
        return self._limiter.check(principal.rate_key, principal.rate_limit, window)


def _verified(claims: dict[str, Any]) -> bool:
    """OIDC's ``email_verified`` (a boolean; some issuers send the text "true")."""
    flag = claims.get("email_verified")
    return flag is True or str(flag).lower() == "true"
