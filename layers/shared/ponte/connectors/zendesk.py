"""Zendesk streams: tickets and users, through the cursor-based incremental exports.

A full sync (or the first run) starts at ``start_time=0``; later runs continue from the
``after_cursor`` the previous run ended on. A stream is done at ``end_of_stream``.
"""

from __future__ import annotations

from ponte.connectors.base import Cursor, Page, items_of, normalised_time
from ponte.vendors import zendesk
from ponte.vendors.http import VendorHttp

STREAMS = zendesk.EXPORTS


class ExportStream:
    def __init__(self, http: VendorHttp, name: str) -> None:
        self.http = http
        self.name = name

    def start(self, saved: Cursor | None, full: bool) -> Cursor:
        if full or not saved or not saved.get("after_cursor"):
            return {"cursor": None, "start_time": 0}
        return {"cursor": saved["after_cursor"], "start_time": 0}

    def page(self, cursor: Cursor) -> Page:
        export = zendesk.export_page(
            self.http, self.name, cursor=cursor.get("cursor"), start_time=cursor["start_time"]
        )
        items, problems = items_of(
            export.items,
            lambda raw: normalised_time(raw.get("updated_at")),
            "record without an id or an updated_at",
        )
        next_cursor = {"cursor": export.after_cursor or cursor.get("cursor"), "start_time": 0}
        return Page(items, next_cursor, export.end_of_stream, problems)

    def resume_point(self, cursor: Cursor, saved: Cursor | None) -> Cursor | None:
        after = cursor.get("cursor")
        return {"after_cursor": after} if after else saved
