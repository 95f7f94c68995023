"""HubSpot streams: contacts, companies, deals.

A full sync (or the first run) walks the list API; later runs search by last modification,
ascending, from the highest modification time the previous run saw. A search never pages past
10,000 results: before it would, it restarts from the last timestamp seen (records at that
timestamp come back once more and are recognised as unchanged), so none is skipped.
"""

from __future__ import annotations

from typing import Any, Literal

from ponte.connectors.base import (
    Connector,
    Cursor,
    Item,
    Page,
    StreamStuck,
    items_of,
    millis,
    normalised_time,
)
from ponte.connectors.spec import Build, ConnectorSpec, account
from ponte.domain.connectors import Credentials, Platform, Token
from ponte.vendors import hubspot
from ponte.vendors.http import VendorHttp

STREAMS = ("contacts", "companies", "deals")


class HubSpotCredentials(Credentials):
    accessToken: Token  # a private app's token


class ObjectCursor(Cursor):
    mode: Literal["list", "search"]
    after: str | None = None  # HubSpot's paging token within the list or search
    high: int | None = None  # the newest modification seen (epoch ms): the next run's start
    since: int | None = None  # the search's lower bound (epoch ms)
    last: int | None = None  # the last modification read, where a capped search restarts


class Since(Cursor):
    since: int  # epoch ms: search from here


class ObjectStream:
    cursor_type = ObjectCursor
    resume_type = Since

    def __init__(self, http: VendorHttp, name: str) -> None:
        self.http = http
        self.name = name

    def start(self, saved: Since | None, full: bool) -> ObjectCursor:
        if full or saved is None:
            return ObjectCursor(mode="list")
        return ObjectCursor(mode="search", since=saved.since, high=saved.since)

    def page(self, cursor: ObjectCursor) -> Page[ObjectCursor]:
        if cursor.mode == "list":
            found = hubspot.list_page(self.http, self.name, cursor.after)
            items, problems = _items(found.objects, self.name)
            high = _highest(cursor.high, items)
            next_cursor = ObjectCursor(mode="list", after=found.after, high=high)
            return Page(items, next_cursor, found.after is None, problems)
        since, after = int(cursor.since or 0), cursor.after
        if after and int(after) + hubspot.SEARCH_LIMIT > hubspot.SEARCH_CEILING:
            if cursor.last is None or cursor.last <= since:
                raise StreamStuck(
                    f"more than {hubspot.SEARCH_CEILING} {self.name} share one modification "
                    "time: the search cannot page past them"
                )
            since, after = cursor.last, None  # restart from the last timestamp seen
        found = hubspot.search_page(self.http, self.name, since, after)
        items, problems = _items(found.objects, self.name)
        next_cursor = ObjectCursor(
            mode="search",
            since=since,
            after=found.after,
            high=_highest(cursor.high, items),
            last=millis(items[-1].updated_at) if items else cursor.last,
        )
        return Page(items, next_cursor, found.after is None, problems)

    def resume_point(self, cursor: ObjectCursor, saved: Since | None) -> Since | None:
        return Since(since=cursor.high) if cursor.high is not None else saved


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


def _highest(current: int | None, items: list[Item]) -> int | None:
    times = [millis(i.updated_at) for i in items]
    if current is not None:
        times.append(current)
    return max(times) if times else None


def _build(credentials: HubSpotCredentials, build: Build) -> Connector:
    token = credentials.accessToken
    http = hubspot.client(
        token,
        base_url=build.settings.hubspot_base_url,
        account=account(token),
        per_ten_seconds=build.settings.hubspot_requests_per_10s,
        schedule=build.schedule,
        max_attempts=build.attempts,
    )
    streams = [ObjectStream(http, name) for name in STREAMS]
    return Connector(Platform.HUBSPOT, streams, lambda: hubspot.check(http), http.close)


SPEC = ConnectorSpec(Platform.HUBSPOT, HubSpotCredentials, STREAMS, _build)
