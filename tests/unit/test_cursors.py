"""Page cursors: opaque, and they open only for the tenant and listing they were issued for."""

from __future__ import annotations

import base64

import pytest

from ponte.repository.cursors import InvalidCursor, Sealer

START = {"PK": {"S": "T#acme#UNIT#U01"}, "SK": {"S": "A"}, "GSI1PK": {"S": "T#acme#units"}}


def test_a_sealed_start_key_opens_back_for_its_tenant_and_listing() -> None:
    sealer = Sealer(b"k" * 64)
    cursor = sealer.seal(START, tenant_id="acme", listing="units")

    assert sealer.open(cursor, tenant_id="acme", listing="units") == START
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert all(part not in raw for part in (b"T#acme", b"PK", b"U01"))
    # Two cursors of one key differ (a fresh nonce each), so none can be compared or guessed.
    assert sealer.seal(START, tenant_id="acme", listing="units") != cursor


@pytest.mark.parametrize(
    ("tenant", "listing", "key"),
    [
        ("other", "units", b"k" * 64),  # replayed by another tenant
        ("acme", "areas", b"k" * 64),  # on another listing
        ("acme", "units", b"x" * 64),  # after the key changed
    ],
)
def test_a_cursor_does_not_open_elsewhere(tenant: str, listing: str, key: bytes) -> None:
    cursor = Sealer(b"k" * 64).seal(START, tenant_id="acme", listing="units")
    with pytest.raises(InvalidCursor):
        Sealer(key).open(cursor, tenant_id=tenant, listing=listing)


def test_every_altered_byte_is_refused() -> None:
    sealer = Sealer(b"k" * 64)
    raw = bytearray(base64.urlsafe_b64decode(sealer.seal(START, tenant_id="a", listing="l") + "=="))
    for i in range(len(raw)):
        altered = bytearray(raw)
        altered[i] ^= 0x01
        cursor = base64.urlsafe_b64encode(bytes(altered)).decode()
        with pytest.raises(InvalidCursor):
            sealer.open(cursor, tenant_id="a", listing="l")


@pytest.mark.parametrize("cursor", ["", "x", "eyJQSyI6IngifQ==", "é", "AQ" + "A" * 40, "%%"])
def test_garbage_is_an_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        Sealer(b"k").open(cursor, tenant_id="a", listing="l")
