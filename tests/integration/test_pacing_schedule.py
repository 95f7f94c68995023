"""The pacing schedule in the table under contention: every process gets its slots, none
overlap, and contention past the rounds allowed is Contention (never a RuntimeError)."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from devstack.stack import LocalStack
from ponte.repository import pacing
from ponte.vendors.pacing import Contention

INTERVAL, COUNT = 0.1, 10


def _reserve_together(key: str, n: int) -> list[float | Exception]:
    barrier = threading.Barrier(n)
    now = time.time()

    def reserve(_: int) -> float | Exception:
        schedule = pacing.DynamoSchedule()  # one per process: none has seen the others
        barrier.wait()
        try:
            return schedule.reserve(key, COUNT, INTERVAL, now)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(reserve, range(n)))


def test_sixteen_processes_reserving_at_once_all_get_their_slots(stack: LocalStack) -> None:
    got = _reserve_together(f"test:{uuid.uuid4().hex}", 16)

    starts = sorted(s for s in got if isinstance(s, float))
    assert len(starts) == 16, [g for g in got if not isinstance(g, float)]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= COUNT * INTERVAL - 1e-6  # no two reservations share a slot


def test_contention_past_the_rounds_allowed_is_contention(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pacing, "_ATTEMPTS", 1)
    got = _reserve_together(f"test:{uuid.uuid4().hex}", 8)

    refused = [g for g in got if not isinstance(g, float)]
    assert refused
    assert all(isinstance(g, Contention) and g.retry_after == 1 for g in refused), refused
