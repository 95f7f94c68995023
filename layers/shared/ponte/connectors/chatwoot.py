"""Chatwoot streams: conversations, their messages, and contacts.

- ``conversations``: pages of every status, most recent activity first. An incremental run
  stops at the first conversation whose ``last_activity_at`` is older than the saved one; the
  next run starts from the newest activity this run saw.
- ``messages``: walks the same changed conversations and reads each one's messages after the
  highest message id stored by earlier runs (``after=``, 100 at a time). Message ids grow
  across the whole instance, so one high-water mark serves every conversation: a
  conversation with a new message costs one request, an unchanged one none.
- ``contacts``: every page (Chatwoot has no "changed since" filter for contacts); records
  that did not change are recognised by their hash and cost no write.

Unix-second timestamps become ISO-8601 (UTC) in stored records.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ponte.connectors.base import Cursor, Item, Page, from_unix_seconds, items_of
from ponte.vendors import chatwoot
from ponte.vendors.http import VendorHttp

STREAMS = ("conversations", "messages", "contacts")
TIMESTAMPS = frozenset({
    "created_at", "updated_at", "timestamp", "last_activity_at", "agent_last_seen_at",
    "contact_last_seen_at", "assignee_last_seen_at", "waiting_since", "first_reply_created_at",
    "snoozed_until", "last_seen_at",
})  # fmt: skip


def iso_times(value: Any) -> Any:
    """``value`` with every Unix-second timestamp field as ISO-8601 (0 = never = None)."""
    if isinstance(value, list):
        return [iso_times(v) for v in value]
    if not isinstance(value, dict):
        return value
    converted: dict[str, Any] = {}
    for key, inner in value.items():
        if key in TIMESTAMPS and isinstance(inner, int | float) and not isinstance(inner, bool):
            converted[key] = from_unix_seconds(inner) or None
        else:
            converted[key] = iso_times(inner)
    return converted


def _items(
    raws: list[dict[str, Any]], problem: str, *times: str, prefix: str = ""
) -> tuple[list[Item], list[tuple[str, str]]]:
    """Items timed by the first of ``times`` a record has, stored with ISO-8601 times."""

    def when(raw: dict[str, Any]) -> str:
        return next((from_unix_seconds(raw[t]) for t in times if raw.get(t)), "")

    items, problems = items_of(raws, when, problem, prefix=prefix)
    return [replace(i, data=iso_times(i.data)) for i in items], problems


def _activity(conversation: dict[str, Any]) -> int:
    try:
        return int(conversation.get("last_activity_at") or 0)
    except (TypeError, ValueError):
        return 0


def _changed(http: VendorHttp, page: int, since: int) -> tuple[list[dict[str, Any]], bool]:
    """The conversations of ``page`` active at or after ``since`` (pages come most recent
    activity first), and whether it is the last page a run visits."""
    listed = chatwoot.conversations_page(http, page).items
    changed = [c for c in listed if _activity(c) >= since]
    last = len(listed) < chatwoot.CONVERSATIONS_PER_PAGE or len(changed) < len(listed)
    return changed, last


class ConversationStream:
    name = "conversations"

    def __init__(self, http: VendorHttp) -> None:
        self.http = http

    def start(self, saved: Cursor | None, full: bool) -> Cursor:
        since = 0 if full or not saved else int(saved.get("since") or 0)
        return {"page": 1, "since": since, "high": since or None}

    def page(self, cursor: Cursor) -> Page:
        conversations, last = _changed(self.http, int(cursor["page"]), int(cursor["since"]))
        items, problems = _items(
            conversations, "conversation without an id", "last_activity_at", "created_at"
        )
        high = max([_activity(c) for c in conversations] + [int(cursor.get("high") or 0)])
        next_cursor = {"page": int(cursor["page"]) + 1, "since": cursor["since"],
                       "high": high or None}  # fmt: skip
        return Page(items, next_cursor, last, problems)

    def resume_point(self, cursor: Cursor, saved: Cursor | None) -> Cursor | None:
        high = cursor.get("high")
        return {"since": int(high)} if high else saved


class MessageStream:
    """One request per call: a page of changed conversations, or up to 100 messages of one."""

    name = "messages"

    def __init__(self, http: VendorHttp) -> None:
        self.http = http

    def start(self, saved: Cursor | None, full: bool) -> Cursor:
        since = 0 if full or not saved else int(saved.get("since") or 0)
        floor = 0 if full or not saved else int(saved.get("after") or 0)
        return {"page": 1, "since": since, "high": since or None, "floor": floor,
                "top": floor, "pending": [], "after": floor, "last_page": False}  # fmt: skip

    def page(self, cursor: Cursor) -> Page:
        pending = list(cursor["pending"])
        if not pending:
            return self._next_conversations(cursor)
        conversation = pending[0]
        messages = chatwoot.messages_after(self.http, conversation, int(cursor["after"]))
        items, problems = _items(
            [{"conversation_id": int(conversation), **raw} for raw in messages],
            "message without an id", "updated_at", "created_at", prefix=f"{conversation}/",
        )  # fmt: skip
        ids = [int(m["id"]) for m in messages if isinstance(m.get("id"), int)]
        top = max([*ids, int(cursor["top"])])
        if len(messages) >= chatwoot.MESSAGES_PER_PAGE and ids:  # more of this conversation
            next_cursor = cursor | {"after": max(ids), "top": top}
        else:
            next_cursor = cursor | {"pending": pending[1:], "after": cursor["floor"], "top": top}
        done = not next_cursor["pending"] and bool(cursor["last_page"])
        return Page(items, next_cursor, done, problems)

    def _next_conversations(self, cursor: Cursor) -> Page:
        if cursor["last_page"]:
            return Page([], cursor, True)
        conversations, last = _changed(self.http, int(cursor["page"]), int(cursor["since"]))
        high = max([_activity(c) for c in conversations] + [int(cursor.get("high") or 0)])
        pending = [str(c["id"]) for c in conversations if c.get("id") is not None]
        next_cursor = cursor | {"page": int(cursor["page"]) + 1, "pending": pending,
                                "high": high or None, "last_page": last}  # fmt: skip
        return Page([], next_cursor, last and not pending)

    def resume_point(self, cursor: Cursor, saved: Cursor | None) -> Cursor | None:
        high, top = cursor.get("high"), cursor.get("top")
        if not high and not top:
            return saved
        return {"since": int(high or 0), "after": int(top or 0)}


class ContactStream:
    name = "contacts"

    def __init__(self, http: VendorHttp) -> None:
        self.http = http

    def start(self, saved: Cursor | None, full: bool) -> Cursor:
        return {"page": 1}

    def page(self, cursor: Cursor) -> Page:
        number = int(cursor["page"])
        listed = chatwoot.contacts_page(self.http, number)
        items, problems = _items(
            listed.items, "contact without an id", "updated_at", "last_activity_at", "created_at"
        )
        seen = (number - 1) * chatwoot.CONTACTS_PER_PAGE + len(listed.items)
        done = len(listed.items) < chatwoot.CONTACTS_PER_PAGE or (
            listed.count is not None and seen >= listed.count
        )
        return Page(items, {"page": number + 1}, done, problems)

    def resume_point(self, cursor: Cursor, saved: Cursor | None) -> Cursor | None:
        return None
