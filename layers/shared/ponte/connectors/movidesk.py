"""Movidesk's one stream: the tickets changed in the run's window (``options``: the window's
``start`` and ``end`` in UTC, and ``past`` for windows older than 90 days)."""

from __future__ import annotations

from typing import Any

from ponte.connectors.base import Cursor, Page, items_of, normalised_time
from ponte.domain.movidesk import FIELDS
from ponte.vendors import movidesk
from ponte.vendors.http import VendorHttp

STREAMS = ("tickets",)


class TicketStream:
    name = "tickets"

    def __init__(self, http: VendorHttp, window: dict[str, Any]) -> None:
        self.http = http
        self.start_at = normalised_time(window["start"])
        self.end_at = normalised_time(window["end"])
        self.past = bool(window.get("past"))

    def start(self, saved: Cursor | None, full: bool) -> Cursor:
        return {"after": None}

    def page(self, cursor: Cursor) -> Page:
        after = cursor.get("after")
        tickets = movidesk.tickets_page(
            self.http, fields=FIELDS, start=self.start_at, end=self.end_at,
            after=tuple(after) if after else None, past=self.past,
        )  # fmt: skip
        items, problems = items_of(
            tickets,
            lambda raw: normalised_time(raw.get("lastUpdate")),
            "ticket without a numeric id or a lastUpdate",
            accept=lambda ticket_id: ticket_id is not None and str(ticket_id).isdigit(),
        )
        last = [items[-1].updated_at, items[-1].id] if items else after
        return Page(items, {"after": last}, len(tickets) < movidesk.PAGE_SIZE, problems)

    def resume_point(self, cursor: Cursor, saved: Cursor | None) -> Cursor | None:
        return None  # every run covers its own window
