"""Zendesk streams: tickets and users, through the cursor-based incremental exports.

A full sync (or the first run) starts at ``start_time=0``; later runs continue from the
``after_cursor`` the previous run ended on. A stream is done at ``end_of_stream``.

Deletions come in the same exports: a deleted ticket with ``status: "deleted"``, a deleted
user with ``active: false``. They are stored with ``deleted_at`` (their ``updated_at``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints

from ponte.connectors.base import Connector, Cursor, Item, Page, items_of, normalised_time
from ponte.connectors.spec import Build, ConnectorSpec
from ponte.domain.connectors import Credentials, Platform, Subdomain, Token
from ponte.vendors import zendesk
from ponte.vendors.http import VendorHttp

STREAMS = zendesk.EXPORTS


class ZendeskCredentials(Credentials):
    email: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+$")]
    apiToken: Token
    subdomain: Subdomain


class ExportCursor(Cursor):
    cursor: str | None = None  # Zendesk's cursor; None: the export starts at start_time
    start_time: int = 0


class AfterCursor(Cursor):
    after_cursor: str


class ExportStream:
    cursor_type = ExportCursor
    resume_type = AfterCursor

    def __init__(self, http: VendorHttp, name: str) -> None:
        self.http = http
        self.name = name

    def start(self, saved: AfterCursor | None, full: bool) -> ExportCursor:
        if full or saved is None:
            return ExportCursor()
        return ExportCursor(cursor=saved.after_cursor)

    def page(self, cursor: ExportCursor) -> Page[ExportCursor]:
        export = zendesk.export_page(
            self.http, self.name, cursor=cursor.cursor, start_time=cursor.start_time
        )
        items, problems = items_of(
            export.items,
            lambda raw: normalised_time(raw.get("updated_at")),
            "record without an id or an updated_at",
        )
        items = [_marked(self.name, i) for i in items]
        next_cursor = ExportCursor(cursor=export.after_cursor or cursor.cursor)
        return Page(items, next_cursor, export.end_of_stream, problems)

    def resume_point(self, cursor: ExportCursor, saved: AfterCursor | None) -> AfterCursor | None:
        return AfterCursor(after_cursor=cursor.cursor) if cursor.cursor else saved


def deleted(stream: str, raw: dict[str, Any]) -> bool:
    """Whether an exported record is a deletion: a ticket whose status is "deleted", a
    user who is no longer ``active``."""
    if stream == "tickets":
        return raw.get("status") == "deleted"
    return raw.get("active") is False


def _marked(stream: str, item: Item) -> Item:
    if not deleted(stream, item.data):
        return item
    return Item(item.id, item.updated_at, item.data, deleted_at=item.updated_at)


def _build(credentials: ZendeskCredentials, build: Build) -> Connector:
    http = zendesk.client(
        credentials.email,
        credentials.apiToken,
        credentials.subdomain,
        base_url=build.settings.zendesk_base_url,
        exports_per_minute=build.settings.zendesk_exports_per_minute,
        schedule=build.schedule,
        max_attempts=build.attempts,
    )
    streams = [ExportStream(http, name) for name in STREAMS]
    return Connector(Platform.ZENDESK, streams, lambda: zendesk.check(http), http.close)


SPEC = ConnectorSpec(
    Platform.ZENDESK, ZendeskCredentials, STREAMS, _build,
    web=lambda c: zendesk.web_base(c.subdomain), record_url=zendesk.web_url,
)  # fmt: skip
