"""Chatwoot streams: conversations, their messages, and contacts.

- ``conversations``: pages of every status, most recent activity first. An incremental run
  stops at the first conversation whose ``last_activity_at`` is older than the saved one; the
  next run starts from the newest activity this run saw.
- ``messages``: walks the same changed conversations and reads each one's messages after the
  highest message id stored by earlier runs (``after=``, 100 at a time). Message ids grow
  across the whole instance, so one high-water mark serves every conversation: a
  conversation with a new message costs one request, an unchanged one none.
- ``contacts``: every page of the contacts list (Chatwoot has no "changed since" filter for
  contacts); records that did not change are recognised by their hash and cost no write.
  The list leaves out contacts without an email, a phone number or an identifier (a
  website visitor, say): those are stored from the conversations that name them
  (``meta.sender``), walking the conversations active since the previous run, so the
  stream holds every contact a conversation names.

A list ends on what its answer says (an empty page, or as many read as its count), never
on a page size: Chatwoot's conversation page size is an instance setting.

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
    Page,
    Stream,
    from_unix_seconds,
    items_of,
)
from ponte.connectors.spec import Build, ConnectorSpec
from ponte.domain.connectors import Credentials, Platform, Token
from ponte.settings import Settings, get_settings
from ponte.vendors import chatwoot
from ponte.vendors.http import VendorHttp, safe_base_url

STREAMS = ("contacts", "conversations", "messages")


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


def _changed(
    http: VendorHttp, page: int, since: int, seen: int
) -> tuple[list[dict[str, Any]], bool, int]:
    """The conversations of ``page`` active at or after ``since`` (pages come most recent
    activity first), whether it is the last page a run visits, and how many conversations
    the pages read so far listed (``seen`` before this one)."""
    listed = chatwoot.conversations_page(http, page)
    changed = [c for c in listed.items if _activity(c) >= since]
    seen += len(listed.items)
    last = _ended(listed, seen) or len(changed) < len(listed.items)
    return changed, last, seen


def _ended(listed: chatwoot.Listed, seen: int) -> bool:
    """Whether a list is read to its end: an empty page, or its count reached."""
    return not listed.items or (listed.count is not None and seen >= listed.count)


class ConversationCursor(Cursor):
    page: int = 1
    seen: int = 0  # conversations the pages read so far listed
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
        conversations, last, seen = _changed(self.http, cursor.page, cursor.since, cursor.seen)
        items, problems = _items(
            conversations, "conversation without an id", "last_activity_at", "created_at"
        )
        high = max([_activity(c) for c in conversations] + [cursor.high or 0])
        next_cursor = ConversationCursor(page=cursor.page + 1, seen=seen, since=cursor.since,
                                         high=high or None)  # fmt: skip
        return Page(items, next_cursor, last, problems)

    def resume_point(
        self, cursor: ConversationCursor, saved: ActiveSince | None
    ) -> ActiveSince | None:
        return ActiveSince(since=cursor.high) if cursor.high else saved


class MessageCursor(Cursor):
    page: int = 1  # the next page of changed conversations
    seen: int = 0
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
        conversations, last, seen = _changed(self.http, cursor.page, cursor.since, cursor.seen)
        high = max([_activity(c) for c in conversations] + [cursor.high or 0])
        pending = [str(c["id"]) for c in conversations if c.get("id") is not None]
        next_cursor = cursor.model_copy(
            update={"page": cursor.page + 1, "seen": seen, "pending": pending,
                    "high": high or None, "last_page": last}
        )  # fmt: skip
        return Page([], next_cursor, last and not pending)

    def resume_point(
        self, cursor: MessageCursor, saved: MessagesSince | None
    ) -> MessagesSince | None:
        if not cursor.high and not cursor.top:
            return saved
        return MessagesSince(since=cursor.high or 0, after=cursor.top)


class ContactCursor(Cursor):
    senders: bool = False  # False: the contacts list; True: conversations' unlisted senders
    page: int = 1
    seen: int = 0
    since: int = 0  # senders of conversations active at or after this
    high: int | None = None


class SendersSince(Cursor):
    since: int = 0


_CONTACT_TIMES = ("updated_at", "last_activity_at", "created_at")


def _unlisted(conversations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The contacts conversations name (``meta.sender``) that the contacts list leaves out:
    those without an email, a phone number or an identifier."""
    senders = [(c.get("meta") or {}).get("sender") for c in conversations]
    named = ("email", "phone_number", "identifier")
    return [s for s in senders if isinstance(s, dict) and not any(s.get(k) for k in named)]


class ContactStream:
    name = "contacts"
    cursor_type = ContactCursor
    resume_type = SendersSince

    def __init__(self, http: VendorHttp) -> None:
        self.http = http

    def start(self, saved: SendersSince | None, full: bool) -> ContactCursor:
        since = 0 if full or saved is None else saved.since
        return ContactCursor(since=since, high=since or None)

    def page(self, cursor: ContactCursor) -> Page[ContactCursor]:
        if cursor.senders:
            return self._senders(cursor)
        listed = chatwoot.contacts_page(self.http, cursor.page)
        items, problems = _items(listed.items, "contact without an id", *_CONTACT_TIMES)
        seen = cursor.seen + len(listed.items)
        if _ended(listed, seen):  # then the senders the list leaves out
            after = cursor.model_copy(update={"senders": True, "page": 1, "seen": 0})
            return Page(items, after, False, problems)
        return Page(items, cursor.model_copy(update={"page": cursor.page + 1, "seen": seen}),
                    False, problems)  # fmt: skip

    def _senders(self, cursor: ContactCursor) -> Page[ContactCursor]:
        conversations, last, seen = _changed(self.http, cursor.page, cursor.since, cursor.seen)
        items, problems = _items(
            _unlisted(conversations), "contact without an id or a time", *_CONTACT_TIMES,
            prefix="sender ",
        )  # fmt: skip
        high = max([_activity(c) for c in conversations] + [cursor.high or 0])
        after = cursor.model_copy(update={"page": cursor.page + 1, "seen": seen,
                                          "high": high or None})  # fmt: skip
        return Page(items, after, last, problems)

    def resume_point(
        self, cursor: ContactCursor, saved: SendersSince | None
    ) -> SendersSince | None:
        return SendersSince(since=cursor.high) if cursor.high else saved


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
    # Contacts first: a conversation stored takes its contact's people.
    streams: list[Stream[Any, Any]] = [
        Coalesced(ContactStream(http)),
        Coalesced(ConversationStream(http)),
        Coalesced(MessageStream(http)),
    ]
    return Connector(Platform.CHATWOOT, streams, lambda: chatwoot.check(http), http.close)


def _web(credentials: ChatwootCredentials) -> str:
    base = credentials.baseUrl or get_settings().chatwoot_base_url
    return chatwoot.web_base(base, credentials.accountId)


SPEC = ConnectorSpec(
    Platform.CHATWOOT, ChatwootCredentials, STREAMS, _build, web=_web,
    record_url=chatwoot.web_url,
)  # fmt: skip
