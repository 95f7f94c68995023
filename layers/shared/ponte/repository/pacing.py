"""The pacing schedule of each vendor account, shared by every process that calls it.

One item per vendor account holds the time after which the next slot is free (``tat``, the
theoretical arrival time of a generic cell rate algorithm). A reservation moves it forward by
``count`` slots with one conditional update; the value this process last saw is tried first,
so a single run pays one write per reservation and concurrent runs retry on what they read.

Each round of contention has one winner, so N processes reserving at once need N rounds:
a loser waits a jittered moment and tries again, for up to ``_ATTEMPTS`` rounds (ten
concurrent connection creates with one token met the old limit of 8 and answered 500);
past them it raises ``pacing.Contention``, which callers answer with a 429 and Retry-After
or a continuation, never a 500.
"""

from __future__ import annotations

import random
import threading
from typing import Any

from ponte import aws
from ponte.clock import get_clock
from ponte.repository import keys
from ponte.repository.errors import ConditionFailed, conditional
from ponte.repository.table import serialize, table_name, values
from ponte.vendors.pacing import Contention

_ATTEMPTS = 40
_BACKOFF = 0.02  # seconds, doubled each round up to _MAX_BACKOFF, full jitter
_MAX_BACKOFF = 0.4
_HOUR = 3600


class DynamoSchedule:
    """``pacing.Schedule`` in the table (expires an hour after its last reservation)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, count: int, interval: float, now: float) -> float:
        with self._lock:
            known = self._seen.get(key)
        for attempt in range(_ATTEMPTS):
            if attempt:
                cap = min(_MAX_BACKOFF, _BACKOFF * 2 ** min(attempt, 8))
                pause = random.uniform(0, cap)  # noqa: S311 - jitter, not a secret
                get_clock().sleep(pause)
                now += pause  # the slots are for when this process gets them
            start = max(now, known) if known is not None else now
            end = start + count * interval
            condition, vals = _condition(known, now)
            try:
                with conditional(key):
                    aws.dynamodb().update_item(
                        TableName=table_name(),
                        Key=serialize(keys.pace(key)),
                        UpdateExpression="SET tat = :end, expires_at = :expires",
                        ConditionExpression=condition,
                        ExpressionAttributeValues=values(
                            vals | {":end": end, ":expires": int(end) + _HOUR}
                        ),
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    )
            except ConditionFailed as exc:
                old: dict[str, Any] = getattr(exc.__cause__, "response", {}).get("Item") or {}
                known = float(old["tat"]["N"]) if "tat" in old else None
                continue
            with self._lock:
                self._seen[key] = end
            return start
        raise Contention(key)


def _condition(known: float | None, now: float) -> tuple[str, dict[str, Any]]:
    """Take the schedule as last seen; unknown, take it if it is free by now."""
    if known is not None and known > now:
        return "tat = :known", {":known": known}
    return "attribute_not_exists(tat) OR tat <= :now", {":now": now}
