"""An RD Station CRM fake: accounts, each with contacts and deals, reached through OAuth2
apps, behaving as the CRM API v2 does for what the connector uses (README and
docs/vendors.md: what it relies on, and sources).

- OAuth2 (developers.rdstation.com, reference pages ``crm-v2-authentication``, ``-step2``,
  ``-step3``, ``-step4``): ``GET /oauth2/authorize?response_type=code&client_id=&
  redirect_uri=`` answers a redirect to ``redirect_uri?code=…`` (the account the app was
  added for stands in for the person picking one); ``POST /oauth2/token``, form-encoded
  ``client_id``, ``client_secret`` and ``grant_type=authorization_code`` with ``code`` and
  ``redirect_uri``, or ``grant_type=refresh_token`` with ``refresh_token``. A code serves once
  within 5 minutes, for the redirect URI it was issued for; an access token lasts 7,200 s
  (virtual time); every refresh returns a new refresh token and spends the old one; a spent
  refresh token, or one unused for 14 days, is ``400 invalid_grant`` (RFC 6749's error
  shape: RD Station does not publish its own); a wrong client id or secret is 401
  ``ACCESS_DENIED``. ``refreshes`` and ``spent_again`` count what the token endpoint saw.
- ``GET /crm/v2/{contacts|deals}`` with ``Authorization: Bearer {access token}``: ``page[number]``
  (from 1), ``page[size]`` (≤ 200, default 25), ``sort`` (``updated_at`` or
  ``-updated_at``; records with equal values in no documented order: here by a hash of their
  id), RDQL ``filter`` on ``updated_at`` (``>=``, ``>``, ``<=``, ``<`` with a quoted DateTime,
  compared by the second; conditions separated by spaces all apply); records under ``data``.
  Pages are offsets into the sorted list: a record that changes moves to the end and shifts
  the rest. A list reaches only its first 10,000 rows: a page past them answers 400.
- An unknown or expired access token answers 401. 120 requests in any minute per account;
  beyond, 429 with ``Retry-After`` (seconds). Failures on demand; ``latency`` (virtual
  seconds) makes each list answer take that long.
- Times are ISO-8601 UTC; ``add`` and ``change`` edit the data at the (virtual) clock's time.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from devstack.fakes import Answer, Failures, Fake, Request, RollingLimit, StartResponse, json_answer
from ponte.clock import get_clock

RESOURCES = ("contacts", "deals")
CEILING = 10_000
ACCESS_SECONDS = 7_200  # an access token's life (crm-v2-authentication)
REFRESH_UNUSED_SECONDS = 14 * 86_400  # a refresh token unused this long dies (step 4)
CODE_SECONDS = 300  # an authorization code's life (step 3)
TOKEN_PATH = "/oauth2/token"
AUTHORIZE_PATH = "/oauth2/authorize"
DEFAULT_REDIRECT = "https://ponte.example/oauth/callback"
_LIST = re.compile(r"^/crm/v2/(contacts|deals)$")
_CONDITION = re.compile(r'updated_at:(>=|>|<=|<)"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})"')


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _errors(status: int, kind: str, message: str) -> Answer:
    return json_answer(status, {"errors": {"error_type": kind, "error_message": message}})


def _oauth_error(status: int, code: str, description: str) -> Answer:
    return json_answer(status, {"error": code, "error_description": description})


@dataclass
class RdStationAccount:
    key: str  # the account's name in the fake (tests address it by it)
    records: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {r: {} for r in RESOURCES}
    )
    failures: Failures = field(default_factory=Failures)
    limit: RollingLimit = field(default_factory=lambda: RollingLimit(120, 60.0))
    next_id: int = 0x65A000000000000000000000
    latency: float = 0.0  # virtual seconds each list answer takes


@dataclass
class App:
    """An app of the RD Station App Store: its credentials, its callback, and the account
    that authorizes it in the fake."""

    client_id: str
    client_secret: str
    redirect_uri: str
    account: str


@dataclass
class _Token:
    account: str
    client_id: str
    issued_at: float
    spent: bool = False
    redirect_uri: str = ""  # a code's


class RdStationFake(Fake):
    name = "rdstation"

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, RdStationAccount] = {}
        self.apps: dict[str, App] = {}
        self._access: dict[str, tuple[str, float]] = {}  # token -> (account, expires at)
        self._refresh: dict[str, _Token] = {}
        self._codes: dict[str, _Token] = {}
        self.refreshes = 0  # refresh grants answered with new tokens
        self.exchanges = 0  # codes exchanged
        self.spent_again = 0  # refresh tokens presented after they were spent
        self.refused: list[str] = []  # the error of every refused token request
        # Held (real time) before a token request is answered, while the test looks at
        # what happens meanwhile; ``token_waiting`` says one is held.
        self.token_gate: threading.Event | None = None
        self.token_waiting = threading.Event()

    # -- data ------------------------------------------------------------------------------
    def add_account(
        self, key: str, *, per_minute: int = 120, latency: float = 0.0, **counts: int
    ) -> RdStationAccount:
        account = RdStationAccount(key, limit=RollingLimit(per_minute, 60.0), latency=latency)
        with self.lock:
            self.accounts[key] = account
        for resource, count in counts.items():
            self.add(key, resource, count)
        return account

    def add_app(
        self,
        account: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str = DEFAULT_REDIRECT,
    ) -> App:
        """An app the account authorizes (its client id and secret, and its callback)."""
        app = App(client_id, client_secret, redirect_uri, account)
        with self.lock:
            self.apps[client_id] = app
        return app

    def authorize(self, client_id: str, redirect_uri: str | None = None) -> str:
        """A code, as the authorization redirect would carry it (step 2)."""
        app = self.apps[client_id]
        code = "code-" + secrets.token_hex(12)
        with self.lock:
            self._codes[code] = _Token(app.account, client_id, self._now(),
                                       redirect_uri=redirect_uri or app.redirect_uri)  # fmt: skip
        return code

    def grant(self, client_id: str) -> str:
        """A refresh token issued now, as if the account had just authorized the app and
        the code had been exchanged elsewhere."""
        app = self.apps[client_id]
        with self.lock:
            return str(self._issue(app.account, client_id, self._now())["refresh_token"])

    def age(self, refresh_token: str, seconds: float) -> None:
        """Make a refresh token as if issued ``seconds`` earlier."""
        with self.lock:
            self._refresh[refresh_token].issued_at -= seconds

    def expire_access(self, key: str) -> None:
        """Every access token of the account expires now (the API answers them 401)."""
        with self.lock:
            for token, (account, _) in list(self._access.items()):
                if account == key:
                    self._access[token] = (account, 0.0)

    def live_refresh_tokens(self, key: str) -> list[str]:
        """The account's refresh tokens that a refresh would accept now."""
        now = self._now()
        with self.lock:
            return [
                token
                for token, grant in self._refresh.items()
                if grant.account == key
                and not grant.spent
                and now - grant.issued_at < REFRESH_UNUSED_SECONDS
            ]

    def issued(self, key: str) -> list[str]:
        """Every token and code the account's apps were ever given (none may leak)."""
        with self.lock:
            return [
                *(t for t, (account, _) in self._access.items() if account == key),
                *(t for t, grant in self._refresh.items() if grant.account == key),
                *(c for c, code in self._codes.items() if code.account == key),
            ]

    def access_token(self, key: str) -> str:
        """An access token of account ``key``, as an app it authorized holds one (for tests
        of the CRM API alone; it expires like any other)."""
        with self.lock:
            return str(self._issue(key, f"{key}-direct", self._now())["access_token"])

    @staticmethod
    def _now() -> float:
        return get_clock().now().timestamp()

    def _issue(self, account: str, client_id: str, now: float) -> dict[str, Any]:
        access, refresh = "at-" + secrets.token_hex(16), "rt-" + secrets.token_hex(16)
        self._access[access] = (account, now + ACCESS_SECONDS)
        self._refresh[refresh] = _Token(account, client_id, now)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ACCESS_SECONDS,
            "refresh_token": refresh,
        }

    def add(
        self, key: str, resource: str, count: int, *, fields: dict[str, Any] | None = None
    ) -> list[str]:
        """New records (each with ``fields``: a contact's ``emails``/``phones``, a deal's
        ``contact_ids``); their ids."""
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
                             "total_price": 100.0, "contact_ids": []}  # fmt: skip
                account.records[resource][record_id] = body | (fields or {})
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
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        gate = self.token_gate
        if gate is not None and environ.get("PATH_INFO") == TOKEN_PATH:
            self.token_waiting.set()
            gate.wait(10)  # real time: the test lets it go
        return super().__call__(environ, start_response)

    def answer(self, request: Request, now: float) -> tuple[str, Answer]:
        if request.path in (TOKEN_PATH, AUTHORIZE_PATH):
            return self._oauth(request, now)
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        owner, expires_at = self._access.get(token, ("", 0.0))
        account = self.accounts.get(owner)
        if account is None or expires_at <= now:
            return owner[-6:], _errors(401, "UNAUTHORIZED", "Invalid token.")
        key = account.key
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
        if account.latency:
            get_clock().sleep(account.latency)
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

    # -- OAuth2 ----------------------------------------------------------------------------
    def _oauth(self, request: Request, now: float) -> tuple[str, Answer]:
        if request.path == AUTHORIZE_PATH:
            return self._authorize(request, now)
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        app = self.apps.get(form.get("client_id", ""))
        if request.method != "POST":
            return "", _errors(404, "RESOURCE_NOT_FOUND", "Not found.")
        if app is None or form.get("client_secret") != app.client_secret:
            self.refused.append("ACCESS_DENIED")
            label = app.account[-6:] if app else ""
            return label, _errors(401, "ACCESS_DENIED", "Wrong credentials provided.")
        kind = form.get("grant_type")
        if kind == "refresh_token":
            answer = self._refresh_grant(app, form, now)
        elif kind == "authorization_code":
            answer = self._code_grant(app, form, now)
        else:
            self.refused.append("unsupported_grant_type")
            answer = _oauth_error(400, "unsupported_grant_type", f"grant_type {kind!r}")
        return app.account[-6:], answer

    def _authorize(self, request: Request, now: float) -> tuple[str, Answer]:
        app = self.apps.get(request.query.get("client_id", ""))
        redirect = request.query.get("redirect_uri", "")
        if request.query.get("response_type") != "code" or app is None:
            return "", _oauth_error(400, "invalid_request", "unknown client_id or response_type")
        if redirect != app.redirect_uri:
            return app.account[-6:], _oauth_error(400, "invalid_request", "redirect_uri mismatch")
        code = "code-" + secrets.token_hex(12)
        self._codes[code] = _Token(app.account, app.client_id, now, redirect_uri=redirect)
        location = f"{redirect}?{urlencode({'code': code})}"
        return app.account[-6:], Answer(302, b"", headers=(("Location", location),))

    def _refresh_grant(self, app: App, form: dict[str, str], now: float) -> Answer:
        grant = self._refresh.get(form.get("refresh_token", ""))
        problem = ""
        if grant is None or grant.client_id != app.client_id:
            problem = "unknown refresh token"
        elif grant.spent:
            self.spent_again += 1
            problem = "refresh token already used: only the newest one is valid"
        elif now - grant.issued_at >= REFRESH_UNUSED_SECONDS:
            problem = "refresh token expired (unused for 14 days)"
        if grant is None or problem:
            self.refused.append("invalid_grant")
            return _oauth_error(400, "invalid_grant", problem)
        grant.spent = True
        self.refreshes += 1
        return json_answer(200, self._issue(grant.account, app.client_id, now))

    def _code_grant(self, app: App, form: dict[str, str], now: float) -> Answer:
        code = self._codes.get(form.get("code", ""))
        problem = ""
        if code is None or code.client_id != app.client_id:
            problem = "unknown code"
        elif code.spent:
            problem = "code already used"
        elif now - code.issued_at >= CODE_SECONDS:
            problem = "code expired (valid 5 minutes)"
        elif form.get("redirect_uri") != code.redirect_uri:
            problem = "redirect_uri does not match the authorization's"
        if code is None or problem:
            self.refused.append("invalid_grant")
            return _oauth_error(400, "invalid_grant", problem)
        code.spent = True
        self.exchanges += 1
        return json_answer(200, self._issue(code.account, app.client_id, now))


def _tie(record_id: str) -> str:
    """The order of records with equal sort values: RD Station documents none."""
    return hashlib.sha256(record_id.encode()).hexdigest()


def _compare(value: str, operator: str, bound: str) -> bool:
    return {">=": value >= bound, ">": value > bound, "<=": value <= bound, "<": value < bound}[
        operator
    ]
