"""HubSpot streams: contacts, companies, deals.

A full sync (or the first run) walks the list API, in id order (a record that changes during
the walk keeps its place). Later runs search by last modification, ascending, and page by key,
never by offset: each query asks for what was modified at or after the last modification time
read, skipping the ids already read at that time; more records at one time than a page holds
are read by id within that time. A record that changes during a run moves past the key and is
read again at its new version; none is jumped, and no query pages past the search's 10,000
results.

HubSpot's search index lags writes, so an increment starts a lookback (a setting, 5 minutes)
before the previous run's mark: what it reads again is found unchanged and costs no write.

Each stream ends with the archived (deleted) objects: those archived since the previous run
(all of them on a full sync) are stored with ``deleted_at``.

A deal is stored with its contacts, as the list API shows them when asked for associations
(``associations.contacts.results[].id``): neither the list nor the search answers carry them,
so each page of deals costs one more request, a batch read of their contact associations.
A deal's contacts are read again whenever the deal is.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from pydantic import model_validator

from ponte.clock import get_clock
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
# The associations stored with each object type's records (what they belong to).
ASSOCIATED = {"deals": "contacts"}


class HubSpotCredentials(Credentials):
    accessToken: Token  # a private app's token


class ObjectCursor(Cursor):
    """Where a run is in one object type. ``mode``: "list" (a full read, by id), "search"
    (an increment: by modification time from ``time``), "tie" (the records modified exactly
    at ``time``, by id: more of them than a page holds), "archived" (deletions)."""

    mode: Literal["list", "search", "tie", "archived"]
    after: str | None = None  # list / archived: HubSpot's paging token (the last id read)
    time: int | None = None  # search / tie: the key's modification time (epoch ms)
    seen: tuple[str, ...] = ()  # search / tie: ids already read at ``time``
    last_id: str | None = None  # tie: the last id read at ``time``
    high: int | None = None  # the newest modification read (epoch ms)
    started: int | None = None  # list: when the walk began (epoch ms), a full read's mark
    deleted_since: int | None = None  # archived: archivals from here (None: all of them)
    archived_started: int | None = None  # when the archived listing began: the next mark

    @model_validator(mode="before")
    @classmethod
    def _saved_before_key_paging(cls, raw: Any) -> Any:
        """A search cursor saved by an earlier version paged by offset (``since`` and
        ``after``): it starts again from its lower bound (what it reads again is unchanged)."""
        if isinstance(raw, dict) and raw.get("mode") == "search" and "time" not in raw:
            kept = {k: v for k, v in raw.items() if k not in ("since", "after", "last")}
            return kept | {"time": raw.get("since") or 0}
        return raw


class Since(Cursor):
    since: int  # epoch ms: the mark the next increment searches from (less the lookback)
    deleted_since: int | None = None  # epoch ms: archivals reported from here (less lookback)


def _now_ms() -> int:
    return int(get_clock().now().timestamp() * 1000)


class ObjectStream:
    cursor_type = ObjectCursor
    resume_type = Since

    def __init__(self, http: VendorHttp, name: str, *, lookback_seconds: int = 0) -> None:
        self.http = http
        self.name = name
        self.lookback_ms = lookback_seconds * 1000
        self.prop = hubspot.MODIFIED[name]
        self.associated = ASSOCIATED.get(name)

    def start(self, saved: Since | None, full: bool) -> ObjectCursor:
        if full or saved is None:
            return ObjectCursor(mode="list", started=_now_ms())
        deleted = saved.deleted_since
        return ObjectCursor(
            mode="search",
            time=max(0, saved.since - self.lookback_ms),
            high=saved.since,
            deleted_since=max(0, deleted - self.lookback_ms) if deleted is not None else None,
        )

    def page(self, cursor: ObjectCursor) -> Page[ObjectCursor]:
        found = self._page(cursor)
        if self.associated is None or cursor.mode == "archived" or not found.items:
            return found
        return replace(found, items=self._with_associations(found.items, self.associated))

    def _with_associations(self, items: list[Item], to_type: str) -> list[Item]:
        """The items with their ``to_type`` associations, in the list API's shape."""
        linked = hubspot.associated(self.http, self.name, to_type, [i.id for i in items])
        singular = f"{self.name.removesuffix('s')}_to_{to_type.removesuffix('s')}"

        def with_links(item: Item) -> Item:
            results = [{"id": target, "type": singular} for target in linked.get(item.id, [])]
            return replace(item, data=item.data | {"associations": {to_type: {"results": results}}})

        return [with_links(item) for item in items]

    def _page(self, cursor: ObjectCursor) -> Page[ObjectCursor]:
        if cursor.mode == "list":
            found = hubspot.list_page(self.http, self.name, cursor.after)
            items, problems = _items(found.objects, self.name)
            high = _newest(cursor.high, [millis(i.updated_at) for i in items])
            walked = cursor.model_copy(update={"after": found.after, "high": high})
            following = walked if found.after else _to_archived(walked)
            return Page(items, following, False, problems)
        if cursor.mode == "archived":
            return self._archived(cursor)
        if cursor.mode == "tie":
            return self._tie(cursor)
        return self._search(cursor)

    def _search(self, cursor: ObjectCursor) -> Page[ObjectCursor]:
        """The first page modified at or after the key's time, less the ids read at it."""
        time = int(cursor.time or 0)
        found = hubspot.modified_since(self.http, self.name, time)
        items, problems = _items(found.objects, self.name)
        keyed = [(self._key(obj), item) for obj, item in _paired(found.objects, items)]
        fresh = [item for key, item in keyed if not (key == time and item.id in cursor.seen)]
        high = _newest(cursor.high, [key for key, _ in keyed])
        if found.after is None:  # nothing more is modified now: the deletions are next
            return Page(fresh, _to_archived(cursor.model_copy(update={"high": high})), False,
                        problems)  # fmt: skip
        if not keyed:
            raise StreamStuck(f"a page of {self.name} without modification times")
        last = max(key for key, _ in keyed)
        if last > time:
            seen = tuple(item.id for key, item in keyed if key == last)
            following = cursor.model_copy(update={"time": last, "seen": seen, "high": high})
            return Page(fresh, following, False, problems)
        # A whole page modified at one time: read that time by id (these come back then).
        return Page([], cursor.model_copy(update={"mode": "tie", "last_id": None}), False,
                    problems)  # fmt: skip

    def _tie(self, cursor: ObjectCursor) -> Page[ObjectCursor]:
        time = int(cursor.time or 0)
        found = hubspot.modified_at(self.http, self.name, time, cursor.last_id)
        items, problems = _items(found.objects, self.name)
        fresh = [i for i in items if i.id not in cursor.seen]
        high = _newest(cursor.high, [time] if items else [])
        if found.after is None:  # that time is read: on from the next millisecond
            following = cursor.model_copy(update={
                "mode": "search", "time": time + 1, "seen": (), "last_id": None, "high": high,
            })  # fmt: skip
        else:
            last_id = str(found.objects[-1].get("id")) if found.objects else cursor.last_id
            following = cursor.model_copy(update={"last_id": last_id, "high": high})
        return Page(fresh, following, False, problems)

    def _archived(self, cursor: ObjectCursor) -> Page[ObjectCursor]:
        found = hubspot.list_page(self.http, self.name, cursor.after, archived=True)
        items, problems = items_of(
            found.objects,
            lambda obj: normalised_time(obj.get("archivedAt") or obj.get("updatedAt")),
            "archived record without an id or a time",
            accept=bool,
        )
        since = cursor.deleted_since
        deleted = [
            Item(i.id, i.updated_at, i.data, deleted_at=i.updated_at)
            for i in items
            if since is None or millis(i.updated_at) >= since
        ]
        following = cursor.model_copy(update={"after": found.after})
        return Page(deleted, following, found.after is None, problems)

    def _key(self, obj: dict[str, Any]) -> int:
        """The modification time a search filters and sorts on (epoch ms)."""
        raw = (obj.get("properties") or {}).get(self.prop) or obj.get("updatedAt")
        return millis(normalised_time(raw))

    def resume_point(self, cursor: ObjectCursor, saved: Since | None) -> Since | None:
        since = cursor.started if cursor.started is not None else cursor.high
        if since is None:
            since = saved.since if saved is not None else None
        if since is None:
            return saved
        deleted = cursor.archived_started
        if deleted is None and saved is not None:
            deleted = saved.deleted_since
        return Since(since=since, deleted_since=deleted)


def _to_archived(cursor: ObjectCursor) -> ObjectCursor:
    """The stream's last part: the archived objects, from their first page."""
    return cursor.model_copy(update={
        "mode": "archived", "after": None, "seen": (), "last_id": None,
        "archived_started": _now_ms(),
    })  # fmt: skip


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


def _paired(objects: list[dict[str, Any]], items: list[Item]) -> list[tuple[dict[str, Any], Item]]:
    """Each item with the vendor object it came from (items keep the objects' order)."""
    by_id = {str(obj.get("id")): obj for obj in objects}
    return [(by_id[item.id], item) for item in items]


def _newest(current: int | None, times: list[int]) -> int | None:
    return max([*times, current]) if current is not None else max(times, default=None)


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
    lookback = build.settings.hubspot_lookback_seconds
    streams = [ObjectStream(http, name, lookback_seconds=lookback) for name in STREAMS]
    return Connector(Platform.HUBSPOT, streams, lambda: hubspot.check(http), http.close)


SPEC = ConnectorSpec(Platform.HUBSPOT, HubSpotCredentials, STREAMS, _build)
