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
from typing import Annotated, Any

from pydantic import StringConstraints

from ponte.connectors.base import (
    Coalesced,
    Connector,
    Cursor,
    Item,
    NoResume,
    Page,
    Stream,
    from_unix_seconds,
    items_of,
)
from ponte.connectors.spec import Build, ConnectorSpec
from ponte.domain.connectors import Credentials, Platform, Token
from ponte.settings import Settings
from ponte.vendors import chatwoot
from ponte.vendors.http import VendorHttp, safe_base_url

STREAMS = ("conversations", "messages", "contacts")


class ChatwootCredentials(Credentials):
    accountId: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{1,12}$")]
    accessToken: Token
    baseUrl: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048)] = ""


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


class ConversationCursor(Cursor):
    page: int = 1
    since: int = 0  # activity at or after this (Unix seconds) is read; 0: everything
    high: int | None = None  # the newest activity seen: the next run's start


class ActiveSince(Cursor):
    since: int


class ConversationStream:
    name = "conversations"
    cursor_type = ConversationCursor
    resume_type = ActiveSince

    def __init__(self, http: VendorHttp) -> None:
        self.http = http

    def start(self, saved: ActiveSince | None, full: bool) -> ConversationCursor:
        since = 0 if full or saved is None else saved.since
        return ConversationCursor(since=since, high=since or None)

    def page(self, cursor: ConversationCursor) -> Page[ConversationCursor]:
        conversations, last = _changed(self.http, cursor.page, cursor.since)
        items, problems = _items(
            conversations, "conversation without an id", "last_activity_at", "created_at"
        )
        high = max([_activity(c) for c in conversations] + [cursor.high or 0])
        next_cursor = ConversationCursor(page=cursor.page + 1, since=cursor.since,
                                         high=high or None)  # fmt: skip
        return Page(items, next_cursor, last, problems)

    def resume_point(
        self, cursor: ConversationCursor, saved: ActiveSince | None
    ) -> ActiveSince | None:
        return ActiveSince(since=cursor.high) if cursor.high else saved


class MessageCursor(Cursor):
    page: int = 1  # the next page of changed conversations
    since: int = 0
    high: int | None = None
    floor: int = 0  # the highest message id earlier runs stored
    top: int = 0  # the highest message id this run read
    pending: list[str] = []  # changed conversations whose messages are still to read
    after: int = 0  # the message id the current conversation continues after
    last_page: bool = False


class MessagesSince(Cursor):
    since: int = 0
    after: int = 0


class MessageStream:
    """One request per call: a page of changed conversations, or up to 100 messages of one."""

    name = "messages"
    cursor_type = MessageCursor
    resume_type = MessagesSince

    def __init__(self, http: VendorHttp) -> None:
        self.http = http

    def start(self, saved: MessagesSince | None, full: bool) -> MessageCursor:
        since = 0 if full or saved is None else saved.since
        floor = 0 if full or saved is None else saved.after
        return MessageCursor(since=since, high=since or None, floor=floor, top=floor,
                             after=floor)  # fmt: skip

    def page(self, cursor: MessageCursor) -> Page[MessageCursor]:
        if not cursor.pending:
            return self._next_conversations(cursor)
        conversation = cursor.pending[0]
        messages = chatwoot.messages_after(self.http, conversation, cursor.after)
        items, problems = _items(
            [{"conversation_id": int(conversation), **raw} for raw in messages],
            "message without an id", "updated_at", "created_at", prefix=f"{conversation}/",
        )  # fmt: skip
        ids = [int(m["id"]) for m in messages if isinstance(m.get("id"), int)]
        top = max([*ids, cursor.top])
        if len(messages) >= chatwoot.MESSAGES_PER_PAGE and ids:  # more of this conversation
            next_cursor = cursor.model_copy(update={"after": max(ids), "top": top})
        else:
            next_cursor = cursor.model_copy(
                update={"pending": cursor.pending[1:], "after": cursor.floor, "top": top}
            )
        done = not next_cursor.pending and cursor.last_page
        return Page(items, next_cursor, done, problems)

    def _next_conversations(self, cursor: MessageCursor) -> Page[MessageCursor]:
        if cursor.last_page:
            return Page([], cursor, True)
        conversations, last = _changed(self.http, cursor.page, cursor.since)
        high = max([_activity(c) for c in conversations] + [cursor.high or 0])
        pending = [str(c["id"]) for c in conversations if c.get("id") is not None]
        next_cursor = cursor.model_copy(
            update={"page": cursor.page + 1, "pending": pending, "high": high or None,
                    "last_page": last}
        )  # fmt: skip
        return Page([], next_cursor, last and not pending)

    def resume_point(
        self, cursor: MessageCursor, saved: MessagesSince | None
    ) -> MessagesSince | None:
        if not cursor.high and not cursor.top:
            return saved
        return MessagesSince(since=cursor.high or 0, after=cursor.top)


class ContactCursor(Cursor):
    page: int = 1


class ContactStream:
    name = "contacts"
    cursor_type = ContactCursor
    resume_type = NoResume

    def __init__(self, http: VendorHttp) -> None:
        self.http = http

    def start(self, saved: NoResume | None, full: bool) -> ContactCursor:
        return ContactCursor()

    def page(self, cursor: ContactCursor) -> Page[ContactCursor]:
        listed = chatwoot.contacts_page(self.http, cursor.page)
        items, problems = _items(
            listed.items, "contact without an id", "updated_at", "last_activity_at", "created_at"
        )
        seen = (cursor.page - 1) * chatwoot.CONTACTS_PER_PAGE + len(listed.items)
        done = len(listed.items) < chatwoot.CONTACTS_PER_PAGE or (
            listed.count is not None and seen >= listed.count
        )
        return Page(items, ContactCursor(page=cursor.page + 1), done, problems)

    def resume_point(self, cursor: ContactCursor, saved: NoResume | None) -> NoResume | None:
        return None


def base_url(given: str, settings: Settings) -> str:
    """The Chatwoot instance a connection calls: its own ``baseUrl`` (held to the https,
    public-address rule: raises UnsafeUrl) or the stack's default. Checked on every build,
    so a host that later resolves to a private address is refused then too."""
    url = chatwoot.origin(given or settings.chatwoot_base_url)
    return safe_base_url(url, private_hosts=settings.vendor_private_hosts)


def _build(credentials: ChatwootCredentials, build: Build) -> Connector:
    http = chatwoot.client(
        base_url(credentials.baseUrl, build.settings),
        credentials.accountId,
        credentials.accessToken,
        per_minute=build.settings.chatwoot_requests_per_minute,
        schedule=build.schedule,
        max_attempts=build.attempts,
    )
    streams: list[Stream[Any, Any]] = [
        Coalesced(ConversationStream(http)),
        Coalesced(MessageStream(http)),
        Coalesced(ContactStream(http)),
    ]
    return Connector(Platform.CHATWOOT, streams, lambda: chatwoot.check(http), http.close)


SPEC = ConnectorSpec(Platform.CHATWOOT, ChatwootCredentials, STREAMS, _build)
