"""Fixed-window rate limiting per principal (per minute for API clients, per hour for users)."""

from __future__ import annotations

from collections.abc import Callable

from ponte.auth.principals import RateStatus
from ponte.clock import Clock, get_clock

Hit = Callable[[str, int, int], int]


class RateLimiter:
    def __init__(self, hit: Hit, clock: Clock | None = None) -> None:
        self._hit = hit
        self._clock = clock

    def check(self, key: str, limit: int, window_seconds: int) -> RateStatus:
        now = int((self._clock or get_clock()).now().timestamp())
        window_start = now - now % window_seconds
        reset_at = window_start + window_seconds
        hits = self._hit(key, window_start, reset_at + window_seconds)
        return RateStatus(
            limit=limit,
            remaining=max(0, limit - hits),
            reset_at=reset_at,
            retry_after=reset_at - now,
            exceeded=hits > limit,
        )
