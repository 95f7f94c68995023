"""Lazily created, cached boto3 clients (never at import: boto3 costs ~400 ms to import).

``AWS_ENDPOINT_URL`` (honoured by botocore itself) points every client at the local stack.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ponte.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_lock = threading.Lock()
_clients: dict[tuple[str, str], Any] = {}


def client(service: str, *, profile: str = "default") -> Any:
    """A cached boto3 client. ``profile`` names a botocore config variant (see _CONFIGS)."""
    key = (service, profile)
    cached = _clients.get(key)
    if cached is not None:
        return cached
    with _lock:
        if key not in _clients:
            import boto3
            from botocore.config import Config

            options = _CONFIGS[profile]
            _clients[key] = boto3.session.Session().client(
                service,  # type: ignore[call-overload]
                region_name=get_settings().region,
                config=Config(**options),
            )
        return _clients[key]


_CONFIGS: dict[str, dict[str, Any]] = {
    "default": {"retries": {"mode": "standard", "max_attempts": 5}, "connect_timeout": 5},
    # Health checks must answer quickly when a dependency is gone, not retry for a minute.
    "probe": {
        "retries": {"mode": "standard", "max_attempts": 1},
        "connect_timeout": 2,
        "read_timeout": 3,
    },
    # Presigned S3 URLs: SigV4 (SigV2 would sign the Content-Type a client must then repeat).
    "presign": {"signature_version": "s3v4"},
}


def dynamodb(profile: str = "default") -> DynamoDBClient:
    result: DynamoDBClient = client("dynamodb", profile=profile)
    return result


def reset_clients() -> None:
    """Forget cached clients (tests that change endpoints or credentials)."""
    with _lock:
        _clients.clear()
