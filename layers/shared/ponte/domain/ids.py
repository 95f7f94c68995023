"""Ids that sort by creation time: UUIDv7 (RFC 9562), so listings page newest-first by key.
Every id Ponte makes (runs of every kind, connections) is one of these."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime


def new_id(now: datetime) -> str:
    millis = int(now.timestamp() * 1000) & ((1 << 48) - 1)
    rand_a, rand_b = secrets.randbits(12), secrets.randbits(62)
    value = (millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))
