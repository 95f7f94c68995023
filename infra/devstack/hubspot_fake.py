"""A HubSpot fake: CRM v3 objects (contacts, companies, deals) per private app token,
behaving as HubSpot does for what the connector uses (docs/vendors.md: sources).

- ``GET /crm/v3/objects/{type}?limit=&after=&archived=`` (limit ≤ 100) in id order,
  ``paging.next.after`` naming the last object read; ``archived=true`` lists only the
  archived objects, each with ``archivedAt``.
- ``POST /crm/v3/objects/{type}/search``: filter groups (AND within a group, OR between; at
  most 5 groups, 6 filters in one, 18 in all) with ``EQ``/``NEQ``/``GT``/``GTE``/``LT``/``LTE``
  on the last-modified property, ``hs_object_id``, ``createdate`` or any property; one sort
  rule (HubSpot orders records with equal values as it likes: here by a hash of their id);
  ``limit`` ≤ 200; ``after`` is an offset into the results, so records that change while a
  caller pages move and shift the rest; paging past 10,000 results answers 400. Archived
  records are not searchable.
- The search index lags writes: a created, changed or archived object shows in searches
  ``search_lag`` seconds (virtual time) after the write, as it was then; the list API sees it
  at once.
- ``POST /crm/v4/associations/{from}/{to}/batch/read``: at most 1,000 ids; each id's
  associated ids paged with its own ``paging.next.after``; ids with none left out of
  ``results`` and named in ``errors`` (a 207, ``NO_ASSOCIATIONS_FOUND``, as live answers
  recorded by others show it); ``toObjectId`` a number (the spec says string; live answers
  send numbers). Undocumented, so chosen here: the refusal of more ids (a 400), 500
  associations a page. Associating records changes neither one's modification time.
- 401 with HubSpot's error body for an unknown token.
- Limits per token: ``per_ten_seconds`` requests in any 10 s (TEN_SECONDLY_ROLLING) and 5
  searches in any second; beyond them, 429 with HubSpot's body.
- Failures on demand (``failures.fail_next(503, 503)``, ``fail_next(429, retry_after=2)``), or
  an object type that keeps answering 500 (``down``).
- ``add``, ``change``, ``archive`` and ``associate`` edit the data; times come from the
  (virtual) clock.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devstack.fakes import Answer, Failures, Fake, Request, RollingLimit, json_answer

TYPES = ("contacts", "companies", "deals")
MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate",
            "deals": "hs_lastmodifieddate"}  # fmt: skip
CEILING = 10_000
ASSOCIATION_IDS, ASSOCIATION_PAGE = 1000, 500
# HubSpot's default (unlabeled) association type ids, per direction.
TYPE_IDS = {("contacts", "companies"): 279, ("companies", "contacts"): 280,
            ("deals", "contacts"): 3, ("contacts", "deals"): 4,
            ("deals", "companies"): 341, ("companies", "deals"): 342}  # fmt: skip
SEARCH_LAG_SECONDS = 2.0  # "it may take a few moments" (HubSpot's search guide)
MAX_GROUPS, MAX_GROUP_FILTERS, MAX_FILTERS = 5, 6, 18
_LIST = re.compile(r"^/crm/v3/objects/(contacts|companies|deals)$")
_SEARCH = re.compile(r"^/crm/v3/objects/(contacts|companies|deals)/search$")
_ASSOCIATIONS = re.compile(r"^/crm/v4/associations/(contacts|companies|deals)/"
                           r"(contacts|companies|deals)/batch/read$")  # fmt: skip
_COMPARE = {
    "EQ": lambda a, b: a == b,
    "NEQ": lambda a, b: a != b,
    "GT": lambda a, b: a > b,
    "GTE": lambda a, b: a >= b,
    "LT": lambda a, b: a < b,
    "LTE": lambda a, b: a <= b,
}


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _ms(value: str) -> int:
    """A date filter's value: epoch milliseconds, or ISO-8601."""
    if value.lstrip("-").isdigit():
        return int(value)
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


class _Refused(Exception):
    """A search HubSpot answers 400 to."""


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
    search_lag: float = SEARCH_LAG_SECONDS
    search_ceiling: int = CEILING  # lower in tests that page past it without 10,000 records
    next_id: int = 1000
    # (from type, from id, to type) -> associated ids, both ways, in the order made
    associations: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)


class HubSpotFake(Fake):
    name = "hubspot"

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, HubSpotAccount] = {}

    # -- data ------------------------------------------------------------------------------
    def add_account(
        self,
        token: str,
        *,
        per_ten_seconds: int = 100,
        search_lag: float = SEARCH_LAG_SECONDS,
        **counts: int,
    ) -> HubSpotAccount:
        account = HubSpotAccount(
            token, general=RollingLimit(per_ten_seconds, 10.0), search_lag=search_lag
        )
        with self.lock:
            self.accounts[token] = account
        for object_type, count in counts.items():
            self.add(token, object_type, count)
        return account

    def add(
        self,
        token: str,
        object_type: str,
        count: int,
        *,
        at_ms: int | None = None,
        properties: dict[str, str] | None = None,
    ) -> list[str]:
        """New objects, modified now (or at ``at_ms``), with ``properties`` besides their
        name; returns their ids."""
        account = self.accounts[token]
        stamp = at_ms if at_ms is not None else self._now_ms()
        ids = []
        with self.lock:
            for _ in range(count):
                account.next_id += 1
                object_id = str(account.next_id)
                obj = {
                    "id": object_id,
                    "properties": {"name": f"{object_type} {object_id}", "revision": "1"}
                    | (properties or {}),
                    "created": stamp,
                    "modified": stamp,
                    "archived": False,
                    "archivedAt": None,
                    "searchable": None,  # what searches see of it (None: not yet indexed)
                    "pending": [],  # (visible from, what) writes the index has not caught up
                }
                account.objects[object_type][object_id] = obj
                self._index(account, obj, None)
                ids.append(object_id)
        return ids

    def change(
        self,
        token: str,
        object_type: str,
        ids: list[str],
        *,
        at_ms: int | None = None,
        index_lag: float | None = None,
        properties: dict[str, str] | None = None,
    ) -> None:
        """A new revision of each object (``properties`` changed), modified now (or at
        ``at_ms``); searches see it after the account's lag (or ``index_lag`` seconds)."""
        account = self.accounts[token]
        stamp = at_ms if at_ms is not None else self._now_ms()
        with self.lock:
            for object_id in ids:
                obj = account.objects[object_type][object_id]
                obj["properties"] = (
                    obj["properties"]
                    | (properties or {})
                    | {"revision": str(int(obj["properties"]["revision"]) + 1)}
                )
                obj["modified"] = stamp
                self._index(account, obj, index_lag)

    def archive(self, token: str, object_type: str, ids: list[str]) -> None:
        """Archive (delete) objects now: gone from the list and, after the lag, from
        searches; listed with ``archived=true``."""
        account = self.accounts[token]
        stamp = self._now_ms()
        with self.lock:
            for object_id in ids:
                obj = account.objects[object_type][object_id]
                obj["archived"], obj["archivedAt"] = True, stamp
                self._index(account, obj, None)

    def associate(
        self, token: str, from_type: str, from_id: str, to_type: str, to_ids: list[str]
    ) -> None:
        """Associate one object with others (both directions, as HubSpot keeps them)."""
        account = self.accounts[token]
        with self.lock:
            for to_id in to_ids:
                for key, other in (((from_type, from_id, to_type), to_id),
                                   ((to_type, to_id, from_type), from_id)):  # fmt: skip
                    linked = account.associations.setdefault(key, [])
                    if other not in linked:
                        linked.append(other)

    def revision(self, token: str, object_type: str, object_id: str) -> int:
        return int(self.accounts[token].objects[object_type][object_id]["properties"]["revision"])

    def _index(self, account: HubSpotAccount, obj: dict[str, Any], lag: float | None) -> None:
        seconds = account.search_lag if lag is None else lag
        snapshot = {k: obj[k] for k in ("id", "properties", "created", "modified", "archived")}
        obj["pending"].append((self._now_ms() + int(seconds * 1000), snapshot))

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
            try:
                return key, self._search(account, match.group(1), request.json() or {})
            except (_Refused, ValueError, TypeError, KeyError) as exc:
                return key, _invalid(str(exc) or "invalid search")
        if request.method == "POST" and (match := _ASSOCIATIONS.match(request.path)):
            from_type, to_type = match.group(1), match.group(2)
            return key, self._associations(account, from_type, to_type, request.json() or {})
        return key, json_answer(404, {"status": "error", "message": "Not found"})

    def _public(self, object_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        modified = _iso(obj["modified"])
        public = {
            "id": obj["id"],
            "properties": obj["properties"]
            | {
                MODIFIED[object_type]: modified,
                "hs_object_id": obj["id"],
                "createdate": _iso(obj["created"]),
            },
            "createdAt": _iso(obj["created"]),
            "updatedAt": modified,
            "archived": obj["archived"],
        }
        if obj.get("archivedAt") is not None:
            public["archivedAt"] = _iso(obj["archivedAt"])
        return public

    def _list(self, account: HubSpotAccount, object_type: str, query: dict[str, str]) -> Answer:
        limit = min(100, max(1, int(query.get("limit", "10"))))
        after = int(query.get("after") or 0)
        archived = query.get("archived", "false") == "true"
        ordered = sorted(
            (
                o
                for o in account.objects[object_type].values()
                if o["archived"] == archived and int(o["id"]) > after
            ),
            key=lambda o: int(o["id"]),
        )
        page = ordered[:limit]
        body: dict[str, Any] = {"results": [self._public(object_type, o) for o in page]}
        if len(ordered) > limit:
            body["paging"] = {"next": {"after": page[-1]["id"]}}
        return json_answer(200, body)

    def _associations(
        self, account: HubSpotAccount, from_type: str, to_type: str, body: dict[str, Any]
    ) -> Answer:
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            return _invalid("inputs: must not be empty")
        if len(inputs) > ASSOCIATION_IDS:
            return _invalid(f"inputs: the batch read limit is {ASSOCIATION_IDS} ids")
        results, errors = [], []
        type_id = TYPE_IDS.get((from_type, to_type))
        for entry in inputs:
            source = str((entry or {}).get("id", "")) if isinstance(entry, dict) else ""
            linked = account.associations.get((from_type, source, to_type)) or []
            if not linked:
                one, other = from_type.removesuffix("s"), to_type.removesuffix("s")
                errors.append({
                    "status": "error", "category": "OBJECT_NOT_FOUND",
                    "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                    "message": f"No {other} is associated with {one} {source}.",
                    "context": {"fromObjectId": [source], "fromObjectType": [one],
                                "toObjectType": [other]},
                })  # fmt: skip
                continue
            start = int(entry.get("after") or 0)
            page = linked[start : start + ASSOCIATION_PAGE]
            result: dict[str, Any] = {"from": {"id": source}, "to": [
                {"toObjectId": int(target), "associationTypes": [
                    {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]}
                for target in page
            ]}  # fmt: skip
            if start + ASSOCIATION_PAGE < len(linked):
                result["paging"] = {"next": {"after": str(start + ASSOCIATION_PAGE)}}
            results.append(result)
        stamp = _iso(self._now_ms())
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results,
                                  "startedAt": stamp, "completedAt": stamp}  # fmt: skip
        if errors:
            answer |= {"errors": errors, "numErrors": len(errors)}
        return json_answer(207 if errors else 200, answer)

    # -- search ----------------------------------------------------------------------------
    def _searchable(self, account: HubSpotAccount, object_type: str) -> list[dict[str, Any]]:
        """What the search index holds now: each object as of its last write indexed."""
        now, found = self._now_ms(), []
        for obj in account.objects[object_type].values():
            pending = obj["pending"]
            due = [n for n, (visible, _) in enumerate(pending) if visible <= now]
            if due:  # the latest write indexed wins over the earlier ones, indexed or not
                obj["searchable"] = pending[due[-1]][1]
                del pending[: due[-1] + 1]
            seen = obj["searchable"]
            if seen is not None and not seen["archived"]:
                found.append(seen)
        return found

    def _search(self, account: HubSpotAccount, object_type: str, body: dict[str, Any]) -> Answer:
        limit = int(body.get("limit", 10))
        start = int(body.get("after") or 0)
        if limit > 200:
            raise _Refused("limit must be at most 200")
        if start + limit > account.search_ceiling:
            raise _Refused(f"paging past {account.search_ceiling:,} results is not allowed")
        groups = body.get("filterGroups") or []
        sizes = [len(g.get("filters") or []) for g in groups]
        if len(groups) > MAX_GROUPS or sum(sizes) > MAX_FILTERS:
            raise _Refused("too many filter groups or filters")
        if any(size > MAX_GROUP_FILTERS for size in sizes):
            raise _Refused("too many filters in one group")
        sorts = body.get("sorts") or []
        if len(sorts) > 1:
            raise _Refused("only one sort rule can be applied")
        prop, descending = self._sort_rule(sorts[0] if sorts else None)
        # Each filter is read once per search, not once per object it is tested on.
        tests = [[self._test(object_type, f) for f in g.get("filters") or []] for g in groups]
        matching = [
            o
            for o in self._searchable(account, object_type)
            if not tests or any(all(test(o) for test in group) for group in tests)
        ]
        matching.sort(
            key=lambda o: (self._value(object_type, o, prop), _tie(o["id"], prop)),
            reverse=descending,
        )
        page = matching[start : start + limit]
        answer: dict[str, Any] = {
            "total": len(matching),
            "results": [self._public(object_type, o) for o in page],
        }
        if start + limit < len(matching):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        return json_answer(200, answer)

    @staticmethod
    def _sort_rule(rule: Any) -> tuple[str, bool]:
        """(property, descending): the guide's ``{propertyName, direction}`` or the spec's
        string (``-`` for descending); by default creation date, oldest first."""
        if rule is None:
            return "createdate", False
        if isinstance(rule, str):
            return rule.lstrip("-"), rule.startswith("-")
        return str(rule["propertyName"]), rule.get("direction", "ASCENDING") == "DESCENDING"

    @staticmethod
    def _value(object_type: str, obj: dict[str, Any], prop: str) -> Any:
        if prop == MODIFIED[object_type]:
            return obj["modified"]
        if prop == "hs_object_id":
            return int(obj["id"])
        if prop == "createdate":
            return obj["created"]
        return str(obj["properties"].get(prop, ""))

    def _test(self, object_type: str, flt: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
        """A filter as a test of one object."""
        prop, operator = str(flt.get("propertyName", "")), str(flt.get("operator", ""))
        if operator == "HAS_PROPERTY":
            always = prop in (MODIFIED[object_type], "hs_object_id")
            return lambda obj: always or prop in obj["properties"]
        compare = _COMPARE.get(operator)
        if compare is None:
            raise _Refused(f"operator {operator} is not supported by this fake")
        raw = str(flt.get("value", ""))
        wanted: Any = raw
        if prop in (MODIFIED[object_type], "createdate"):
            wanted = _ms(raw)
        elif prop == "hs_object_id":
            wanted = int(raw)
        return lambda obj: bool(compare(self._value(object_type, obj, prop), wanted))


@functools.cache
def _tie(object_id: str, prop: str) -> Any:
    """The order of records with equal sort values: HubSpot documents none, so not the id's
    (except when sorting by id)."""
    if prop == "hs_object_id":
        return 0
    return hashlib.sha256(object_id.encode()).hexdigest()


def _invalid(message: str) -> Answer:
    return json_answer(400, {"status": "error", "category": "VALIDATION_ERROR", "message": message})
