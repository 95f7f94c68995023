"""Page cursors: the next page's DynamoDB start key, sealed for one tenant and one listing.

A cursor is the key encrypted with AES-GCM under the stack's cursor key (a Secrets Manager
secret generated at deploy), with the tenant and the listing as associated data. A client
cannot read key formats from it, and a cursor that was altered, forged, or replayed against
another tenant or another listing (other filters) does not open: :class:`InvalidCursor`,
which each API answers as a 400. Replacing the secret's value retires every open cursor.
The key is handed in by the services (``services/paging.py`` reads it), so this module needs
no AWS call of its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

_NONCE_BYTES = 12
_VERSION = b"\x01"  # a cursor's first byte: the format, so a future one can be told apart


class InvalidCursor(ValueError):
    """A cursor this stack did not issue for this tenant and listing."""


class Sealer:
    """Seals and opens start keys with one 256-bit key (pure: no AWS)."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # only where cursors are

        self._aead = AESGCM(hashlib.sha256(key).digest())

    def seal(self, start: Mapping[str, Any], *, tenant_id: str, listing: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        plain = json.dumps(start, separators=(",", ":"), sort_keys=True).encode()
        sealed = self._aead.encrypt(nonce, plain, _scope(tenant_id, listing))
        return base64.urlsafe_b64encode(_VERSION + nonce + sealed).rstrip(b"=").decode()

    def open(self, cursor: str, *, tenant_id: str, listing: str) -> dict[str, Any]:
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise InvalidCursor(cursor) from None
        if len(raw) <= 1 + _NONCE_BYTES or raw[:1] != _VERSION:
            raise InvalidCursor(cursor)
        nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
        try:
            start = json.loads(self._aead.decrypt(nonce, sealed, _scope(tenant_id, listing)))
        except (InvalidTag, ValueError):
            raise InvalidCursor(cursor) from None
        if not isinstance(start, dict):
            raise InvalidCursor(cursor)
        return start


def _scope(tenant_id: str, listing: str) -> bytes:
    # The unit separator cannot occur in a tenant id; the listing is the last part.
    return f"{tenant_id}\x1f{listing}".encode()


def seal(sealer: Sealer, start: Mapping[str, Any] | None, *, tenant_id: str, listing: str) -> str:
    """The cursor of the page that starts at ``start`` ('' when there is no next page)."""
    return sealer.seal(start, tenant_id=tenant_id, listing=listing) if start else ""


def open_start(
    sealer: Sealer, cursor: str, *, tenant_id: str, listing: str
) -> dict[str, Any] | None:
    """The start key in ``cursor`` (None for '', the first page); raises InvalidCursor."""
    return sealer.open(cursor, tenant_id=tenant_id, listing=listing) if cursor else None
