"""RD Station CRM API v2: contacts and deals (the seed's "leads"), read with a static key.

What this client relies on (sources in the README's connector section):
- ``RDSTATION_BASE_URL`` (default ``https://api.rd.services``) + ``/crm/v2``;
  ``Authorization: Bearer {apiKey}``; JSON; times ISO-8601 UTC.
- ``GET /contacts`` and ``GET /deals``: ``page[number]`` (from 1) and ``page[size]``,
  records under ``data``; ``sort`` on one field; RDQL ``filter`` (``updated_at:>="…"``).
- Paging is by page number only (an offset): a record that changes moves to the end of an
  ``updated_at`` sort and shifts the rest, so the caller pages by key instead (each query
  filters from the last ``updated_at`` second read) and reads that boundary again.
- A list query returns only its first 10,000 rows.
- 120 requests per minute per account; beyond, 429 with ``Retry-After`` (seconds). Paced
  before it is hit.
"""

from __future__ import annotations

from typing import Any, Final

from ponte.vendors.http import VendorHttp
from ponte.vendors.pacing import Limit, Schedule, Spaced

PAGE_SIZE: Final = 100
ROW_CEILING: Final = 10_000  # rows one list query can page through
RESOURCES: Final = {"contacts": "contacts", "leads": "deals"}


def client(
    api_key: str,
    *,
    base_url: str,
    account: str,
    per_minute: int,
    schedule: Schedule,
    max_attempts: int = 5,
    transport: Any = None,
) -> VendorHttp:
    """``account`` names the RD Station account for pacing (the key's digest)."""
    return VendorHttp(
        vendor="RD Station",
        base_url=f"{base_url.rstrip('/')}/crm/v2",
        headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
        pacers={"default": Spaced(f"rdstation:{account}", Limit(per_minute, 60.0), schedule)},
        transport=transport,
        max_attempts=max_attempts,
    )


def check(http: VendorHttp) -> None:
    """The cheapest authenticated call: one contact."""
    http.get("/contacts", params={"page[number]": 1, "page[size]": 1})


def rdql_time(iso: str) -> str:
    """A normalised time as an RDQL DateTime literal (quoted: it holds a space)."""
    return '"' + iso.replace("T", " ").removesuffix("Z")[:19] + '"'


def list_page(
    http: VendorHttp, stream: str, page: int, since: str, *, before: str = ""
) -> list[dict[str, Any]]:
    """Records of ``stream`` updated at or after ``since`` (all when '') and, with
    ``before``, before it (RDQL compares whole seconds), oldest change first."""
    params: dict[str, Any] = {
        "page[number]": page,
        "page[size]": PAGE_SIZE,
        "sort": "updated_at",
    }
    conditions = [f"updated_at:>={rdql_time(since)}"] if since else []
    if before:
        conditions.append(f"updated_at:<{rdql_time(before)}")
    if conditions:
        params["filter"] = " ".join(conditions)
    body = http.get(f"/{RESOURCES[stream]}", params=params) or {}
    return [r for r in body.get("data") or [] if isinstance(r, dict)]
