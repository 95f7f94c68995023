"""Chatwoot Application API: contacts, conversations and their messages.

- The instance's origin (``https://app.chatwoot.com`` by default, or a self-hosted one; a
  trailing ``/api/v1`` is accepted); paths under ``/api/v1/accounts/{account_id}``; header
  ``api_access_token``.
- ``GET /conversations?status=all&assignee_type=all&page=N``: most recent activity first, a
  page of the instance's ``CONVERSATION_RESULTS_PER_PAGE`` (25 by default: an instance
  setting, so never assumed here), with ``data.meta.all_count``;
  ``GET /conversations/{id}/messages?after={message_id}``: up to 100 newer messages, oldest
  first; ``GET /contacts?page=N``: 15 a page, with ``meta.count``, and only the contacts with
  an email, a phone number or an identifier (the others appear as a conversation's
  ``meta.sender``). A list ends on what its answer says: an empty page, or the count read.
- ``GET /api/v1/profile``: the token's user and its role in each account. An agent's token
  sees only the conversations of that agent's inboxes (``User#assigned_inboxes``), so a
  connection needs an administrator's.
- Timestamps are Unix seconds. Throttled requests answer 429 (Rack::Attack); requests are
  paced below the instance's limit (a setting: Chatwoot Cloud publishes none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ponte.vendors.http import VendorAuthError, VendorHttp
from ponte.vendors.pacing import Limit, Schedule, Spaced

MESSAGES_PER_PAGE: Final = 100  # ``after=``: Chatwoot's MessageFinder returns at most 100
API_SUFFIX: Final = "/api/v1"


@dataclass(frozen=True, slots=True)
class Listed:
    items: list[dict[str, Any]]
    count: int | None  # the total the vendor reports, when it does


def origin(base_url: str) -> str:
    """The instance's origin, a trailing ``/api/v1`` (as CHATWOOT_BASE_URL used to end) dropped."""
    url = base_url.strip().rstrip("/")
    return url.removesuffix(API_SUFFIX).rstrip("/")


def client(
    base_url: str,
    account_id: str,
    token: str,
    *,
    per_minute: int,
    schedule: Schedule,
    max_attempts: int = 5,
    transport: Any = None,
) -> VendorHttp:
    instance = origin(base_url)
    return VendorHttp(
        vendor="Chatwoot",
        base_url=f"{instance}{API_SUFFIX}/accounts/{account_id}",
        headers={"api_access_token": token, "Accept": "application/json"},
        pacers={"default": Spaced(f"chatwoot:{instance}", Limit(per_minute, 60.0), schedule)},
        transport=transport,
        max_attempts=max_attempts,
    )


def check(http: VendorHttp) -> None:
    """The token's user must be an administrator of the account: Chatwoot answers 401 to a
    token it refuses, and an agent's token silently sees only that agent's inboxes."""
    instance, _, account = http.base_url.rpartition(f"{API_SUFFIX}/accounts/")
    profile = http.get(f"{instance}{API_SUFFIX}/profile") or {}
    memberships = [a for a in _dicts(profile.get("accounts")) if str(a.get("id")) == account]
    if not memberships:
        raise VendorAuthError(
            f"Chatwoot: the token's user is not a member of account {account}", 403
        )
    role = str(memberships[0].get("role") or "")
    if role != "administrator":
        raise VendorAuthError(
            f"Chatwoot: the token's user is an {role or 'unknown role'} of account {account}, "
            "not an administrator; an agent's token sees only the conversations of its own "
            "inboxes: use an administrator's access token",
            403,
        )


def conversations_page(http: VendorHttp, page: int) -> Listed:
    body = http.get(
        "/conversations", params={"status": "all", "assignee_type": "all", "page": page}
    )
    data = (body or {}).get("data") or {}
    meta = data.get("meta") or {}
    count = meta.get("all_count")
    return Listed(_dicts(data.get("payload")), int(count) if isinstance(count, int) else None)


def messages_after(http: VendorHttp, conversation_id: str, after: int) -> list[dict[str, Any]]:
    """Messages of a conversation with an id above ``after``, oldest first (at most 100)."""
    body = http.get(f"/conversations/{conversation_id}/messages", params={"after": after})
    return sorted(_dicts((body or {}).get("payload")), key=lambda m: int(m.get("id") or 0))


def contacts_page(http: VendorHttp, page: int) -> Listed:
    body = http.get("/contacts", params={"page": page, "sort": "name"}) or {}
    count = (body.get("meta") or {}).get("count")
    return Listed(_dicts(body.get("payload")), int(count) if isinstance(count, int) else None)


def _dicts(raw: Any) -> list[dict[str, Any]]:
    return [i for i in raw or [] if isinstance(i, dict)]


def web_base(base_url: str, account_id: str) -> str:
    return f"{origin(base_url)}/app/accounts/{account_id}"


def web_url(base: str, stream: str, record_id: str) -> str | None:
    """A conversation (by its ``display_id``, the ``id`` the API answers) or a contact in the
    dashboard: Chatwoot's routes ``app/accounts/:account/conversations/:id`` (config/routes.rb,
    its mailers' ``app_account_conversation_url``) and ``…/contacts/:id`` (the dashboard's
    contacts routes)."""
    return f"{base}/{stream}/{record_id}" if stream in ("conversations", "contacts") else None
