"""A Movidesk fake: tickets per API token, behaving as the Tickets API does for what the
sync uses (vendor-apis.md §2).

- ``GET /tickets`` and ``/tickets/past`` with ``token`` in the query string (unknown: 401);
  lists require ``$select`` (else 400); OData ``$filter`` (``eq ne gt ge lt le``, ``and``,
  ``or``, parentheses; date-times, numbers, quoted strings), ``$orderby`` (fields with
  ``asc``/``desc``), ``$top`` ≤ 100 (else 400) and ``$skip``; a bare JSON array of the selected
  fields. ``/tickets`` holds tickets updated in the last 90 days, ``/tickets/past`` the older.
- ``$expand=actions`` or ``actions($select=…)`` adds each ticket's actions (its conversation:
  a ticket with many long actions is a large record), ``clients`` its clients (Person
  objects: complex properties come back only when expanded, as public integrations ask for
  them); other expansions are refused (400).
- 10 requests in any minute per token: beyond, 429 with ``retry-after``. After 3 failed
  requests in a row a token is blocked for 60 s (429 "Too many failed requests").
- ``lastUpdate`` and the other dates are UTC without an offset, as Movidesk writes them.
- Failures on demand; ``add`` and ``change`` edit tickets at the (virtual) clock's time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from devstack.fakes import Answer, Failures, Fake, Request, RollingLimit, json_answer
from ponte.clock import get_clock

Predicate = Callable[[dict[str, Any]], bool]
_TOKEN = re.compile(
    r"\s*(\(|\)|'(?:[^']|'')*'|\d{4}-\d\d-\d\dT[\d:.]+Z?|-?\d+(?:\.\d+)?|[A-Za-z_/]+)"
)
STATUSES = (("Novo", "New"), ("Em atendimento", "InAttendance"), ("Resolvido", "Resolved"))


def _moment(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class FilterError(ValueError):
    pass


class _Parser:
    """OData ``$filter``, the subset Movidesk documents and the sync sends."""

    def __init__(self, text: str) -> None:
        self.tokens = _TOKEN.findall(text)
        if "".join(self.tokens).replace(" ", "") != re.sub(r"\s+", "", text):
            raise FilterError(f"unsupported filter: {text}")
        self.at = 0

    def parse(self) -> Predicate:
        predicate = self._or()
        if self.at != len(self.tokens):
            raise FilterError("unexpected text after the filter")
        return predicate

    def _peek(self) -> str:
        return self.tokens[self.at] if self.at < len(self.tokens) else ""

    def _take(self) -> str:
        token = self._peek()
        if not token:
            raise FilterError("the filter ends too soon")
        self.at += 1
        return token

    def _or(self) -> Predicate:
        left = self._and()
        while self._peek() == "or":
            self._take()
            left = _either(left, self._and())
        return left

    def _and(self) -> Predicate:
        left = self._term()
        while self._peek() == "and":
            self._take()
            left = _both(left, self._term())
        return left

    def _term(self) -> Predicate:
        if self._peek() == "(":
            self._take()
            inner = self._or()
            if self._take() != ")":
                raise FilterError("a parenthesis is not closed")
            return inner
        name, op, raw = self._take(), self._take(), self._take()
        if op not in {"eq", "ne", "gt", "ge", "lt", "le"}:
            raise FilterError(f"unknown operator {op}")
        value = _literal(raw)

        def compare(ticket: dict[str, Any]) -> bool:
            have = ticket.get(name)
            if have is None:
                return False
            if isinstance(value, datetime):
                have = _moment(str(have))
            elif isinstance(value, int | float):
                have = float(have)
            return bool({
                "eq": have == value, "ne": have != value, "gt": have > value,
                "ge": have >= value, "lt": have < value, "le": have <= value,
            }[op])  # fmt: skip

        return compare


def _either(a: Predicate, b: Predicate) -> Predicate:
    return lambda ticket: a(ticket) or b(ticket)


def _both(a: Predicate, b: Predicate) -> Predicate:
    return lambda ticket: a(ticket) and b(ticket)


def _literal(raw: str) -> Any:
    if raw.startswith("'"):
        return raw[1:-1].replace("''", "'")
    if "T" in raw and raw[:4].isdigit():
        return _moment(raw)
    try:
        return float(raw)
    except ValueError:
        raise FilterError(f"not a value: {raw}") from None


@dataclass
class MovideskAccount:
    token: str
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    failures: Failures = field(default_factory=Failures)
    limit: RollingLimit = field(default_factory=lambda: RollingLimit(10, 60.0))
    failed_in_a_row: int = 0
    blocked_until: float = 0.0


class MovideskFake(Fake):
    name = "movidesk"

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, MovideskAccount] = {}
        self._next_id = 1000

    # -- data ------------------------------------------------------------------------------
    def add_account(self, token: str, *, per_minute: int = 10) -> MovideskAccount:
        account = MovideskAccount(token, limit=RollingLimit(per_minute, 60.0))
        with self.lock:
            self.accounts[token] = account
        return account

    def add(
        self,
        token: str,
        count: int,
        *,
        at: datetime | None = None,
        actions: int = 1,
        action_text: str = "",
        clients: list[dict[str, Any]] | None = None,
    ) -> list[int]:
        """New tickets, last updated ``at`` (default: now), each with ``actions`` actions
        (``action_text`` their description: many long ones make a large ticket) and
        ``clients`` (default: one made up; a ticket's client carries no CPF)."""
        moment = at or get_clock().now()
        ids = []
        with self.lock:
            for _ in range(count):
                self._next_id += 1
                ticket_id = self._next_id
                status, base = STATUSES[ticket_id % len(STATUSES)]
                self.accounts[token].tickets[ticket_id] = {
                    "id": ticket_id, "protocol": f"2025{ticket_id:06d}",
                    "subject": f"Chamado {ticket_id}", "type": 2, "status": status,
                    "baseStatus": base, "urgency": "Média", "category": "Dúvida",
                    "owner": {"id": "7", "businessName": "Agente"},
                    "ownerTeam": "Suporte", "origin": 9, "justification": None,
                    "clients": clients or [
                        {"id": str(ticket_id), "businessName": f"Cliente {ticket_id}",
                         "email": f"cliente{ticket_id}@example.com", "phone": None,
                         "personType": 1, "profileType": 2,
                         "organization": {"businessName": "ACME"}}],
                    "createdDate": _stamp(moment), "resolvedIn": None, "closedIn": None,
                    "lastUpdate": _stamp(moment), "tags": ["fake"],
                    "slaSolutionDate": None, "slaResponseDate": None,
                    "slaRealResponseDate": None, "actionCount": actions,
                    "actions": [
                        {"id": n, "type": 2, "origin": 9, "status": status,
                         "description": action_text or f"Ação {n} do chamado {ticket_id}",
                         "createdDate": _stamp(moment),
                         "createdBy": {"id": "7", "businessName": "Agente"}}
                        for n in range(1, actions + 1)
                    ],
                }  # fmt: skip
                ids.append(ticket_id)
        return ids

    def change(self, token: str, ids: list[int], *, at: datetime | None = None) -> None:
        moment = at or get_clock().now()
        with self.lock:
            for ticket_id in ids:
                ticket = self.accounts[token].tickets[ticket_id]
                ticket["subject"] += " (atualizado)"
                ticket["lastUpdate"] = _stamp(moment)

    # -- HTTP ------------------------------------------------------------------------------
    def answer(self, request: Request, now: float) -> tuple[str, Answer]:
        account = self.accounts.get(request.query.get("token", ""))
        if account is None:
            return "", Answer(401, b"Unauthorized", "text/plain")
        key = account.token[-6:]
        if now < account.blocked_until:
            headers = (("retry-after", str(round(account.blocked_until - now + 0.5))),)
            return key, Answer(429, b"Too many failed requests", "text/plain", headers)
        answer = self._answer(account, request, now)
        if answer.status >= 400 and answer.status != 429:
            account.failed_in_a_row += 1
            if account.failed_in_a_row >= 3:
                account.blocked_until, account.failed_in_a_row = now + 60, 0
        elif answer.status < 400:
            account.failed_in_a_row = 0
        return key, answer

    def _answer(self, account: MovideskAccount, request: Request, now: float) -> Answer:
        failure = account.failures.take()
        if failure is not None:
            status, retry_after = failure
            headers = (("retry-after", str(retry_after)),) if retry_after is not None else ()
            return Answer(status, b"Injected", "text/plain", headers)
        wait = account.limit.admit(now)
        if wait is not None:
            return Answer(429, b"Too many requests", "text/plain",
                          (("retry-after", str(max(1, round(wait + 0.5)))),))  # fmt: skip
        if request.method != "GET" or request.path not in ("/tickets", "/tickets/past"):
            return Answer(404, b"Not found", "text/plain")
        return self._list(account, request.query, past=request.path.endswith("/past"), now=now)

    def _list(
        self, account: MovideskAccount, query: dict[str, str], *, past: bool, now: float
    ) -> Answer:
        select = [f.strip() for f in query.get("$select", "").split(",") if f.strip()]
        if not select:
            return Answer(400, b"The $select parameter is required", "text/plain")
        top, skip = query.get("$top", "100"), query.get("$skip", "0")
        if not (top.isdigit() and skip.isdigit()) or not 1 <= int(top) <= 100:
            return Answer(400, b"$top must be between 1 and 100", "text/plain")
        try:
            keep = _Parser(query["$filter"]).parse() if query.get("$filter") else None
            expand, with_clients = _expansion(query.get("$expand", ""))
        except FilterError as exc:
            return Answer(400, str(exc).encode(), "text/plain")
        boundary = datetime.fromtimestamp(now, UTC) - timedelta(days=90)
        rows = [
            t for t in account.tickets.values()
            if (_moment(t["lastUpdate"]) < boundary) == past and (keep is None or keep(t))
        ]  # fmt: skip
        for part in reversed([p.strip() for p in query.get("$orderby", "id").split(",")]):
            name, _, direction = part.partition(" ")
            rows.sort(key=_sort_key(name), reverse=direction.strip() == "desc")
        page = rows[int(skip) : int(skip) + int(top)]
        # Navigation properties: $expand them.
        shown = [k for k in select if k not in ("actions", "clients")]
        answer = [{k: t.get(k) for k in shown} for t in page]
        if with_clients:
            for row, ticket in zip(answer, page, strict=True):
                row["clients"] = [dict(c) for c in ticket["clients"]]
        if expand is not None:
            for row, ticket in zip(answer, page, strict=True):
                row["actions"] = [
                    {k: a.get(k) for k in expand} if expand else dict(a) for a in ticket["actions"]
                ]
        return json_answer(200, answer)


_EXPAND = re.compile(r"(?:(clients),?)?(?:actions(?:\(\$select=([A-Za-z,]+)\))?)?")


def _expansion(raw: str) -> tuple[list[str] | None, bool]:
    """``$expand``: the actions' selected fields (None: not expanded; []: all of them), and
    whether the clients are expanded."""
    if not raw:
        return None, False
    found = _EXPAND.fullmatch(raw.replace(" ", ""))
    if found is None or not raw.strip():
        raise FilterError(f"unsupported $expand: {raw}")
    actions = None
    if "actions" in raw:
        actions = [f for f in (found.group(2) or "").split(",") if f]
    return actions, found.group(1) is not None


def _sort_key(name: str) -> Callable[[dict[str, Any]], tuple[bool, Any]]:
    return lambda ticket: (ticket.get(name) is None, ticket.get(name))
