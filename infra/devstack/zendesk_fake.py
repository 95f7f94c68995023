"""A Zendesk fake: accounts by subdomain, each with tickets and users, behaving as Zendesk
Support does for the incremental exports.

- ``/{subdomain}/api/v2/...`` (``ZENDESK_BASE_URL=http://host:port/{subdomain}/api/v2``);
  basic auth ``{email}/token:{api_token}``, else 401 ``{"error": "Couldn't authenticate you"}``.
- Users with roles: the account's own email/token is an admin's; ``add_user`` adds others
  (``agent``, ``end-user``). ``GET /users/me.json`` says who and what role; the incremental
  exports are "Allowed for: Admins": anyone else gets 403 ``{"error": "Forbidden"}``.
- ``GET /incremental/{tickets|users}/cursor.json`` with
  ``start_time`` (epoch seconds) or ``cursor``, ``per_page`` ≤ 1000: items in the order of
  their last change, ``after_cursor`` and ``end_of_stream``; an item changed after a cursor
  comes again after it. Deleted items stay in the exports, as Zendesk's do: a deleted ticket
  with ``status: "deleted"`` (left out with ``exclude_deleted=true``), a deleted user with
  ``active: false``.
- Exports: 10 requests in any minute per account, beyond that 429 with ``Retry-After``.
- Failures on demand; ``change`` and ``add`` edit the data at the (virtual) clock's time.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devstack.fakes import Answer, Failures, Fake, Request, RollingLimit, json_answer
from ponte.clock import get_clock

RESOURCES = ("tickets", "users")
_EXPORT = re.compile(r"^/incremental/(tickets|users)/cursor\.json$")


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cursor(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}.{position[1]}".encode()).decode()


def _position(cursor: str) -> tuple[int, int] | None:
    try:
        stamp, item = base64.urlsafe_b64decode(cursor.encode()).decode().split(".")
        return int(stamp), int(item)
    except ValueError:
        return None


@dataclass
class ZendeskAccount:
    subdomain: str
    email: str
    token: str
    items: dict[str, dict[int, dict[str, Any]]] = field(
        default_factory=lambda: {r: {} for r in RESOURCES}
    )
    failures: Failures = field(default_factory=Failures)
    exports: RollingLimit = field(default_factory=lambda: RollingLimit(10, 60.0))
    next_id: int = 100
    others: dict[str, tuple[str, str]] = field(default_factory=dict)  # email -> (token, role)

    def role(self, email: str, token: str) -> str | None:
        """The role of whom the credentials are, None when they are nobody's."""
        if (email, token) == (self.email, self.token):
            return "admin"
        found = self.others.get(email)
        return found[1] if found is not None and found[0] == token else None


class ZendeskFake(Fake):
    name = "zendesk"

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, ZendeskAccount] = {}

    # -- data ------------------------------------------------------------------------------
    def add_account(self, subdomain: str, email: str, token: str, **counts: int) -> ZendeskAccount:
        account = ZendeskAccount(subdomain, email, token)
        with self.lock:
            self.accounts[subdomain] = account
        for resource, count in counts.items():
            self.add(subdomain, resource, count)
        return account

    def add_user(self, subdomain: str, email: str, token: str, role: str = "agent") -> None:
        """Another user of the account with an API token (an agent's cannot export)."""
        with self.lock:
            self.accounts[subdomain].others[email] = (token, role)

    def add(
        self,
        subdomain: str,
        resource: str,
        count: int,
        *,
        description: str = "",
        fields: dict[str, Any] | None = None,
    ) -> list[int]:
        """New items; tickets with ``description`` (a long one makes a large ticket); each
        with ``fields`` (a user's ``email``/``phone``, a ticket's ``requester_id``)."""
        account = self.accounts[subdomain]
        now = self._now()
        ids = []
        with self.lock:
            for _ in range(count):
                account.next_id += 1
                item_id = account.next_id
                body: dict[str, Any] = {"id": item_id, "created_at": _iso(now)}
                if resource == "tickets":
                    body |= {"subject": f"Ticket {item_id}", "status": "open", "priority": "normal"}
                    if description:
                        body["description"] = description
                else:
                    body |= {"name": f"User {item_id}", "email": f"user{item_id}@example.com",
                             "active": True}  # fmt: skip
                account.items[resource][item_id] = body | (fields or {}) | {
                    "changed": now, "revision": 1}  # fmt: skip
                ids.append(item_id)
        return ids

    def change(self, subdomain: str, resource: str, ids: list[int]) -> None:
        now = self._now()
        with self.lock:
            for item_id in ids:
                item = self.accounts[subdomain].items[resource][item_id]
                item["revision"] += 1
                item["changed"] = now

    def delete(self, subdomain: str, resource: str, ids: list[int]) -> None:
        """Delete items now: a ticket's status becomes "deleted", a user is no longer
        active; both come again in the export."""
        now = self._now()
        with self.lock:
            for item_id in ids:
                item = self.accounts[subdomain].items[resource][item_id]
                if resource == "tickets":
                    item["status"] = "deleted"
                else:
                    item["active"] = False
                item["revision"] += 1
                item["changed"] = now

    def _now(self) -> int:
        return int(get_clock().now().timestamp())

    # -- HTTP ------------------------------------------------------------------------------
    def answer(self, request: Request, now: float) -> tuple[str, Answer]:  # noqa: PLR0911 - a router
        _, _, rest = request.path.partition("/")
        subdomain, _, path = rest.partition("/")
        path = "/" + path.removeprefix("api/v2/")
        account = self.accounts.get(subdomain)
        if account is None:
            return subdomain, json_answer(404, {"error": "RecordNotFound",
                                                "description": "Not found"})  # fmt: skip
        who = self._authenticated(account, request.headers.get("authorization", ""))
        if who is None:
            return subdomain, json_answer(401, {"error": "Couldn't authenticate you"})
        email, role = who
        failure = account.failures.take()
        if failure is not None:
            status, retry_after = failure
            return subdomain, account.failures.answer(status, retry_after, {"error": "Injected"})
        if path == "/users/me.json":
            return subdomain, json_answer(200, {"user": {"id": 1 + len(email), "email": email,
                                                         "role": role}})  # fmt: skip
        match = _EXPORT.match(path)
        if request.method != "GET" or match is None:
            return subdomain, json_answer(404, {"error": "InvalidEndpoint"})
        if role != "admin":
            return subdomain, json_answer(403, {
                "error": "Forbidden", "description": "You do not have access to this page.",
            })  # fmt: skip
        wait = account.exports.admit(now)
        if wait is not None:
            headers = (("Retry-After", str(max(1, round(wait + 0.5)))),)
            return subdomain, json_answer(429, {"error": "TooManyRequests"}, headers)
        return subdomain, self._export(account, match.group(1), request.query)

    @staticmethod
    def _authenticated(account: ZendeskAccount, header: str) -> tuple[str, str] | None:
        """(email, role) of whom the basic auth is, None for no one."""
        if not header.startswith("Basic "):
            return None
        try:
            user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        email, _, kind = user.rpartition("/")
        role = account.role(email, secret) if kind == "token" else None
        return None if role is None else (email, role)

    def _export(self, account: ZendeskAccount, resource: str, query: dict[str, str]) -> Answer:
        per_page = min(1000, max(1, int(query.get("per_page", "1000"))))
        if "cursor" in query:
            after = _position(query["cursor"])
            if after is None:
                return json_answer(400, {"error": "InvalidCursor"})
        elif "start_time" in query:
            after = (int(query["start_time"]) - 1, 2**62)
        else:
            return json_answer(400, {"error": "start_time or cursor is required"})
        hidden = resource == "tickets" and query.get("exclude_deleted") == "true"
        ordered = sorted(
            (
                i
                for i in account.items[resource].values()
                if (i["changed"], i["id"]) > after and not (hidden and i["status"] == "deleted")
            ),
            key=lambda i: (i["changed"], i["id"]),
        )
        page = ordered[:per_page]
        last = (page[-1]["changed"], page[-1]["id"]) if page else after
        items = [_public(i) for i in page]
        cursor = _cursor(last)
        return json_answer(200, {
            resource: items,
            "after_cursor": cursor,
            "after_url": f"/api/v2/incremental/{resource}/cursor.json?cursor={cursor}",
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": len(ordered) <= per_page,
        })  # fmt: skip


def _public(item: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in item.items() if k != "changed"}
    return body | {"updated_at": _iso(item["changed"]), "generated_timestamp": item["changed"]}
