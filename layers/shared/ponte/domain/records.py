"""A record pulled from a vendor, as Ponte keeps it (pure, no I/O).

A record of any size is kept whole. DynamoDB refuses an item over 400 KB, so a record's JSON
goes in its item as it is while it is small, gzip-compressed when that fits, and otherwise in
the records bucket (gzip), its item keeping the object's key, the JSON's size and the
record's hash (:func:`encode`, :attr:`Encoded.placement`).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any, Final, Literal

from ponte.domain.people import NO_LINKS, RecordLinks

# What a record may take of its item (its JSON, or the JSON's gzip): under DynamoDB's 400 KB
# item limit with room for the keys and the record's other attributes.
ITEM_DATA_BYTES: Final = 350_000
# A record whose JSON is larger goes to the records bucket even when it compresses into its
# item: an answer may have to give it by a link, and a link needs an object. Escaped inside
# Lambda's JSON response a record's text at most doubles, so a record this size always fits
# one 6 MB answer alone.
INLINE_JSON_BYTES: Final = 2 * 1024 * 1024

Placement = Literal["item", "packed", "object"]


@dataclass(frozen=True, slots=True)
class StoredObject:
    """Where a record too large for its item is kept (gzip JSON in the records bucket)."""

    key: str
    size: int  # bytes of the record's JSON


@dataclass(frozen=True, slots=True)
class PulledRecord:
    vendor_id: str
    updated_at: str  # the vendor's, normalised ISO-8601 (UTC, milliseconds)
    data: dict[str, Any]
    hash: str
    synced_at: str = ""
    deleted_at: str | None = None  # when the vendor reported it deleted (normalised)
    # Set when the record's JSON is in an object: ``data`` is {} until it is loaded from there.
    stored: StoredObject | None = None
    links: RecordLinks = NO_LINKS  # who it is about, as stored


@dataclass(frozen=True, slots=True)
class Version:
    """What decides created / updated / unchanged for a record seen again."""

    hash: str
    run: str
    page: int
    action: str  # "created", "updated" or "deleted": what that run and page did
    deleted: bool = False  # stored as deleted at the vendor
    object_key: str = ""  # the object holding it, if it is too large for its item
    links: RecordLinks = NO_LINKS  # who it was about when it was stored


@dataclass(frozen=True, slots=True)
class Encoded:
    """A record's JSON, and its gzip when the JSON is too large for the item as it is."""

    text: bytes
    packed: bytes | None = None

    @property
    def placement(self) -> Placement:
        if self.packed is None:
            return "item"
        if len(self.text) <= INLINE_JSON_BYTES and len(self.packed) <= ITEM_DATA_BYTES:
            return "packed"
        return "object"


def encode(data: dict[str, Any]) -> Encoded:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    if len(text) <= ITEM_DATA_BYTES:
        return Encoded(text)
    return Encoded(text, gzip.compress(text, compresslevel=6, mtime=0))


def unpack(packed: bytes) -> dict[str, Any]:
    """A record's data from its gzip JSON (an item's ``data_gz`` or an object's body)."""
    data: dict[str, Any] = json.loads(gzip.decompress(packed))
    return data
