"""Pulled records too large for a table item, in the records bucket: gzip JSON, one object
per record version (its key ends with the record's hash), read back whole or handed out as a
short-lived presigned link."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import quote

from ponte import aws
from ponte.domain.records import unpack
from ponte.settings import get_settings

LINK_SECONDS: Final = 900  # how long a presigned link to a record lasts
_DELETE_BATCH: Final = 1000  # DeleteObjects takes at most 1000 keys


def _s3() -> Any:
    return aws.client("s3")


def _bucket() -> str:
    return get_settings().record_bucket


def connection_prefix(tenant_id: str, connection_id: str) -> str:
    return f"records/{tenant_id}/{connection_id}/"


def key(tenant_id: str, connection_id: str, stream: str, vendor_id: str, digest: str) -> str:
    """One version of one record: a changed record is a new object, so an item never points
    at content other than what its hash says."""
    prefix = connection_prefix(tenant_id, connection_id)
    return f"{prefix}{quote(stream, safe='')}/{quote(vendor_id, safe='')}/{digest}.json.gz"


def put(object_key: str, packed: bytes) -> None:
    """Store a record's gzip JSON, served as JSON with ``Content-Encoding: gzip`` (HTTP clients
    decode it; ``curl --compressed``)."""
    _s3().put_object(
        Bucket=_bucket(),
        Key=object_key,
        Body=packed,
        ContentType="application/json",
        ContentEncoding="gzip",
    )


def read(object_key: str) -> dict[str, Any]:
    body: bytes = _s3().get_object(Bucket=_bucket(), Key=object_key)["Body"].read()
    return unpack(body)


def link(object_key: str) -> str:
    """A presigned GET of the record's object, valid for LINK_SECONDS."""
    url: str = aws.client("s3", profile="presign").generate_presigned_url(
        "get_object", Params={"Bucket": _bucket(), "Key": object_key}, ExpiresIn=LINK_SECONDS
    )
    return url


def delete(keys: Iterable[str]) -> None:
    pending = sorted(set(keys))
    for start in range(0, len(pending), _DELETE_BATCH):
        batch = [{"Key": k} for k in pending[start : start + _DELETE_BATCH]]
        _s3().delete_objects(Bucket=_bucket(), Delete={"Objects": batch, "Quiet": True})


def delete_connection(tenant_id: str, connection_id: str) -> int:
    """Delete every stored record object of a connection (its purge); return how many."""
    pages = (
        _s3()
        .get_paginator("list_objects_v2")
        .paginate(Bucket=_bucket(), Prefix=connection_prefix(tenant_id, connection_id))
    )
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    delete(keys)
    return len(keys)
