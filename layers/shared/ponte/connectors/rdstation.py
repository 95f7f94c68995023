"""RD Station CRM streams: contacts and leads (deals).

Records are listed in ``updated_at`` order. A full sync (or the first run) starts with no
filter; an increment filters on ``updated_at`` from the newest change the previous run saw
(records changed at that second come back once more and are recognised as unchanged). A
query never pages past its first 10,000 rows: before it would, it restarts from the last
``updated_at`` seen, so none is skipped.
"""

from __future__ import annotations

from ponte.connectors.base import Cursor, Page, StreamStuck, items_of, normalised_time
from ponte.vendors import rdstation
from ponte.vendors.http import VendorHttp

STREAMS = tuple(rdstation.RESOURCES)


class ListStream:
    def __init__(self, http: VendorHttp, name: str) -> None:
        self.http = http
        self.name = name

    def start(self, saved: Cursor | None, full: bool) -> Cursor:
        since = "" if full or not saved else str(saved.get("since") or "")
        return {"since": since, "page": 1, "high": since, "last": since}

    def page(self, cursor: Cursor) -> Page:
        since, number = str(cursor["since"]), int(cursor["page"])
        if number * rdstation.PAGE_SIZE > rdstation.ROW_CEILING:
            last = str(cursor.get("last") or "")
            if not last or last <= since:
                raise StreamStuck(
                    f"more than {rdstation.ROW_CEILING} {self.name} share one update time: "
                    "the list cannot page past them"
                )
            since, number = last, 1  # restart from the last update time seen
        records = rdstation.list_page(self.http, self.name, number, since)
        items, problems = items_of(
            records,
            lambda raw: normalised_time(raw.get("updated_at") or raw.get("created_at")),
            "record without an id or an updated_at",
        )
        times = [i.updated_at for i in items]
        next_cursor = {
            "since": since,
            "page": number + 1,
            "high": max([*times, str(cursor.get("high") or "")]),
            "last": times[-1] if times else cursor.get("last", ""),
        }
        return Page(items, next_cursor, len(records) < rdstation.PAGE_SIZE, problems)

    def resume_point(self, cursor: Cursor, saved: Cursor | None) -> Cursor | None:
        high = cursor.get("high")
        return {"since": high} if high else saved
