"""Who is calling, as the authorizer resolved it and passes it to functions in its context.

API Gateway carries the authorizer context as a flat map; :meth:`AuthContext.to_context` and
:meth:`AuthContext.from_context` are the only (de)serialisers of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ponte.domain.tenancy import Scope


class PrincipalKind(StrEnum):
    API_CLIENT = "api_client"
    USER = "user"


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    PROFESSOR = "professor"
    GUARDIAN = "guardian"

    @classmethod
    def parse(cls, raw: object) -> Role | None:
        try:
            return cls(str(raw).strip().lower())
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    tenant_id: str
    id: str
    name: str
    scope: Scope | None = None
    role: Role | None = None
    rate_limit: int = 0
    email: str = ""
    # Claims a later capability may scope by (for example a coordinator's `units`).
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rate_key(self) -> str:
        return f"{self.kind.value}#{self.tenant_id}#{self.id}"


@dataclass(frozen=True, slots=True)
class RateStatus:
    limit: int
    remaining: int
    reset_at: int  # epoch seconds when the window ends
    retry_after: int  # seconds until the window ends
    exceeded: bool

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if self.exceeded:
            headers["Retry-After"] = str(max(1, self.retry_after))
        return headers


@dataclass(frozen=True, slots=True)
class AuthContext:
    """The authorizer's verdict: a principal, or the code of why there is none."""

    principal: Principal | None = None
    failure: str = ""
    rate: RateStatus | None = None

    def to_context(self) -> dict[str, str | int | bool]:
        ctx: dict[str, str | int | bool] = {"failure": self.failure}
        if self.principal is not None:
            p = self.principal
            ctx |= {
                "kind": p.kind.value,
                "tenant_id": p.tenant_id,
                "principal_id": p.id,
                "name": p.name,
                "scope": p.scope.value if p.scope else "",
                "role": p.role.value if p.role else "",
                "rate_limit": p.rate_limit,
                "email": p.email,
                "attributes": json.dumps(dict(p.attributes), separators=(",", ":")),
            }
        if self.rate is not None:
            r = self.rate
            ctx |= {
                "rate_limit": r.limit,
                "rate_remaining": r.remaining,
                "rate_reset": r.reset_at,
                "rate_retry_after": r.retry_after,
                "rate_exceeded": r.exceeded,
            }
        return ctx

    @classmethod
    def from_context(cls, ctx: Mapping[str, Any] | None) -> AuthContext:
        if not ctx:
            return cls(failure="MISSING_CREDENTIALS")
        principal = None
        if ctx.get("kind"):
            principal = Principal(
                kind=PrincipalKind(str(ctx["kind"])),
                tenant_id=str(ctx.get("tenant_id", "")),
                id=str(ctx.get("principal_id", "")),
                name=str(ctx.get("name", "")),
                scope=Scope(str(ctx["scope"])) if ctx.get("scope") else None,
                role=Role.parse(ctx["role"]) if ctx.get("role") else None,
                rate_limit=int(ctx.get("rate_limit", 0) or 0),
                email=str(ctx.get("email", "")),
                attributes=json.loads(str(ctx.get("attributes") or "{}")),
            )
        rate = None
        if "rate_remaining" in ctx:
            rate = RateStatus(
                limit=int(ctx["rate_limit"]),
                remaining=int(ctx["rate_remaining"]),
                reset_at=int(ctx["rate_reset"]),
                retry_after=int(ctx.get("rate_retry_after", 0)),
                exceeded=_bool(ctx.get("rate_exceeded")),
            )
        return cls(principal=principal, failure=str(ctx.get("failure", "")), rate=rate)


def _bool(raw: object) -> bool:
    return raw is True or str(raw).lower() == "true"
