"""Movidesk Tickets API: tickets changed in a window.

- ``MOVIDESK_BASE_URL`` (default ``https://api.movidesk.com/public/v1``); the token travels in
  the query string (``token=``) on every request, so it is never logged: request lines are
  redacted (``vendors.http``) and errors name the path only.
- ``GET /tickets`` with a ``$select`` (required for lists), ``$expand=clients,actions($select=…)``
  for the ticket's clients and actions, ``$filter`` on ``lastUpdate``,
  ``$orderby=lastUpdate asc,id asc`` and ``$top`` ≤ 100; a bare JSON array. Tickets whose
  ``lastUpdate`` is older than 90 days are at ``/tickets/past``.
- Paging is by key, not ``$skip``: the next page starts after the last (lastUpdate, id) seen,
  so a ticket changed during the run moves behind the cursor and is read once more at the
  end, never skipped, and none is read twice in its old place.
- 10 requests a minute per token (paced across invocations); ``retry-after`` honoured. After
  3 failed requests Movidesk blocks the token, so a request is tried twice at most.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from ponte.vendors.http import VendorHttp
from ponte.vendors.pacing import Limit, Schedule, Spaced

PAGE_SIZE: Final = 100
ATTEMPTS: Final = 2


def client(
    token: str,
    *,
    base_url: str,
    account: str,
    per_minute: int,
    schedule: Schedule,
    max_attempts: int = ATTEMPTS,
    transport: Any = None,
) -> VendorHttp:
    """``account`` names the token for pacing (its digest)."""
    return VendorHttp(
        vendor="Movidesk",
        base_url=base_url.rstrip("/"),
        headers={"Accept": "application/json"},
        pacers={"default": Spaced(f"movidesk:{account}", Limit(per_minute, 60.0), schedule)},
        transport=transport,
        max_attempts=max_attempts,
        query={"token": token},
    )


def check(http: VendorHttp) -> None:
    """One ticket id: Movidesk answers 401/403 to a token it refuses."""
    http.get("/tickets", params={"$select": "id", "$top": 1})


def tickets_page(
    http: VendorHttp,
    *,
    fields: tuple[str, ...],
    action_fields: tuple[str, ...] = (),
    start: str,
    end: str,
    after: tuple[str, str] | None,
    past: bool,
) -> list[dict[str, Any]]:
    """Tickets with ``lastUpdate`` in [start, end), in (lastUpdate, id) order, after
    ``after`` = (lastUpdate, id) of the last ticket already read."""
    window = f"lastUpdate ge {start} and lastUpdate lt {end}"
    if after is not None:
        moment, ticket = after
        window += f" and (lastUpdate gt {moment} or (lastUpdate eq {moment} and id gt {ticket}))"
    params: dict[str, Any] = {
        "$select": ",".join(fields),
        "$filter": window,
        "$orderby": "lastUpdate asc,id asc",
        "$top": PAGE_SIZE,
    }
    # Clients and actions are complex properties: only expanded do they come back.
    expand = ["clients"] if "clients" in fields else []
    if action_fields:
        expand.append(f"actions($select={','.join(action_fields)})")
    if expand:
        params["$expand"] = ",".join(expand)
    body = http.get("/tickets/past" if past else "/tickets", params=params)
    return [t for t in body or [] if isinstance(t, dict)]


def ticket_url(subdomain: str, ticket_id: str) -> str:
    """The ticket in Movidesk's web app, on the account's own subdomain.

    Movidesk's API articles (KB 256, Zenvia's "Tickets API" 510136) give no web address for
    a ticket and the token does not name its account. This is the address the web app opens
    a ticket at (``https://{subdomain}.movidesk.com/Ticket/Edit/{id}``, as an agent sees it
    in the address bar, and as public integrations link tickets)."""
    return f"https://{subdomain}.movidesk.com/Ticket/Edit/{quote(ticket_id, safe='')}"
