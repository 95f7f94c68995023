"""HubSpot CRM v3: objects listed (full sync) or searched by last modification (increments).

- ``HUBSPOT_BASE_URL`` (default ``https://api.hubapi.com``), ``Authorization: Bearer`` with a
  private app token.
- Limits: the app's requests per 10 seconds (100 on Free/Starter, 190 above: a setting) and
  the search endpoints' 5 requests per second per account, both paced before they are hit.
- List: ``GET /crm/v3/objects/{type}?limit=100&after=…``; search:
  ``POST /crm/v3/objects/{type}/search`` sorted ascending on the last-modified property,
  ``limit`` up to 200, ``after`` paging; the search never pages past 10,000 results (HubSpot
  answers 400), so the caller restarts from the last timestamp it saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from ponte.vendors.http import VendorHttp
from ponte.vendors.pacing import Limit, Schedule, Spaced

LIST_LIMIT: Final = 100
SEARCH_LIMIT: Final = 200
SEARCH_CEILING: Final = 10_000  # results one search can page through
SEARCH_PER_SECOND: Final = Limit(5, 1.0)
# The last-modified property of each object type (contacts name it differently).
MODIFIED: Final = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}


@dataclass(frozen=True, slots=True)
class Results:
    objects: list[dict[str, Any]]
    after: str | None  # the next page's cursor; None on the last page


def client(
    token: str,
    *,
    base_url: str,
    account: str,
    per_ten_seconds: int,
    schedule: Schedule,
    max_attempts: int = 5,
    transport: Any = None,
) -> VendorHttp:
    """``account`` names the HubSpot account for pacing (the token's digest: the same app
    token is the same account, whichever connection uses it)."""
    return VendorHttp(
        vendor="HubSpot",
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        pacers={
            "default": Spaced(f"hubspot:{account}", Limit(per_ten_seconds, 10.0), schedule),
            "search": Spaced(f"hubspot-search:{account}", SEARCH_PER_SECOND, schedule),
        },
        transport=transport,
        max_attempts=max_attempts,
    )


def check(http: VendorHttp) -> None:
    """The cheapest authenticated call: one contact."""
    http.get("/crm/v3/objects/contacts", params={"limit": 1})


def list_page(http: VendorHttp, object_type: str, after: str | None) -> Results:
    params: dict[str, Any] = {"limit": LIST_LIMIT, "archived": "false"}
    if after:
        params["after"] = after
    body = http.get(f"/crm/v3/objects/{object_type}", params=params) or {}
    return _results(body)


def search_page(http: VendorHttp, object_type: str, since_ms: int, after: str | None) -> Results:
    """Objects modified at or after ``since_ms`` (epoch milliseconds), oldest first."""
    prop = MODIFIED[object_type]
    body: dict[str, Any] = {
        "filterGroups": [
            {"filters": [{"propertyName": prop, "operator": "GTE", "value": str(since_ms)}]}
        ],
        "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
        "limit": SEARCH_LIMIT,
    }
    if after:
        body["after"] = after
    answer = http.post(f"/crm/v3/objects/{object_type}/search", body, limits=("search",)) or {}
    return _results(answer)


def _results(body: dict[str, Any]) -> Results:
    objects: Sequence[Any] = body.get("results") or []
    after = ((body.get("paging") or {}).get("next") or {}).get("after")
    return Results([o for o in objects if isinstance(o, dict)], str(after) if after else None)
