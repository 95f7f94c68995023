"""One typed settings object, read from the environment once per cold start.

Logic never reads ``os.environ``; it asks :func:`get_settings`. Standard library only, so the
import stays cheap for cold starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

API_CLIENT_DEFAULT_RATE_LIMIT = 60
USER_RATE_LIMIT_PER_HOUR = 1000


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    return int(raw) if raw else default


def _list(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class JwtSettings:
    """How user tokens are verified (architecture section 5)."""

    issuer: str = ""
    audience: tuple[str, ...] = ()
    jwks_url: str = ""
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    tenant_claim: str = "custom:tenant_id"
    role_claim: str = "custom:role"
    jwks_cache_seconds: int = 600
    leeway_seconds: int = 30


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str
    region: str
    stage: str = "dev"
    service: str = "ponte"
    api_client_rate_limit: int = API_CLIENT_DEFAULT_RATE_LIMIT
    user_rate_limit_per_hour: int = USER_RATE_LIMIT_PER_HOUR
    jwt: JwtSettings = field(default_factory=JwtSettings)
    bundle_bucket: str = ""
    full_sync_state_machine: str = ""
    full_sync_map_concurrency: int = 4
    # Kommo (seed 001): where an account's API lives, and the role-sync workflow.
    kommo_base_url: str = "https://{subdomain}.kommo.com"
    role_sync_state_machine: str = ""
    role_sync_map_concurrency: int = 2

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        issuer = env.get("JWT_ISSUER", "").strip().rstrip("/")
        jwks_url = env.get("JWKS_URL", "").strip() or (
            f"{issuer}/.well-known/jwks.json" if issuer else ""
        )
        return cls(
            table_name=env.get("TABLE_NAME", "").strip(),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            stage=env.get("STAGE", "dev"),
            service=env.get("POWERTOOLS_SERVICE_NAME", "ponte"),
            api_client_rate_limit=_int(
                env, "API_CLIENT_DEFAULT_RATE_LIMIT", API_CLIENT_DEFAULT_RATE_LIMIT
            ),
            user_rate_limit_per_hour=_int(
                env, "USER_RATE_LIMIT_PER_HOUR", USER_RATE_LIMIT_PER_HOUR
            ),
            bundle_bucket=env.get("BUNDLE_BUCKET", ""),
            full_sync_state_machine=env.get("FULL_SYNC_STATE_MACHINE_ARN", ""),
            full_sync_map_concurrency=_int(env, "FULL_SYNC_MAP_CONCURRENCY", 4),
            kommo_base_url=env.get("KOMMO_BASE_URL", "").strip() or "https://{subdomain}.kommo.com",
            role_sync_state_machine=env.get("ROLE_SYNC_STATE_MACHINE_ARN", ""),
            role_sync_map_concurrency=_int(env, "ROLE_SYNC_MAP_CONCURRENCY", 2),
            jwt=JwtSettings(
                issuer=issuer,
                audience=_list(env, "JWT_AUDIENCE", ()),
                jwks_url=jwks_url,
                algorithms=_list(env, "JWT_ALGORITHMS", ("RS256", "ES256")),
                tenant_claim=env.get("JWT_TENANT_CLAIM", "") or "custom:tenant_id",
                role_claim=env.get("JWT_ROLE_CLAIM", "") or "custom:role",
                jwks_cache_seconds=_int(env, "JWKS_CACHE_SECONDS", 600),
            ),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings.from_env(os.environ)
