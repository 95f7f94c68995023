"""HubSpot streams: contacts, companies, deals.

A full sync (or the first run) walks the list API; later runs search by last modification,
ascending, from the highest modification time the previous run saw. A search never pages past
10,000 results: before it would, it restarts from the last timestamp seen (records at that
timestamp come back once more and are recognised as unchanged), so none is skipped.
"""

from __future__ import annotations

from typing import Any

from ponte.connectors.base import (
    Cursor,
    Item,
    Page,
    StreamStuck,
    items_of,
    millis,
    normalised_time,
)
from ponte.vendors import hubspot
from ponte.vendors.http import VendorHttp

STREAMS = ("contacts", "companies", "deals")


class ObjectStream:
    def __init__(self, http: VendorHttp, name: str) -> None:
        self.http = http
        self.name = name

    def start(self, saved: Cursor | None, full: bool) -> Cursor:
        if full or not saved or saved.get("since") is None:
            return {"mode": "list", "after": None, "high": None}
        since = int(saved["since"])
        return {"mode": "search", "since": since, "after": None, "high": since, "last": None}

    def page(self, cursor: Cursor) -> Page:
        if cursor["mode"] == "list":
            found = hubspot.list_page(self.http, self.name, cursor.get("after"))
            items, problems = _items(found.objects, self.name)
            high = _highest(cursor.get("high"), items)
            next_cursor = {"mode": "list", "after": found.after, "high": high}
            return Page(items, next_cursor, found.after is None, problems)
        since, after = int(cursor["since"]), cursor.get("after")
        if after and int(after) + hubspot.SEARCH_LIMIT > hubspot.SEARCH_CEILING:
            last = cursor.get("last")
            if last is None or int(last) <= since:
                raise StreamStuck(
                    f"more than {hubspot.SEARCH_CEILING} {self.name} share one modification "
                    "time: the search cannot page past them"
                )
            since, after = int(last), None  # restart from the last timestamp seen
        found = hubspot.search_page(self.http, self.name, since, after)
        items, problems = _items(found.objects, self.name)
        last = millis(items[-1].updated_at) if items else cursor.get("last")
        next_cursor = {
            "mode": "search",
            "since": since,
            "after": found.after,
            "high": _highest(cursor.get("high"), items),
            "last": last,
        }
        return Page(items, next_cursor, found.after is None, problems)

    def resume_point(self, cursor: Cursor, saved: Cursor | None) -> Cursor | None:
        high = cursor.get("high")
        return {"since": int(high)} if high is not None else saved


def _items(objects: list[dict[str, Any]], stream: str) -> tuple[list[Item], list[tuple[str, str]]]:
    prop = hubspot.MODIFIED[stream]
    return items_of(
        objects,
        lambda obj: normalised_time(
            obj.get("updatedAt") or (obj.get("properties") or {}).get(prop)
        ),
        "record without an id or a modification time",
        accept=bool,
    )


def _highest(current: Any, items: list[Item]) -> int | None:
    times = [millis(i.updated_at) for i in items]
    if current is not None:
        times.append(int(current))
    return max(times) if times else None
