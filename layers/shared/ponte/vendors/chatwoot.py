"""Chatwoot Application API: contacts, conversations and their messages.

- The instance's origin (``https://app.chatwoot.com`` by default, or a self-hosted one; a
  trailing ``/api/v1`` is accepted); paths under ``/api/v1/accounts/{account_id}``; header
  ``api_access_token``.
- ``GET /conversations?status=all&assignee_type=all&page=N``: 25 a page, most recent activity
  first; ``GET /conversations/{id}/messages?after={message_id}``: up to 100 newer messages,
  oldest first; ``GET /contacts?page=N``: 15 a page, with ``meta.count``.
- Timestamps are Unix seconds. Throttled requests answer 429 (Rack::Attack); requests are
  paced below the instance's limit (a setting: Chatwoot Cloud publishes none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ponte.vendors.http import VendorHttp
from ponte.vendors.pacing import Limit, Schedule, Spaced

CONVERSATIONS_PER_PAGE: Final = 25
CONTACTS_PER_PAGE: Final = 15
MESSAGES_PER_PAGE: Final = 100
API_SUFFIX: Final = "/api/v1"


@dataclass(frozen=True, slots=True)
class Listed:
    items: list[dict[str, Any]]
    count: int | None  # the total the vendor reports, when it does


def origin(base_url: str) -> str:
    """The instance's origin: a trailing ``/api/v1`` (the seed's CHATWOOT_BASE_URL) dropped."""
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
    """One page of contacts: Chatwoot answers 401 to a token it refuses."""
    http.get("/contacts", params={"page": 1})


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
