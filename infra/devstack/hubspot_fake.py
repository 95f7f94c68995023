"""A HubSpot fake: CRM v3 objects (contacts, companies, deals) per private app token,
behaving as HubSpot does for what the connector uses.

- ``GET /crm/v3/objects/{type}?limit=&after=`` (limit ≤ 100), ``paging.next.after`` until the
  last page; ``POST /crm/v3/objects/{type}/search`` with a GTE filter on the last-modified
  property, one ascending sort, ``limit`` ≤ 200, ``after`` paging and ``total``; paging past
  10,000 results answers 400, as HubSpot does.
- 401 with HubSpot's error body for an unknown token.
- Limits per token: ``per_ten_seconds`` requests in any 10 s (TEN_SECONDLY_ROLLING) and 5
  searches in any second; beyond them, 429 with HubSpot's body.
- Failures on demand (``failures.fail_next(503, 503)``, ``fail_next(429, retry_after=2)``), or
  an object type that keeps answering 500 (``down``).
- ``change`` and ``add`` edit the data; times come from the (virtual) clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devstack.fakes import Answer, Failures, Fake, Request, RollingLimit, json_answer

TYPES = ("contacts", "companies", "deals")
MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate",
            "deals": "hs_lastmodifieddate"}  # fmt: skip
CEILING = 10_000
_LIST = re.compile(r"^/crm/v3/objects/(contacts|companies|deals)$")
_SEARCH = re.compile(r"^/crm/v3/objects/(contacts|companies|deals)/search$")


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclass
class HubSpotAccount:
    token: str
    objects: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {t: {} for t in TYPES}
    )
    failures: Failures = field(default_factory=Failures)
    down: set[str] = field(default_factory=set)  # object types whose requests answer 500
    general: RollingLimit = field(default_factory=lambda: RollingLimit(100, 10.0))
    search: RollingLimit = field(default_factory=lambda: RollingLimit(5, 1.0))
    next_id: int = 1000


class HubSpotFake(Fake):
    name = "hubspot"

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, HubSpotAccount] = {}

    # -- data ------------------------------------------------------------------------------
    def add_account(
        self, token: str, *, per_ten_seconds: int = 100, **counts: int
    ) -> HubSpotAccount:
        account = HubSpotAccount(token, general=RollingLimit(per_ten_seconds, 10.0))
        with self.lock:
            self.accounts[token] = account
        for object_type, count in counts.items():
            self.add(token, object_type, count)
        return account

    def add(
        self, token: str, object_type: str, count: int, *, at_ms: int | None = None
    ) -> list[str]:
        """New objects, modified now (or at ``at_ms``); returns their ids."""
        account = self.accounts[token]
        stamp = at_ms if at_ms is not None else self._now_ms()
        ids = []
        with self.lock:
            for _ in range(count):
                account.next_id += 1
                object_id = str(account.next_id)
                account.objects[object_type][object_id] = {
                    "id": object_id,
                    "properties": {"name": f"{object_type} {object_id}", "revision": "1"},
                    "createdAt": _iso(stamp),
                    "modified": stamp,
                    "archived": False,
                }
                ids.append(object_id)
        return ids

    def change(
        self, token: str, object_type: str, ids: list[str], *, at_ms: int | None = None
    ) -> None:
        stamp = at_ms if at_ms is not None else self._now_ms()
        with self.lock:
            for object_id in ids:
                obj = self.accounts[token].objects[object_type][object_id]
                obj["properties"]["revision"] = str(int(obj["properties"]["revision"]) + 1)
                obj["modified"] = stamp

    def _now_ms(self) -> int:
        from ponte.clock import get_clock

        return int(get_clock().now().timestamp() * 1000)

    # -- HTTP ------------------------------------------------------------------------------
    def answer(self, request: Request, now: float) -> tuple[str, Answer]:  # noqa: PLR0911 - a router
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        account = self.accounts.get(token)
        if account is None:
            return "", json_answer(401, {
                "status": "error", "category": "INVALID_AUTHENTICATION",
                "message": "Authentication credentials not found.",
                "correlationId": "00000000-0000-0000-0000-000000000000",
            })  # fmt: skip
        key = token[-6:]
        failure = account.failures.take()
        if failure is not None:
            status, retry_after = failure
            return key, account.failures.answer(
                status, retry_after, {"status": "error", "message": "Injected"}
            )
        if any(f"/objects/{kind}" in request.path for kind in account.down):
            return key, json_answer(500, {"status": "error", "message": "internal error"})
        searching = bool(_SEARCH.match(request.path))
        for limit, policy in ((account.general, "TEN_SECONDLY_ROLLING"),
                              (account.search if searching else None, "SECONDLY")):  # fmt: skip
            if limit is not None and limit.admit(now) is not None:
                return key, json_answer(429, {
                    "status": "error", "errorType": "RATE_LIMIT", "policyName": policy,
                    "message": f"You have reached your {policy.lower()} limit.",
                })  # fmt: skip
        if request.method == "GET" and (match := _LIST.match(request.path)):
            return key, self._list(account, match.group(1), request.query)
        if request.method == "POST" and (match := _SEARCH.match(request.path)):
            return key, self._search(account, match.group(1), request.json() or {})
        return key, json_answer(404, {"status": "error", "message": "Not found"})

    def _public(self, object_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        modified = _iso(obj["modified"])
        return {
            "id": obj["id"],
            "properties": obj["properties"]
            | {MODIFIED[object_type]: modified, "hs_object_id": obj["id"]},
            "createdAt": obj["createdAt"],
            "updatedAt": modified,
            "archived": obj["archived"],
        }

    def _list(self, account: HubSpotAccount, object_type: str, query: dict[str, str]) -> Answer:
        limit = min(100, max(1, int(query.get("limit", "10"))))
        start = int(query.get("after", "0") or 0)
        ordered = sorted(account.objects[object_type].values(), key=lambda o: int(o["id"]))
        page = ordered[start : start + limit]
        body: dict[str, Any] = {"results": [self._public(object_type, o) for o in page]}
        if start + limit < len(ordered):
            body["paging"] = {"next": {"after": str(start + limit)}}
        return json_answer(200, body)

    def _search(self, account: HubSpotAccount, object_type: str, body: dict[str, Any]) -> Answer:
        limit = int(body.get("limit", 10))
        start = int(body.get("after") or 0)
        if limit > 200:
            return _invalid("limit must be at most 200")
        if start + limit > CEILING:
            return _invalid("paging past 10,000 results is not allowed")
        since = 0
        for group in body.get("filterGroups") or []:
            for flt in group.get("filters") or []:
                if (
                    flt.get("propertyName") == MODIFIED[object_type]
                    and flt.get("operator") == "GTE"
                ):
                    since = int(flt["value"])
        matching = sorted(
            (o for o in account.objects[object_type].values() if o["modified"] >= since),
            key=lambda o: (o["modified"], int(o["id"])),
        )
        page = matching[start : start + limit]
        answer: dict[str, Any] = {
            "total": len(matching),
            "results": [self._public(object_type, o) for o in page],
        }
        if start + limit < len(matching):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        return json_answer(200, answer)


def _invalid(message: str) -> Answer:
    return json_answer(400, {"status": "error", "category": "VALIDATION_ERROR", "message": message})
