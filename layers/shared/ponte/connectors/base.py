"""What the run engine needs from a connector: streams that turn a typed cursor into a page.

A stream's cursor (where a run is in it) and its resume point (where the next incremental
run starts) are pydantic models of the stream's own; the engine stores them as JSON on the
run and the connection and hands them back typed (:func:`load`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from ponte.domain.connectors import Platform


class Cursor(BaseModel):
    """A stream's position or resume point. Stored as JSON; fields a later version no longer
    has are ignored, so a run or connection saved before an upgrade still loads."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    def stored(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def load[C: Cursor](model: type[C], raw: Mapping[str, Any] | None) -> C | None:
    """A stored cursor as its stream's model (None when there is none)."""
    return model.model_validate(raw) if raw else None


class StreamStuck(Exception):
    """A stream cannot make progress (for example, more records share one timestamp than a
    vendor search can page through)."""


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    updated_at: str  # normalised: ISO-8601 UTC with milliseconds
    data: dict[str, Any]
    deleted_at: str | None = None  # normalised: the vendor reports the record deleted

    @property
    def hash(self) -> str:
        canonical = json.dumps(self.data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Page[C: Cursor]:
    items: list[Item]
    cursor: C  # where the next page starts
    done: bool
    problems: list[tuple[str, str]] = field(default_factory=list)  # (record ref, message)


class Stream[C: Cursor, R: Cursor](Protocol):
    """``C``: the stream's cursor; ``R``: its resume point."""

    name: str
    cursor_type: type[C]
    resume_type: type[R]

    def start(self, saved: R | None, full: bool) -> C:
        """Where a run starts: the saved resume point (incremental) or the beginning."""
        ...

    def page(self, cursor: C) -> Page[C]: ...

    def resume_point(self, cursor: C, saved: R | None) -> R | None:
        """Where the next incremental run starts, once this run's stream is done."""
        ...


class NoResume(Cursor):
    """The resume point of a stream that every run reads whole (or by its own window)."""


class Coalesced[C: Cursor, R: Cursor]:
    """A stream whose vendor pages are small (Chatwoot: 15 contacts, 25 conversations, one
    conversation's messages), read until at least ``size`` records or the stream's end make
    one stored page: storing a page costs the same few table requests whatever its size. At
    most ``max_reads`` vendor pages go into one, so a stored page never takes long enough to
    outlast the worker's lease or its time budget at a slow pace."""

    def __init__(self, inner: Stream[C, R], size: int = 100, max_reads: int = 40) -> None:
        self.inner = inner
        self.name = inner.name
        self.cursor_type = inner.cursor_type
        self.resume_type = inner.resume_type
        self.size = size
        self.max_reads = max_reads

    def start(self, saved: R | None, full: bool) -> C:
        return self.inner.start(saved, full)

    def page(self, cursor: C) -> Page[C]:
        items: list[Item] = []
        problems: list[tuple[str, str]] = []
        for _ in range(self.max_reads):
            page = self.inner.page(cursor)
            items.extend(page.items)
            problems.extend(page.problems)
            cursor = page.cursor
            if page.done or len(items) >= self.size:
                break
        return Page(items, cursor, page.done, problems)

    def resume_point(self, cursor: C, saved: R | None) -> R | None:
        return self.inner.resume_point(cursor, saved)


@dataclass
class Connector:
    platform: Platform
    streams: Sequence[Stream[Any, Any]]
    check: Callable[[], None]  # one cheap authenticated call: raises VendorAuthError
    close: Callable[[], None] = lambda: None
    # Credentials that die unused (an OAuth2 refresh token): refresh them if they were issued
    # before the given epoch second; True when this call did. None for credentials that last.
    renew: Callable[[float], bool] | None = None


def _has_id(vendor_id: Any) -> bool:
    return vendor_id is not None


def items_of(
    raws: Iterable[dict[str, Any]],
    when: Callable[[dict[str, Any]], str],
    problem: str,
    *,
    accept: Callable[[Any], bool] = _has_id,
    prefix: str = "",
) -> tuple[list[Item], list[tuple[str, str]]]:
    """The items of a vendor page: each record with an id ``accept`` takes and a time
    (``when``: normalised, '' for none; it may raise on a value it cannot read). The others
    become problems, named by id or position (after ``prefix``): one bad record never fails
    its page."""
    items: list[Item] = []
    problems: list[tuple[str, str]] = []
    for position, raw in enumerate(raws):
        vendor_id = raw.get("id")
        try:
            moment = when(raw)
        except (TypeError, ValueError, OverflowError):
            moment = ""
        if not accept(vendor_id) or not moment:
            ref = str(vendor_id) if vendor_id not in (None, "") else f"#{position}"
            problems.append((prefix + ref, problem))
            continue
        items.append(Item(str(vendor_id), moment, raw))
    return items, problems


def normalised_time(raw: Any) -> str:
    """A vendor timestamp (ISO-8601, or epoch milliseconds) as ``YYYY-MM-DDTHH:MM:SS.mmmZ``,
    so stored times sort as text; '' when there is none."""
    if raw is None or raw == "":
        return ""
    if isinstance(raw, int | float) or (isinstance(raw, str) and raw.isascii() and raw.isdigit()):
        moment = datetime.fromtimestamp(int(raw) / 1000, UTC)
    else:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def from_unix_seconds(raw: Any) -> str:
    """Unix seconds (Chatwoot's timestamps) as a normalised time; '' for none or 0."""
    if raw is None or raw in {"", 0}:
        return ""
    return normalised_time(int(float(raw) * 1000))


def millis(iso: str) -> int:
    """Epoch milliseconds of a normalised time."""
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
