"""A record pulled from a vendor, as Ponte keeps it (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class PulledRecord:
    vendor_id: str
    updated_at: str  # the vendor's, normalised ISO-8601 (UTC, milliseconds)
    data: dict[str, Any]
    hash: str
    synced_at: str = ""
    deleted_at: str | None = None  # when the vendor reported it deleted (normalised)


@dataclass(frozen=True, slots=True)
class Version:
    """What decides created / updated / unchanged for a record seen again."""

    hash: str
    run: str
    page: int
    action: str  # "created", "updated" or "deleted": what that run and page did
    deleted: bool = False  # stored as deleted at the vendor
