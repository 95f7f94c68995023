from datetime import UTC, datetime, timedelta

from ponte.auth.rate_limit import RateLimiter
from tests.support.virtual_time import VirtualClock


class Counters:
    """The repository's contract: count a hit in a window, return the window's total."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, int], int] = {}
        self.expiries: dict[tuple[str, int], int] = {}

    def __call__(self, key: str, window_start: int, expires_at: int) -> int:
        self.hits[(key, window_start)] = self.hits.get((key, window_start), 0) + 1
        self.expiries[(key, window_start)] = expires_at
        return self.hits[(key, window_start)]


def test_fixed_window_counts_and_resets() -> None:
    clock = VirtualClock(datetime(2026, 1, 1, 10, 0, 50, tzinfo=UTC))
    counters = Counters()
    limiter = RateLimiter(counters, clock)

    statuses = [limiter.check("c", 2, 60) for _ in range(3)]

    assert [s.remaining for s in statuses] == [1, 0, 0]
    assert [s.exceeded for s in statuses] == [False, False, True]
    assert statuses[2].retry_after == 10
    assert statuses[2].headers()["Retry-After"] == "10"
    assert "Retry-After" not in statuses[0].headers()
    reset = int((clock.now() + timedelta(seconds=10)).timestamp())
    assert statuses[0].reset_at == reset
    assert set(counters.expiries.values()) == {reset + 60}  # counters outlive their window

    clock.advance(10)
    assert limiter.check("c", 2, 60).remaining == 1


def test_windows_are_per_key_and_per_length() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(Counters(), clock)
    limiter.check("a", 1, 60)
    assert limiter.check("a", 1, 60).exceeded
    assert not limiter.check("b", 1, 60).exceeded
    assert limiter.check("user", 1000, 3600).retry_after <= 3600
