"""Pages of stored records sized for one answer: a Lambda function answers at most 6 MB, so
a page ends before the record that would not fit (the next page starts with it), and a record
too large to fit even alone is answered by a short-lived link to its stored object.

The caller says how many bytes a record adds to its answer (``measure``: inline, or by its
link) and how many the answer may hold (``budget``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from ponte.adapters import record_objects
from ponte.clock import isoformat, utcnow
from ponte.domain.records import PulledRecord, StoredObject


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    expires_at: str


Measure = Callable[[PulledRecord, Link | None], int]


def link_to(stored: StoredObject) -> Link:
    """A short-lived link to a record kept in an object (its whole JSON)."""
    expires = isoformat(utcnow() + timedelta(seconds=record_objects.LINK_SECONDS))
    return Link(record_objects.link(stored.key), expires)


@dataclass(frozen=True, slots=True)
class Fit:
    budget: int  # bytes the records of one answer may take
    measure: Measure


class Loader:
    """Records whose JSON is in an object, loaded from it. The last one loaded is kept, so a
    record read to filter it is not read again to answer it (and no more than one record a
    page leaves out stays in memory)."""

    def __init__(self) -> None:
        self._last: PulledRecord | None = None

    def __call__(self, record: PulledRecord) -> PulledRecord:
        if record.stored is None:
            return record
        last = self._last
        if last is not None and last.stored == record.stored:
            return last
        self._last = replace(record, data=record_objects.read(record.stored.key))
        return self._last


class Fitter:
    """``admit`` for ``pulled_records.list_records``: records join the page inline while the
    answer has room, by link when one cannot fit an answer of its own."""

    def __init__(self, fit: Fit, loader: Loader | None = None) -> None:
        self.fit = fit
        self.left = fit.budget
        self.count = 0
        self.load = loader or Loader()
        self.links: dict[str, Link] = {}  # vendor id -> the link it is answered by

    def __call__(self, record: PulledRecord) -> PulledRecord | None:
        stored = record.stored
        # A stored JSON larger than the whole answer cannot be inline, however it is escaped.
        if stored is None or stored.size <= self.fit.budget:
            if stored is not None and stored.size > self.left:
                return None if self.count else self._linked(record)
            loaded = self.load(record)
            size = self.fit.measure(loaded, None)
            if size <= self.left or (stored is None and not self.count):
                return self._take(loaded, size)
            if self.count:
                return None
        return self._linked(record)

    def _linked(self, record: PulledRecord) -> PulledRecord | None:
        assert record.stored is not None
        link = link_to(record.stored)
        size = self.fit.measure(record, link)
        if size > self.left and self.count:
            return None
        self.links[record.vendor_id] = link
        return self._take(replace(record, data={}), size)

    def _take(self, record: PulledRecord, size: int) -> PulledRecord:
        self.left -= size
        self.count += 1
        return record
