"""Full-sync bundles in S3: uploads (presigned), the bundle, its chunks and its codes."""

from __future__ import annotations

import gzip
import json
from typing import Any

from ponte import aws
from ponte.repository.errors import is_not_found
from ponte.settings import get_settings

UPLOAD_TTL_SECONDS = 3600


class BundleMissing(Exception):
    pass


def _s3() -> Any:
    return aws.client("s3")


def _bucket() -> str:
    return get_settings().bundle_bucket


def upload_key(tenant_id: str, upload_id: str) -> str:
    return f"uploads/{tenant_id}/{upload_id}.json"


def bundle_key(tenant_id: str, run_id: str) -> str:
    return f"bundles/{tenant_id}/{run_id}.json"


def _run_prefix(tenant_id: str, run_id: str) -> str:
    return f"runs/{tenant_id}/{run_id}"


def presign_upload(tenant_id: str, upload_id: str) -> str:
    url: str = _s3().generate_presigned_url(
        "put_object",
        Params={"Bucket": _bucket(), "Key": upload_key(tenant_id, upload_id)},
        ExpiresIn=UPLOAD_TTL_SECONDS,
    )
    return url


def exists(key: str) -> bool:
    try:
        _s3().head_object(Bucket=_bucket(), Key=key)
    except Exception as exc:
        if is_not_found(exc):
            return False
        raise
    return True


def put_json(key: str, document: Any) -> None:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    _s3().put_object(Bucket=_bucket(), Key=key, Body=body, ContentType="application/json")


def read_json(key: str) -> Any:
    """The JSON document at ``key``; gzip is recognised by its magic bytes."""
    try:
        body: bytes = _s3().get_object(Bucket=_bucket(), Key=key)["Body"].read()
    except Exception as exc:
        if is_not_found(exc):
            raise BundleMissing(key) from exc
        raise
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return json.loads(body)


def chunk_key(tenant_id: str, run_id: str, entity: str, chunk: int) -> str:
    return f"{_run_prefix(tenant_id, run_id)}/chunks/{entity}/{chunk:06d}.json"


def codes_key(tenant_id: str, run_id: str, entity: str) -> str:
    return f"{_run_prefix(tenant_id, run_id)}/codes/{entity}.json"
