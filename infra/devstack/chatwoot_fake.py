"""A Chatwoot fake: one instance with accounts, each with contacts and conversations with
messages, behaving as Chatwoot's Application API does for what the connector uses.

- ``/api/v1/accounts/{account_id}/...`` with header ``api_access_token``; an unknown token
  answers 401 ``{"error": "Invalid Access Token"}``, another account's id 401 too.
- Users: the account's own token is an administrator's; ``add_agent`` adds agents, each a
  member of some inboxes. ``GET /api/v1/profile`` gives the token's user with its role in
  each account (``accounts[].role``). An agent sees only the conversations of its inboxes
  (``User#assigned_inboxes``), counts included; an administrator sees every inbox's.
- ``GET /conversations?status=&assignee_type=&page=``: ``results_per_page`` a page (the
  instance's ``CONVERSATION_RESULTS_PER_PAGE``, 25 unless a test sets it), most recent
  activity first, ``status`` defaults to ``open`` (``all`` for every one); ``{"data":
  {"meta": {…, "all_count"}, "payload": [...]}}``; each conversation names its contact in
  ``meta.sender`` (the contact as the contacts API shows it).
- ``GET /conversations/{id}/messages?after=``: up to 100 messages with a higher id, oldest
  first; without ``after``, the latest 20. Message ids grow across the whole instance.
- ``GET /contacts?page=``: 15 a page, ``{"meta": {"count", "current_page"}, "payload"}``,
  only contacts with an email, a phone number or an identifier ("resolved" contacts);
  ``add_contacts(..., identified=False)`` makes the others (a website's visitors).
- Timestamps are Unix seconds. Requests per minute per account (``per_minute``): beyond,
  429 with Rack::Attack's plain-text body. Failures on demand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from devstack.fakes import Answer, Failures, Fake, Request, RollingLimit, json_answer
from ponte.clock import get_clock

_ACCOUNT = re.compile(r"^/api/v1/accounts/(\d+)(/.*)$")
PROFILE = "/api/v1/profile"
_MESSAGES = re.compile(r"^/conversations/(\d+)/messages$")
STATUSES = ("open", "resolved", "pending", "snoozed")


@dataclass
class ChatwootAccount:
    account_id: int
    token: str
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    conversations: dict[int, dict[str, Any]] = field(default_factory=dict)
    messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    failures: Failures = field(default_factory=Failures)
    limit: RollingLimit = field(default_factory=lambda: RollingLimit(3000, 60.0))
    next_display_id: int = 0
    agents: dict[str, set[int]] = field(default_factory=dict)  # token -> inbox ids

    def role(self, token: str) -> str | None:
        if token == self.token:
            return "administrator"
        return "agent" if token in self.agents else None

    def inboxes(self, token: str) -> set[int] | None:
        """The inboxes a token's user sees (None: every one, an administrator)."""
        return None if token == self.token else self.agents.get(token, set())


class ChatwootFake(Fake):
    name = "chatwoot"

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[int, ChatwootAccount] = {}
        self._next_id = 5000  # message and contact ids: instance-wide, growing
        self.results_per_page = 25  # the instance's CONVERSATION_RESULTS_PER_PAGE

    # -- data ------------------------------------------------------------------------------
    def add_account(
        self,
        account_id: int,
        token: str,
        *,
        conversations: int = 0,
        messages: int = 1,
        contacts: int = 0,
        per_minute: int = 3000,
    ) -> ChatwootAccount:
        account = ChatwootAccount(account_id, token, limit=RollingLimit(per_minute, 60.0))
        with self.lock:
            self.accounts[account_id] = account
        self.add_contacts(account_id, contacts)
        for _ in range(conversations):
            self.add_conversation(account_id, messages=messages)
        return account

    def _now(self) -> int:
        return int(get_clock().now().timestamp())

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add_agent(self, account_id: int, token: str, inboxes: set[int]) -> None:
        """An agent of the account, a member of ``inboxes``."""
        with self.lock:
            self.accounts[account_id].agents[token] = set(inboxes)

    def add_contacts(
        self,
        account_id: int,
        count: int,
        *,
        identified: bool = True,
        fields: dict[str, Any] | None = None,
    ) -> list[int]:
        """Contacts (each with ``fields``: an ``email``, ``phone_number``, ``identifier``…);
        ``identified=False``: without email, phone or identifier (the contacts list leaves
        them out)."""
        account, now, ids = self.accounts[account_id], self._now(), []
        with self.lock:
            for _ in range(count):
                contact_id = self._id()
                account.contacts[contact_id] = {
                    "id": contact_id,
                    "name": f"Contact {contact_id}" if identified else f"Visitor {contact_id}",
                    "email": f"contact{contact_id}@example.com" if identified else None,
                    "phone_number": None, "identifier": None, "thumbnail": "",
                    "additional_attributes": {}, "availability_status": "offline",
                    "created_at": now, "last_activity_at": now, "custom_attributes": {},
                } | (fields or {})  # fmt: skip
                ids.append(contact_id)
        return ids

    def add_conversation(
        self, account_id: int, *, messages: int = 1, contact: int | None = None, inbox: int = 1
    ) -> int:
        """A conversation in ``inbox`` with ``contact`` (default: the account's contacts in
        turn, or a new visitor when it has none)."""
        account = self.accounts[account_id]
        if contact is None:
            known = sorted(account.contacts)
            contact = (
                known[account.next_display_id % len(known)]
                if known else self.add_contacts(account_id, 1, identified=False)[0]
            )  # fmt: skip
        now = self._now()
        with self.lock:
            account.next_display_id += 1
            display_id = account.next_display_id
            account.conversations[display_id] = {
                "id": display_id, "account_id": account_id, "inbox_id": inbox,
                "status": STATUSES[display_id % len(STATUSES)], "labels": [],
                "created_at": now, "timestamp": now, "last_activity_at": now,
                "agent_last_seen_at": 0, "contact_last_seen_at": 0, "unread_count": 0,
                "contact_id": contact, "meta": {"channel": "Channel::Api"},
            }  # fmt: skip
            account.messages[display_id] = []
        for _ in range(messages):
            self.add_message(account_id, display_id)
        return display_id

    def add_message(self, account_id: int, conversation_id: int, content: str = "") -> int:
        """A new message: the conversation's last activity moves to now."""
        account, now = self.accounts[account_id], self._now()
        with self.lock:
            message_id = self._id()
            account.messages[conversation_id].append({
                "id": message_id, "content": content or f"Message {message_id}",
                "message_type": message_id % 2, "created_at": now, "private": False,
                "conversation_id": conversation_id, "attachments": [],
            })  # fmt: skip
            conversation = account.conversations[conversation_id]
            conversation["last_activity_at"] = conversation["timestamp"] = now
        return message_id

    # -- HTTP ------------------------------------------------------------------------------
    def answer(self, request: Request, now: float) -> tuple[str, Answer]:  # noqa: PLR0911 - a router
        token = request.headers.get("api-access-token", "")
        if request.path == PROFILE and request.method == "GET":
            return self._profile(token)
        match = _ACCOUNT.match(request.path)
        account = self.accounts.get(int(match.group(1))) if match else None
        if match is None or account is None or account.role(token) is None:
            return "", json_answer(401, {"error": "Invalid Access Token"})
        key, path = str(account.account_id), match.group(2)
        failure = account.failures.take()
        if failure is not None:
            status, retry_after = failure
            return key, account.failures.answer(status, retry_after, {"error": "Injected"})
        if account.limit.admit(now) is not None:
            return key, Answer(429, b"Retry later\n", "text/plain")
        if request.method != "GET":
            return key, json_answer(404, {"error": "Resource could not be found"})
        if path == "/conversations":
            return key, self._conversations(account, request.query, account.inboxes(token))
        if path == "/contacts":
            return key, self._contacts(account, request.query)
        if found := _MESSAGES.match(path):
            return key, self._messages(account, int(found.group(1)), request.query)
        return key, json_answer(404, {"error": "Resource could not be found"})

    @staticmethod
    def _page(query: dict[str, str]) -> int:
        raw = query.get("page", "1")
        return int(raw) if raw.isdigit() and int(raw) > 0 else 1

    def _profile(self, token: str) -> tuple[str, Answer]:
        """The token's user, with its role in each account it belongs to."""
        memberships = [
            {"id": a.account_id, "name": f"Account {a.account_id}", "status": "active",
             "role": a.role(token), "availability": "online", "auto_offline": True}
            for a in self.accounts.values() if a.role(token) is not None
        ]  # fmt: skip
        if not memberships:
            return "", json_answer(401, {"error": "Invalid Access Token"})
        user = {
            "id": abs(hash(token)) % 10**6, "name": "User", "email": "user@example.com",
            "account_id": memberships[0]["id"], "role": memberships[0]["role"],
            "accounts": memberships, "type": "User",
        }  # fmt: skip
        return str(memberships[0]["id"]), json_answer(200, user)

    def _conversations(
        self, account: ChatwootAccount, query: dict[str, str], inboxes: set[int] | None
    ) -> Answer:
        status = query.get("status", "open")
        ordered = sorted(
            (c for c in account.conversations.values()
             if (status == "all" or c["status"] == status)
             and (inboxes is None or c["inbox_id"] in inboxes)),
            key=lambda c: (c["last_activity_at"], c["id"]),
            reverse=True,
        )  # fmt: skip
        size = self.results_per_page
        start = (self._page(query) - 1) * size
        payload = [
            {k: v for k, v in c.items() if k != "contact_id"} | {
                "messages": account.messages[c["id"]][-1:],
                "meta": c["meta"] | {"sender": account.contacts[c["contact_id"]]},
            }
            for c in ordered[start : start + size]
        ]  # fmt: skip
        meta = {"mine_count": 0, "assigned_count": 0, "unassigned_count": len(ordered),
                "all_count": len(ordered)}  # fmt: skip
        return json_answer(200, {"data": {"meta": meta, "payload": payload}})

    def _messages(
        self, account: ChatwootAccount, conversation: int, query: dict[str, str]
    ) -> Answer:
        if conversation not in account.conversations:
            return json_answer(404, {"error": "Resource could not be found"})
        messages = account.messages[conversation]
        after = query.get("after", "")
        if after.isdigit():
            chosen = [m for m in messages if m["id"] > int(after)][:100]
        else:
            chosen = messages[-20:]
        meta = {"labels": [], "additional_attributes": {}, "contact": {"id": 1}}
        return json_answer(200, {"meta": meta, "payload": chosen})

    def _contacts(self, account: ChatwootAccount, query: dict[str, str]) -> Answer:
        resolved = (
            c for c in account.contacts.values()
            if c.get("email") or c.get("phone_number") or c.get("identifier")
        )  # fmt: skip
        ordered = sorted(resolved, key=lambda c: (c["name"], c["id"]))
        page = self._page(query)
        start = (page - 1) * 15
        meta = {"count": len(ordered), "current_page": page}
        return json_answer(200, {"meta": meta, "payload": ordered[start : start + 15]})
