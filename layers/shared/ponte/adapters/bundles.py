"""Full-sync bundles in S3: uploads (presigned), the bundle, its chunks and its codes."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from typing import Any

from ponte import aws
from ponte.repository.errors import is_not_found
from ponte.settings import get_settings

UPLOAD_TTL_SECONDS = 3600


class BundleMissing(Exception):
    pass


class BundleUnreadable(Exception):
    """The stored bundle is empty, not gzip though it says so, or not JSON: the message says
    which, in the API's language, for the run's error."""


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
    """A SigV4 URL that signs only the host: a PUT with any Content-Type (curl's default
    included) or Content-Encoding is accepted; the bundle is read by its bytes."""
    url: str = aws.client("s3", profile="presign").generate_presigned_url(
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
    """The JSON document at ``key``; gzip is recognised by its magic bytes and inflated as
    it streams from S3, never past the ``FULL_SYNC_MAX_BUNDLE_MB`` limit (a gzip bomb fails
    with BundleUnreadable saying so, having held at most the limit in memory)."""
    limit_mb = get_settings().full_sync_max_bundle_mb
    limit = limit_mb * 1024 * 1024
    try:
        stream = _s3().get_object(Bucket=_bucket(), Key=key)["Body"]
    except Exception as exc:
        if is_not_found(exc):
            raise BundleMissing(key) from exc
        raise
    try:
        head = stream.read(2)
        if head == b"\x1f\x8b":
            body = _inflate(head, stream, limit, limit_mb)
        else:
            body = head + stream.read(limit + 1 - len(head))
            if len(body) > limit:
                raise BundleUnreadable(f"O pacote passa do limite de {limit_mb} MB")
    finally:
        stream.close()
    if not body.strip():
        raise BundleUnreadable("O pacote enviado está vazio")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        where = (
            f" (linha {exc.lineno}, coluna {exc.colno})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise BundleUnreadable(f"O pacote não é um JSON válido{where}") from exc


_READ = 1 << 20


class _Prefixed(io.RawIOBase):
    """A stream that gives ``head`` (already read) before the rest of ``stream``."""

    def __init__(self, head: bytes, stream: Any) -> None:
        self._head, self._stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._head[: len(buffer)] if self._head else self._stream.read(len(buffer))
        self._head = self._head[len(data) :] if self._head else b""
        buffer[: len(data)] = data
        return len(data)


def _inflate(head: bytes, stream: Any, limit: int, limit_mb: int) -> bytes:
    """The gzip at ``head`` + ``stream``, inflated a megabyte at a time up to ``limit``."""
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BufferedReader(_Prefixed(head, stream)), mode="rb") as raw:
            while chunk := raw.read(min(_READ, limit + 1 - len(out))):
                out += chunk
                if len(out) > limit:
                    raise BundleUnreadable(
                        f"O pacote descompactado passa do limite de {limit_mb} MB "
                        "(FullSyncMaxBundleMB): divida-o em sincronizações menores"
                    )
    except (OSError, EOFError, zlib.error) as exc:
        raise BundleUnreadable("O pacote gzip está corrompido ou incompleto") from exc
    return bytes(out)


def chunk_key(tenant_id: str, run_id: str, entity: str, chunk: int) -> str:
    return f"{_run_prefix(tenant_id, run_id)}/chunks/{entity}/{chunk:06d}.json"


def codes_key(tenant_id: str, run_id: str, entity: str) -> str:
    return f"{_run_prefix(tenant_id, run_id)}/codes/{entity}.json"
