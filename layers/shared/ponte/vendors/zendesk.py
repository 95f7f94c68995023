"""Zendesk Support: cursor-based incremental exports of tickets and users.

- ``ZENDESK_BASE_URL`` (default ``https://{subdomain}.zendesk.com/api/v2``); basic auth with
  ``{email}/token`` and the API token.
- ``GET /incremental/{tickets|users}/cursor.json``: ``start_time`` (epoch seconds) on the
  first call, then ``cursor={after_cursor}``, until ``end_of_stream``; up to 1000 per page.
- Incremental exports: 10 requests per minute per account, paced before they are hit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ponte.vendors.http import VendorHttp
from ponte.vendors.pacing import Limit, Schedule, Spaced

EXPORTS: Final = ("users", "tickets")  # users first: a ticket takes its requester's people


@dataclass(frozen=True, slots=True)
class Export:
    items: list[dict[str, Any]]
    after_cursor: str | None
    end_of_stream: bool


def client(
    email: str,
    token: str,
    subdomain: str,
    *,
    base_url: str,
    exports_per_minute: int,
    schedule: Schedule,
    max_attempts: int = 5,
    transport: Any = None,
) -> VendorHttp:
    import httpx

    return VendorHttp(
        vendor="Zendesk",
        base_url=base_url.format(subdomain=subdomain),
        headers={"Accept": "application/json"},
        auth=httpx.BasicAuth(f"{email}/token", token),
        pacers={
            "export": Spaced(f"zendesk:{subdomain}", Limit(exports_per_minute, 60.0), schedule)
        },
        transport=transport,
        max_attempts=max_attempts,
    )


def check(http: VendorHttp) -> None:
    """Who the credentials belong to, and that they may export: Zendesk answers 401 to
    credentials it refuses, and its incremental exports are "Allowed for: Admins" (an
    agent's token reads ``/users/me.json`` and is then refused every export, 403)."""
    from ponte.vendors.http import VendorAuthError

    me = (http.get("/users/me.json") or {}).get("user") or {}
    if me.get("id") is None:  # an anonymous user: the credentials were not recognised
        raise VendorAuthError("Zendesk GET /users/me.json: the credentials were refused")
    role = str(me.get("role") or "")
    if role != "admin":
        raise VendorAuthError(
            f"Zendesk: the token's user is an {role or 'unknown role'}, not an administrator; "
            "the incremental exports are allowed for admins only: use an administrator's "
            "email and API token",
            403,
        )


def export_page(http: VendorHttp, resource: str, *, cursor: str | None, start_time: int) -> Export:
    params: dict[str, Any] = {"cursor": cursor} if cursor else {"start_time": start_time}
    body = http.get(f"/incremental/{resource}/cursor.json", params=params, limits=("export",))
    body = body or {}
    items = [i for i in body.get(resource) or [] if isinstance(i, dict)]
    return Export(items, body.get("after_cursor"), bool(body.get("end_of_stream")))


_WEB_PATHS: Final = {"tickets": "tickets", "users": "users"}


def web_base(subdomain: str) -> str:
    return f"https://{subdomain}.zendesk.com/agent"


def web_url(base: str, stream: str, record_id: str) -> str | None:
    """A ticket or user in Zendesk's agent interface (``/agent/tickets/{id}``,
    ``/agent/users/{id}``: the addresses Zendesk's own links and apps open)."""
    path = _WEB_PATHS.get(stream)
    return f"{base}/{path}/{record_id}" if path else None
