"""Injectable time, so rate windows, waits and back-off run in virtual time in tests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


_current: Clock = SystemClock()


def get_clock() -> Clock:
    return _current


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Install ``clock`` for the duration of the block (tests, benchmarks)."""
    global _current  # noqa: PLW0603 - the one injection point for time
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous


def utcnow() -> datetime:
    return _current.now()


def isoformat(moment: datetime) -> str:
    """UTC timestamp as the APIs document it: ``2025-12-31T10:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
