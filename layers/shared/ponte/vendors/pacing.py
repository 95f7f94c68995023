"""Pacing: keep to a vendor's request limit before the vendor has to say so.

- :class:`Window` (Kommo): at most ``limit`` requests in any ``window`` seconds; its state (the
  last request times) travels to the next invocation with the workflow's events.
- :class:`Spaced` (the connectors): requests evenly spaced at the vendor's rate, never a burst.
  Slots come from a :class:`Schedule` shared by every process that paces the same vendor
  account (``repository.pacing`` keeps it in DynamoDB), reserved about a second's worth at a
  time, so the limit holds across invocations and concurrent runs at the cost of one write per
  reservation.

Time comes from a :class:`ponte.clock.Clock`: waits run in virtual time in tests.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ponte.clock import Clock

MARGIN = 1.02  # a request arrives some milliseconds after it leaves: keep a little below


@dataclass(frozen=True, slots=True)
class Limit:
    """``requests`` per ``seconds``, as the vendor states it."""

    requests: int
    seconds: float

    @property
    def interval(self) -> float:
        return self.seconds / self.requests * MARGIN


class Pacer(Protocol):
    def wait(self, clock: Clock) -> None:
        """Return when the next request may leave (sleeping on ``clock`` until then)."""
        ...


class Window:
    """At most ``limit`` requests in any ``window`` seconds. The window is a little longer than
    the vendor's, so the request after the limit never lands inside the first one's window."""

    def __init__(self, sent: Iterable[float] = (), *, limit: int, window: float) -> None:
        self._limit = limit
        self._window = window
        self._sent: deque[float] = deque(sorted(sent)[-limit:], maxlen=limit)

    def wait(self, clock: Clock) -> None:
        now = clock.now().timestamp()
        if len(self._sent) == self._limit:
            ready = self._sent[0] + self._window
            if ready > now:
                clock.sleep(ready - now)
                now = clock.now().timestamp()
        self._sent.append(now)

    def state(self) -> list[float]:
        """The last request times, to hand to the next invocation."""
        return list(self._sent)


class Contention(Exception):
    """Too many processes reserved slots of one vendor account at once: none could be had in
    the time allowed. Nothing was sent; the caller may try again after ``retry_after``
    seconds (a 429 with Retry-After for a person, a continuation for a run)."""

    def __init__(self, key: str, retry_after: int = 1) -> None:
        super().__init__(f"pacing schedule {key}: too many concurrent reservations")
        self.retry_after = retry_after


class Schedule(Protocol):
    def reserve(self, key: str, count: int, interval: float, now: float) -> float:
        """Reserve ``count`` slots ``interval`` apart for ``key``; return the first slot's
        time (``now`` or later: after every slot reserved before). Raises Contention when
        concurrent reservations keep it from getting one."""
        ...


class LocalSchedule:
    """A schedule kept in this process (tests, and clients that need no sharing)."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, count: int, interval: float, now: float) -> float:
        with self._lock:
            start = max(now, self._next.get(key, 0.0))
            self._next[key] = start + count * interval
            return start


class Spaced:
    """One vendor limit for one vendor account, evenly spaced, slots from a shared schedule."""

    def __init__(self, key: str, limit: Limit, schedule: Schedule) -> None:
        self.key = key
        self.interval = limit.interval
        self._schedule = schedule
        self._batch = max(1, min(20, round(1.0 / self.interval)))  # about a second of slots
        self._slots: deque[float] = deque()
        self._reserved_until = 0.0
        self._shared = False  # another process is pacing the same account

    def wait(self, clock: Clock) -> None:
        now = clock.now().timestamp()
        if self._slots and self._slots[0] < now - self.interval:
            self._slots.clear()  # slots left in the past: no one can use them, take new ones
        if not self._slots:
            # Alone, a second of slots per reservation; shared, one: slots another process
            # cannot use in time are slots lost to both.
            count = 1 if self._shared else self._batch
            start = self._schedule.reserve(self.key, count, self.interval, now)
            self._shared = start > max(now, self._reserved_until) + self.interval / 2
            self._reserved_until = start + count * self.interval
            self._slots.extend(start + i * self.interval for i in range(count))
        slot = self._slots.popleft()
        if slot > now:
            clock.sleep(slot - now)
