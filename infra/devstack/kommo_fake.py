"""A Kommo fake for tests and the local stack: several accounts, each with its token and roles,
behaving as Kommo's API v4 does (HAL paging, 204 for an empty list, 429 past 7 requests a second).

- ``/{subdomain}/api/v4/...`` (``KOMMO_BASE_URL=http://host:port/{subdomain}``); a WSGI app,
  so tests can mount it in httpx (``httpx.WSGITransport``) or serve it over HTTP;
- bearer token per account (401 problem+json otherwise); roles with HAL paging (``page``,
  ``limit`` ≤ 250, ``_links.next``), 204 with no body for an empty page; POST takes an array,
  PATCH one role, DELETE answers 204;
- more than 7 requests in a second to one account → 429 with an HTML body;
- failures on demand: ``fail_next`` (statuses for the next requests), ``lose_answers`` (a
  POST applied, its answer lost), ``failing_paths``
  (500 there), ``down`` (every request 500), ``blocked`` (every request 403, as Kommo does to
  abusive accounts).
Every request is recorded with its (virtual) time.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIServer

from devstack import fakes
from ponte.clock import get_clock

StartResponse = Callable[..., Any]
Answer = tuple[int, bytes, str]  # status, body, content type
_ROLE = re.compile(r"^/api/v4/roles/(\d+)$")


@dataclass
class FakeAccount:
    subdomain: str
    token: str
    id: int
    roles: dict[int, dict[str, Any]] = field(default_factory=dict)
    fail_next: list[int] = field(default_factory=list)
    failing_paths: set[str] = field(default_factory=set)  # always 500 on these paths
    down: bool = False
    blocked: bool = False
    lose_answers: int = 0  # writes applied whose answer is then lost (a 502)


@dataclass(frozen=True)
class _Request:
    subdomain: str
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    auth: str


@dataclass(frozen=True)
class Recorded:
    subdomain: str
    method: str
    path: str
    at: float
    status: int


class KommoFake:
    name = "kommo"

    def __init__(self) -> None:
        self.accounts: dict[str, FakeAccount] = {}
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._next_id = 1000

    def add_account(
        self, subdomain: str, token: str, roles: Iterable[dict[str, Any]] = ()
    ) -> FakeAccount:
        with self._lock:
            self._next_id += 1
            account = FakeAccount(subdomain, token, self._next_id)
            self.accounts[subdomain] = account
        for role in roles:
            self._create(account, role)
        return account

    def role_names(self, subdomain: str) -> list[str]:
        return sorted(r["name"] for r in self.accounts[subdomain].roles.values())

    def writes(self, subdomain: str) -> list[Recorded]:
        return [r for r in self.requests if r.subdomain == subdomain and r.method != "GET"]

    def reads(self, subdomain: str) -> list[Recorded]:
        return [r for r in self.requests if r.subdomain == subdomain and r.method == "GET"]

    # -- WSGI ------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        _, _, rest = environ.get("PATH_INFO", "").partition("/")
        subdomain, _, path = rest.partition("/")
        size = int(environ.get("CONTENT_LENGTH") or 0)
        request = _Request(
            subdomain=subdomain,
            method=environ["REQUEST_METHOD"],
            path="/" + path,
            query={k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()},
            body=environ["wsgi.input"].read(size) if size else b"",
            auth=environ.get("HTTP_AUTHORIZATION", ""),
        )
        arrived = get_clock().now().timestamp()
        status, body, content_type = self._answer(request, arrived)
        with self._lock:
            self.requests.append(Recorded(subdomain, request.method, request.path, arrived, status))
        headers = [("Content-Type", content_type)] if body else []
        start_response(f"{status} {fakes.REASONS.get(status, 'Status')}", headers)
        return [body]

    def _answer(self, request: _Request, arrived: float) -> Answer:  # noqa: PLR0911 - a router
        account = self.accounts.get(request.subdomain)
        if account is None:
            return _problem(404, "Account not found")
        failure = self._failure(account, request.path, arrived)
        if failure is not None:
            return failure
        if request.auth != f"Bearer {account.token}":
            return _problem(401, "Invalid user name or password")
        if account.blocked:
            return _problem(403, "Account is blocked")
        if request.path == "/api/v4/account" and request.method == "GET":
            base = f"https://{account.subdomain}.kommo.com"
            return _hal(
                {"id": account.id, "name": account.subdomain, "subdomain": account.subdomain,
                 "_links": {"self": {"href": f"{base}/api/v4/account"}}}
            )  # fmt: skip
        if request.path == "/api/v4/roles":
            if request.method == "GET":
                return self._list(account, request.query)
            if request.method == "POST":
                answer = self._add(account, request.body)
                if account.lose_answers and answer[0] == 200:
                    account.lose_answers -= 1
                    return 502, b"<html><body>502 Bad Gateway</body></html>", "text/html"
                return answer
        found = _ROLE.match(request.path)
        if found and request.method in ("PATCH", "DELETE"):
            return self._change(account, int(found.group(1)), request)
        return _problem(404, "Not found")

    def _failure(self, account: FakeAccount, path: str, now: float) -> Answer | None:
        with self._lock:
            recent = sum(
                1 for r in self.requests if r.subdomain == account.subdomain and now - r.at < 1.0
            )
            if recent >= 7:
                return 429, b"<html><body>429 Too Many Requests</body></html>", "text/html"
            if account.fail_next:
                return account.fail_next.pop(0), b"<html><body>error</body></html>", "text/html"
        if account.down or path in account.failing_paths:
            return 500, b"<html><body>500 Internal Server Error</body></html>", "text/html"
        return None

    def _list(self, account: FakeAccount, query: dict[str, str]) -> Answer:
        base = f"https://{account.subdomain}.kommo.com/api/v4/roles"
        limit = min(int(query.get("limit", 50)), 250)
        page = max(int(query.get("page", 1)), 1)
        roles = sorted(account.roles.values(), key=lambda r: r["id"])
        chunk = roles[(page - 1) * limit : page * limit]
        if not chunk:
            return 204, b"", ""
        links: dict[str, Any] = {"self": {"href": f"{base}?page={page}&limit={limit}"}}
        if page * limit < len(roles):
            links["next"] = {"href": f"{base}?page={page + 1}&limit={limit}"}
        return _hal({"_page": page, "_links": links, "_embedded": {"roles": chunk}})

    def _add(self, account: FakeAccount, raw: bytes) -> Answer:
        payload = json.loads(raw or b"null")
        names = {r["name"] for r in account.roles.values()}
        if (
            not isinstance(payload, list)
            or not payload
            or any(not r.get("name") or r["name"] in names for r in payload)
        ):
            return _problem(400, "Request validation failed")
        return _hal({"_embedded": {"roles": [self._create(account, r) for r in payload]}})

    def _change(self, account: FakeAccount, role_id: int, request: _Request) -> Answer:
        role = account.roles.get(role_id)
        if role is None:
            return _problem(404, "Role not found")
        if request.method == "DELETE":
            del account.roles[role_id]
            return 204, b"", ""
        payload = json.loads(request.body or b"{}")
        role.update({k: payload[k] for k in ("name", "rights") if k in payload})
        return _hal(role)

    def _create(self, account: FakeAccount, role: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            created = {
                "id": self._next_id,
                "name": role["name"],
                "rights": json.loads(json.dumps(role.get("rights") or {})),
            }
            account.roles[created["id"]] = created
        return created


def _hal(body: dict[str, Any]) -> Answer:
    return 200, json.dumps(body).encode(), "application/hal+json"


def _problem(status: int, detail: str) -> Answer:
    body = {"title": fakes.REASONS.get(status, "Error"), "type": f"https://httpstatus.es/{status}",
            "status": status, "detail": detail}  # fmt: skip
    return status, json.dumps(body).encode(), "application/problem+json"


def serve(fake: KommoFake, host: str = "127.0.0.1", port: int = 0) -> tuple[WSGIServer, str]:
    """Serve ``fake`` over HTTP on a thread; returns the server and the KOMMO_BASE_URL."""
    server, origin = fakes.serve(fake, host, port)
    return server, f"{origin}/{{subdomain}}"
