"""HubSpot CRM v3: objects listed (full sync), searched by last modification (increments),
and listed archived (deletions).

- ``HUBSPOT_BASE_URL`` (default ``https://api.hubapi.com``), ``Authorization: Bearer`` with a
  private app token.
- Limits: the app's requests per 10 seconds (100 on Free/Starter, 190 above: a setting), and
  searches a few a second per account (5 in the usage guidelines, 4 per token in the
  changelog that raised it: Ponte keeps to 4). A search counts against both, as HubSpot does
  not say it is exempt from the 10-second budget. Both are paced before they are hit.
- List: ``GET /crm/v3/objects/{type}?limit=100&after=…`` in id order, ``after`` naming the
  last object read; ``archived=true`` lists only archived (deleted) objects, with
  ``archivedAt``.
- Search: ``POST /crm/v3/objects/{type}/search``, filter groups (AND within, OR between),
  one sort rule, ``limit`` up to 200. Ponte never pages a search with ``after`` (an offset:
  records that change move and shift the rest, and it stops at 10,000 results); each query
  starts from the last key it read instead.
- Associations: ``POST /crm/v4/associations/{from}/{to}/batch/read``, up to 1,000 ids a
  request; each id's associations are paged on their own (``paging.next.after`` beside it,
  sent back with the id). An id with none is left out of ``results`` and named in ``errors``
  (``crm.associations.NO_ASSOCIATIONS_FOUND``, a 207); any other error fails the read, so a
  deal never loses its contacts to a refusal. Search answers carry no associations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from ponte.domain.nested import dig
from ponte.vendors.http import VendorHttp, VendorRejected
from ponte.vendors.pacing import Limit, Schedule, Spaced

LIST_LIMIT: Final = 100
SEARCH_LIMIT: Final = 200
ASSOCIATION_IDS: Final = 1000  # ids a batch read takes (HubSpot's changelog, 2025-02-10)
NONE_ASSOCIATED: Final = "crm.associations.NO_ASSOCIATIONS_FOUND"
SEARCH_PER_SECOND: Final = Limit(4, 1.0)
OBJECT_ID: Final = "hs_object_id"
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


def list_page(
    http: VendorHttp, object_type: str, after: str | None, *, archived: bool = False
) -> Results:
    """A page of the objects (``archived``: only the archived ones), in id order."""
    params: dict[str, Any] = {"limit": LIST_LIMIT, "archived": "true" if archived else "false"}
    if after:
        params["after"] = after
    body = http.get(f"/crm/v3/objects/{object_type}", params=params) or {}
    return _results(body)


def modified_since(http: VendorHttp, object_type: str, since_ms: int) -> Results:
    """The first objects modified at or after ``since_ms`` (epoch milliseconds), oldest
    modification first (HubSpot orders equal times as it likes)."""
    prop = MODIFIED[object_type]
    return _search(http, object_type, [_filter(prop, "GTE", since_ms)], _sort(prop))


def modified_at(http: VendorHttp, object_type: str, at_ms: int, after_id: str | None) -> Results:
    """The objects modified exactly at ``at_ms`` with an id above ``after_id``, by id."""
    filters = [_filter(MODIFIED[object_type], "EQ", at_ms)]
    if after_id is not None:
        filters.append(_filter(OBJECT_ID, "GT", after_id))
    return _search(http, object_type, filters, _sort(OBJECT_ID))


def associated(
    http: VendorHttp, from_type: str, to_type: str, ids: Sequence[str]
) -> dict[str, list[str]]:
    """The ids of ``to_type`` objects associated with each of ``ids`` (an id with none maps to
    an empty list), every page of them."""
    found: dict[str, dict[str, None]] = {i: {} for i in ids}  # ordered sets
    asking: list[dict[str, str]] = [{"id": i} for i in found]
    asked: set[tuple[str, str]] = set()  # (id, after): a page token is never followed twice
    path = f"/crm/v4/associations/{from_type}/{to_type}/batch/read"
    while asking:
        batch, asking = asking[:ASSOCIATION_IDS], asking[ASSOCIATION_IDS:]
        answer = http.post(path, {"inputs": batch}) or {}
        _refuse_errors(answer, path)
        for result in answer.get("results") or []:
            source = str(dig(result, "from", "id") or "")
            if source not in found:
                continue
            for target in result.get("to") or []:
                if isinstance(target, dict) and target.get("toObjectId") is not None:
                    found[source][str(target["toObjectId"])] = None
            after = dig(result, "paging", "next", "after")
            if after and (source, str(after)) not in asked:
                asked.add((source, str(after)))
                asking.append({"id": source, "after": str(after)})
    return {source: list(targets) for source, targets in found.items()}


def _refuse_errors(answer: dict[str, Any], path: str) -> None:
    """An id that could not be read for another reason than having no associations (a
    missing scope, say) fails the read rather than pass for one with none."""
    for error in answer.get("errors") or []:
        if isinstance(error, dict) and error.get("subCategory") != NONE_ASSOCIATED:
            detail = f"{error.get('category', '')}: {error.get('message', '')}"
            raise VendorRejected(f"HubSpot POST {path}: {detail}", 207, detail)


def _filter(prop: str, operator: str, value: int | str) -> dict[str, str]:
    return {"propertyName": prop, "operator": operator, "value": str(value)}


def _sort(prop: str) -> dict[str, str]:
    return {"propertyName": prop, "direction": "ASCENDING"}


def _search(
    http: VendorHttp, object_type: str, filters: list[dict[str, str]], sort: dict[str, str]
) -> Results:
    body = {"filterGroups": [{"filters": filters}], "sorts": [sort], "limit": SEARCH_LIMIT}
    answer = http.post(f"/crm/v3/objects/{object_type}/search", body, limits=("search",)) or {}
    return _results(answer)


def _results(body: dict[str, Any]) -> Results:
    objects: Sequence[Any] = body.get("results") or []
    after = ((body.get("paging") or {}).get("next") or {}).get("after")
    return Results([o for o in objects if isinstance(o, dict)], str(after) if after else None)
