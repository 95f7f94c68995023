"""An RD Station CRM fake: accounts by API key, each with contacts and deals, behaving as
the CRM API v2 does for what the connector uses (README: what it relies on, and sources).

- ``GET /crm/v2/{contacts|deals}`` with ``Authorization: Bearer {key}``: ``page[number]``
  (from 1), ``page[size]`` (≤ 200, default 25), ``sort`` (``updated_at`` or
  ``-updated_at``; records with equal values in no documented order: here by a hash of their
  id), RDQL ``filter`` on ``updated_at`` (``>=``, ``>``, ``<=``, ``<`` with a quoted DateTime,
  compared by the second; conditions separated by spaces all apply); records under ``data``.
  Pages are offsets into the sorted list: a record that changes moves to the end and shifts
  the rest. A list reaches only its first 10,000 rows: a page past them answers 400.
- An unknown key answers 401. 120 requests in any minute per account; beyond, 429 with
  ``Retry-After`` (seconds). Failures on demand.
- Times are ISO-8601 UTC; ``add`` and ``change`` edit the data at the (virtual) clock's time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devstack.fakes import Answer, Failures, Fake, Request, RollingLimit, json_answer
from ponte.clock import get_clock

RESOURCES = ("contacts", "deals")
CEILING = 10_000
_LIST = re.compile(r"^/crm/v2/(contacts|deals)$")
_CONDITION = re.compile(r'updated_at:(>=|>|<=|<)"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})"')


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _errors(status: int, kind: str, message: str) -> Answer:
    return json_answer(status, {"errors": {"error_type": kind, "error_message": message}})


@dataclass
class RdStationAccount:
    key: str
    records: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {r: {} for r in RESOURCES}
    )
    failures: Failures = field(default_factory=Failures)
    limit: RollingLimit = field(default_factory=lambda: RollingLimit(120, 60.0))
    next_id: int = 0x65A000000000000000000000


class RdStationFake(Fake):
    name = "rdstation"

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, RdStationAccount] = {}

    # -- data ------------------------------------------------------------------------------
    def add_account(self, key: str, *, per_minute: int = 120, **counts: int) -> RdStationAccount:
        account = RdStationAccount(key, limit=RollingLimit(per_minute, 60.0))
        with self.lock:
            self.accounts[key] = account
        for resource, count in counts.items():
            self.add(key, resource, count)
        return account

    def add(self, key: str, resource: str, count: int) -> list[str]:
        account, now = self.accounts[key], get_clock().now().astimezone(UTC)
        ids = []
        with self.lock:
            for _ in range(count):
                account.next_id += 1
                record_id = f"{account.next_id:024x}"  # RD's ids look like ObjectIds
                stamp = _iso(now)
                body: dict[str, Any] = {
                    "id": record_id,
                    "revision": 1,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
                if resource == "contacts":
                    body |= {"name": f"Contato {record_id[-4:]}",
                             "emails": [{"email": f"c{record_id[-6:]}@example.com"}]}  # fmt: skip
                else:
                    body |= {"name": f"Negociação {record_id[-4:]}", "status": "ongoing",
                             "total_price": 100.0}  # fmt: skip
                account.records[resource][record_id] = body
                ids.append(record_id)
        return ids

    def revision(self, key: str, resource: str, record_id: str) -> int:
        return int(self.accounts[key].records[resource][record_id]["revision"])

    def change(self, key: str, resource: str, ids: list[str]) -> None:
        now = _iso(get_clock().now().astimezone(UTC))
        with self.lock:
            for record_id in ids:
                record = self.accounts[key].records[resource][record_id]
                record["revision"] += 1
                record["updated_at"] = now

    # -- HTTP ------------------------------------------------------------------------------
    def answer(self, request: Request, now: float) -> tuple[str, Answer]:
        key = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        account = self.accounts.get(key)
        if account is None:
            return "", _errors(401, "UNAUTHORIZED", "Invalid token.")
        failure = account.failures.take()
        if failure is not None:
            status, retry_after = failure
            return key[-6:], account.failures.answer(
                status, retry_after, {"errors": {"error_type": "INJECTED"}}
            )
        wait = account.limit.admit(now)
        if wait is not None:
            headers = (("Retry-After", str(max(1, round(wait + 0.5)))),)
            return key[-6:], json_answer(
                429, {"errors": {"error_type": "TOO_MANY_REQUESTS"}}, headers
            )
        match = _LIST.match(request.path)
        if request.method != "GET" or match is None:
            return key[-6:], _errors(404, "RESOURCE_NOT_FOUND", "Not found.")
        return key[-6:], self._list(account, match.group(1), request.query)

    def _list(self, account: RdStationAccount, resource: str, query: dict[str, str]) -> Answer:
        number, size = query.get("page[number]", "1"), query.get("page[size]", "25")
        if not (number.isdigit() and size.isdigit() and int(number) >= 1 and 1 <= int(size) <= 200):
            return _errors(400, "INVALID_PAGINATION", "page[number] ≥ 1 and 1 ≤ page[size] ≤ 200")
        page, per_page = int(number), int(size)
        if page * per_page > CEILING:
            return _errors(400, "PAGINATION_LIMIT", "Only the first 10000 rows can be listed")
        rows = list(account.records[resource].values())
        raw_filter = query.get("filter", "")
        if raw_filter:
            conditions = list(_CONDITION.finditer(raw_filter))
            if not conditions or _CONDITION.sub("", raw_filter).strip():
                return _errors(400, "INVALID_FILTER", f"Unsupported filter: {raw_filter}")
            for found in conditions:
                operator, bound = found.group(1), found.group(2).replace(" ", "T")
                rows = [r for r in rows if _compare(r["updated_at"][:19], operator, bound)]
        sort = query.get("sort", "created_at")
        field_name = sort.lstrip("-")
        if field_name not in ("updated_at", "created_at"):
            return _errors(400, "INVALID_SORT", f"Unsupported sort: {sort}")
        rows.sort(key=lambda r: (r[field_name], _tie(r["id"])), reverse=sort.startswith("-"))
        start = (page - 1) * per_page
        return json_answer(200, {"data": rows[start : start + per_page]})


def _tie(record_id: str) -> str:
    """The order of records with equal sort values: RD Station documents none."""
    return hashlib.sha256(record_id.encode()).hexdigest()


def _compare(value: str, operator: str, bound: str) -> bool:
    return {">=": value >= bound, ">": value > bound, "<=": value <= bound, "<": value < bound}[
        operator
    ]
