"""Virtual time: waits, back-off and rate windows advance a clock instead of sleeping."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock

from ponte.clock import use_clock


class VirtualClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self._now += timedelta(seconds=max(0.0, seconds))

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


@contextmanager
def virtual_time(start: datetime | None = None) -> Iterator[VirtualClock]:
    """Install a virtual clock for Ponte's code and for moto's Step Functions waits/retries."""
    clock = VirtualClock(start)
    with ExitStack() as stack:
        stack.enter_context(use_clock(clock))
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function import (
            wait_function,
        )

        stack.enter_context(
            mock.patch.object(
                wait_function.WaitFunction,
                "_wait_interval",
                lambda _self, env, wait_seconds: clock.sleep(wait_seconds),
            )
        )
        stack.enter_context(mock.patch.object(retrier_decl.time, "sleep", clock.sleep))
        yield clock
