"""RD Station CRM streams: contacts and leads (deals).

Records are listed in ``updated_at`` order. A full sync (or the first run) starts with no
filter; an increment filters on ``updated_at`` from the newest change the previous run saw
(records changed at that second come back once more and are recognised as unchanged). A
query never pages past its first 10,000 rows: before it would, it restarts from the last
``updated_at`` seen, so none is skipped.
"""

from __future__ import annotations

from ponte.connectors.base import (
    Connector,
    Cursor,
    Page,
    StreamStuck,
    items_of,
    normalised_time,
)
from ponte.connectors.spec import Build, ConnectorSpec, account
from ponte.domain.connectors import Credentials, Platform, Text, Token
from ponte.vendors import rdstation
from ponte.vendors.http import VendorHttp

STREAMS = tuple(rdstation.RESOURCES)


class RdStationCredentials(Credentials):
    apiKey: Token
    workspaceId: Text


class ListCursor(Cursor):
    since: str = ""  # the filter's lower bound (a normalised time; '' for none)
    page: int = 1
    high: str = ""  # the newest update seen: the next run's start
    last: str = ""  # the last update read, where a capped query restarts


class UpdatedSince(Cursor):
    since: str


class ListStream:
    cursor_type = ListCursor
    resume_type = UpdatedSince

    def __init__(self, http: VendorHttp, name: str) -> None:
        self.http = http
        self.name = name

    def start(self, saved: UpdatedSince | None, full: bool) -> ListCursor:
        since = "" if full or saved is None else saved.since
        return ListCursor(since=since, high=since, last=since)

    def page(self, cursor: ListCursor) -> Page[ListCursor]:
        since, number = cursor.since, cursor.page
        if number * rdstation.PAGE_SIZE > rdstation.ROW_CEILING:
            if not cursor.last or cursor.last <= since:
                raise StreamStuck(
                    f"more than {rdstation.ROW_CEILING} {self.name} share one update time: "
                    "the list cannot page past them"
                )
            since, number = cursor.last, 1  # restart from the last update time seen
        records = rdstation.list_page(self.http, self.name, number, since)
        items, problems = items_of(
            records,
            lambda raw: normalised_time(raw.get("updated_at") or raw.get("created_at")),
            "record without an id or an updated_at",
        )
        times = [i.updated_at for i in items]
        next_cursor = ListCursor(
            since=since,
            page=number + 1,
            high=max([*times, cursor.high]),
            last=times[-1] if times else cursor.last,
        )
        return Page(items, next_cursor, len(records) < rdstation.PAGE_SIZE, problems)

    def resume_point(self, cursor: ListCursor, saved: UpdatedSince | None) -> UpdatedSince | None:
        return UpdatedSince(since=cursor.high) if cursor.high else saved


def _build(credentials: RdStationCredentials, build: Build) -> Connector:
    key = credentials.apiKey
    http = rdstation.client(
        key,
        base_url=build.settings.rdstation_base_url,
        account=account(key),
        per_minute=build.settings.rdstation_requests_per_minute,
        schedule=build.schedule,
        max_attempts=build.attempts,
    )
    streams = [ListStream(http, name) for name in STREAMS]
    return Connector(Platform.RDSTATION, streams, lambda: rdstation.check(http), http.close)


def _workspace(credentials: RdStationCredentials) -> str:
    return credentials.workspaceId


SPEC = ConnectorSpec(
    Platform.RDSTATION, RdStationCredentials, STREAMS, _build, workspace=_workspace
)
