"""One typed settings object, read from the environment once per cold start.

Logic never reads ``os.environ``; it asks :func:`get_settings`. Each field names its variable
beside its default (the one place a default lives); a required variable that is missing or
blank fails the cold start with :class:`MissingSetting` rather than the first request.
Standard library only, so the import stays cheap for cold starts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from functools import lru_cache
from typing import Any

API_CLIENT_DEFAULT_RATE_LIMIT = 60
USER_RATE_LIMIT_PER_HOUR = 1000


class MissingSetting(RuntimeError):
    """A required environment variable is absent or blank."""


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _env(name: str, default: Any = MISSING, parse: Callable[[str], Any] = str) -> Any:
    """A field read from variable ``name`` (blank counts as unset)."""
    return field(default=default, metadata={"env": name, "parse": parse})


def _read[T](cls: type[T], env: Mapping[str, str], **given: Any) -> T:
    values: dict[str, Any] = {}
    for spec in fields(cls):  # type: ignore[arg-type]
        name = spec.metadata.get("env")
        if name is None:
            continue
        raw = env.get(name, "").strip()
        if raw:
            values[spec.name] = spec.metadata["parse"](raw)
        elif spec.default is MISSING and spec.default_factory is MISSING:
            raise MissingSetting(f"environment variable {name} is required")
    return cls(**(values | given))


@dataclass(frozen=True, slots=True)
class JwtSettings:
    """How user tokens are verified (issuer, audience and algorithms; claim names)."""

    issuer: str = _env("JWT_ISSUER", "", parse=lambda raw: raw.rstrip("/"))
    audience: tuple[str, ...] = _env("JWT_AUDIENCE", (), parse=_csv)
    jwks_url: str = _env("JWKS_URL", "")  # default: the issuer's well-known JWKS
    algorithms: tuple[str, ...] = _env("JWT_ALGORITHMS", ("RS256", "ES256"), parse=_csv)
    tenant_claim: str = _env("JWT_TENANT_CLAIM", "custom:tenant_id")
    role_claim: str = _env("JWT_ROLE_CLAIM", "custom:role")
    jwks_cache_seconds: int = _env("JWKS_CACHE_SECONDS", 600, parse=int)
    leeway_seconds: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> JwtSettings:
        settings = _read(cls, env)
        if settings.issuer and not settings.jwks_url:
            return _read(cls, env, jwks_url=f"{settings.issuer}/.well-known/jwks.json")
        return settings


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str = _env("TABLE_NAME")
    region: str = _env("AWS_REGION", "")  # else AWS_DEFAULT_REGION, else us-east-1
    stage: str = _env("STAGE", "dev")
    service: str = _env("POWERTOOLS_SERVICE_NAME", "ponte")
    api_client_rate_limit: int = _env(
        "API_CLIENT_DEFAULT_RATE_LIMIT", API_CLIENT_DEFAULT_RATE_LIMIT, parse=int
    )
    user_rate_limit_per_hour: int = _env(
        "USER_RATE_LIMIT_PER_HOUR", USER_RATE_LIMIT_PER_HOUR, parse=int
    )
    jwt: JwtSettings = field(default_factory=JwtSettings)
    bundle_bucket: str = _env("BUNDLE_BUCKET", "")
    # Pulled records too large for a table item (gzip JSON; the item keeps the pointer).
    record_bucket: str = _env("RECORD_BUCKET", "")
    # The Secrets Manager secret whose value seals page cursors (repository/cursors.py).
    cursor_key_secret: str = _env("CURSOR_KEY_SECRET", "")
    # A customer-managed KMS key for the secrets Ponte creates; empty: the AWS-managed key.
    secrets_kms_key_id: str = _env("SECRETS_KMS_KEY_ID", "")
    full_sync_state_machine: str = _env("FULL_SYNC_STATE_MACHINE_ARN", "")
    full_sync_map_concurrency: int = _env("FULL_SYNC_MAP_CONCURRENCY", 4, parse=int)
    # The largest bundle a full sync reads, once decompressed (MB): a gzip of a few hundred
    # KB may inflate to gigabytes, more than the function's memory holds.
    full_sync_max_bundle_mb: int = _env("FULL_SYNC_MAX_BUNDLE_MB", 100, parse=int)
    # Kommo: where an account's API lives, and the role-sync workflow.
    kommo_base_url: str = _env("KOMMO_BASE_URL", "https://{subdomain}.kommo.com")
    role_sync_state_machine: str = _env("ROLE_SYNC_STATE_MACHINE_ARN", "")
    role_sync_map_concurrency: int = _env("ROLE_SYNC_MAP_CONCURRENCY", 2, parse=int)
    # SaaS connectors: the run queue, vendor base URLs and limits, the worker's lease.
    pull_queue_url: str = _env("PULL_QUEUE_URL", "")
    # Where the run queue's messages go after PULL_MAX_RECEIVES failed receives (the queue's
    # redrive policy), and where a schedule's fire goes when it cannot reach the run queue.
    dead_letter_queue_url: str = _env("DEAD_LETTER_QUEUE_URL", "")
    dead_letter_queue_arn: str = _env("DEAD_LETTER_QUEUE_ARN", "")
    pull_max_receives: int = _env("PULL_MAX_RECEIVES", 5, parse=int)
    hubspot_base_url: str = _env("HUBSPOT_BASE_URL", "https://api.hubapi.com")
    hubspot_requests_per_10s: int = _env("HUBSPOT_REQUESTS_PER_10S", 100, parse=int)
    # HubSpot's search index lags writes: an increment starts this long before its mark.
    hubspot_lookback_seconds: int = _env("HUBSPOT_LOOKBACK_SECONDS", 300, parse=int)
    zendesk_base_url: str = _env("ZENDESK_BASE_URL", "https://{subdomain}.zendesk.com/api/v2")
    zendesk_exports_per_minute: int = _env("ZENDESK_EXPORTS_PER_MINUTE", 10, parse=int)
    chatwoot_base_url: str = _env("CHATWOOT_BASE_URL", "https://app.chatwoot.com")
    chatwoot_requests_per_minute: int = _env("CHATWOOT_REQUESTS_PER_MINUTE", 600, parse=int)
    rdstation_base_url: str = _env("RDSTATION_BASE_URL", "https://api.rd.services")
    rdstation_requests_per_minute: int = _env("RDSTATION_REQUESTS_PER_MINUTE", 120, parse=int)
    movidesk_base_url: str = _env("MOVIDESK_BASE_URL", "https://api.movidesk.com/public/v1")
    movidesk_requests_per_minute: int = _env("MOVIDESK_REQUESTS_PER_MINUTE", 10, parse=int)
    # Hosts a user-supplied vendor URL may name although they are private (http allowed):
    # the local stack's fakes on loopback. Empty when deployed.
    vendor_private_hosts: tuple[str, ...] = _env("VENDOR_PRIVATE_HOSTS", (), parse=_csv)
    # Connection schedules: EventBridge Scheduler puts a message on the run queue.
    schedule_group: str = _env("SCHEDULE_GROUP", "default")
    scheduler_role_arn: str = _env("SCHEDULER_ROLE_ARN", "")
    pull_queue_arn: str = _env("PULL_QUEUE_ARN", "")
    # A worker renews its lease every half lease; a run silent for longer than "stale" (a
    # page's retries included: 5 attempts of at most 60 s) is taken over by the next start.
    pull_lease_seconds: int = _env("PULL_LEASE_SECONDS", 300, parse=int)
    pull_stale_seconds: int = _env("PULL_STALE_SECONDS", 600, parse=int)
    pull_time_margin_seconds: int = _env("PULL_TIME_MARGIN_SECONDS", 30, parse=int)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        return _read(cls, env, region=region.strip(), jwt=JwtSettings.from_env(env))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings.from_env(os.environ)
