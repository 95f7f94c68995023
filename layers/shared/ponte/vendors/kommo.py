"""Kommo API v4: account and roles of one account.

- ``https://{subdomain}.kommo.com`` by default; the template is a setting (``KOMMO_BASE_URL``)
  so the local stack and tests point it at a fake.
- At most 7 requests in any second per account (Kommo blocks accounts that keep exceeding it);
  a :class:`Pacer` holds the times of the last requests and can be handed to the next
  invocation, so the limit holds across a workflow's tasks.
- 429 (its body may be HTML) and 5xx/timeouts are retried with exponential backoff and full
  jitter, honouring ``Retry-After``; 401/403 are the account's failure, never retried.
- HAL paging with ``limit=250``; an empty list is a 204 with no body.
- Time comes from :mod:`ponte.clock`, so every wait runs in virtual time in tests. The token
  is only ever put in the ``Authorization`` header.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ponte.clock import Clock, get_clock

if TYPE_CHECKING:  # httpx costs ~170 ms to import: only functions that call Kommo pay it
    import httpx

PAGE_LIMIT = 250
MAX_PER_SECOND = 7
_TIMEOUT_SECONDS, _CONNECT_SECONDS = 15.0, 5.0


class KommoError(Exception):
    """A Kommo call that failed; the message is for people (Portuguese, no secrets)."""


class KommoAuthError(KommoError):
    """401/403: the token is wrong, lacks admin rights, or the account is blocked."""


class KommoUnavailable(KommoError):
    """Retries exhausted: timeouts, 5xx or 429 that did not clear."""


class Pacer:
    """At most ``limit`` requests in any ``window`` seconds. The window is a little longer than
    Kommo's second: a request arrives some milliseconds after it leaves, and the 8th must not
    land inside the first's second."""

    def __init__(
        self, sent: Iterable[float] = (), *, limit: int = MAX_PER_SECOND, window: float = 1.1
    ) -> None:
        self._limit = limit
        self._window = window
        self._sent: deque[float] = deque(sorted(sent)[-limit:], maxlen=limit)

    def wait(self, clock: Clock) -> None:
        now = clock.now().timestamp()
        if len(self._sent) == self._limit:
            ready = self._sent[0] + self._window
            if ready > now:
                clock.sleep(ready - now)
                now = clock.now().timestamp()
        self._sent.append(now)

    def state(self) -> list[float]:
        """The last request times, to hand to the next invocation."""
        return list(self._sent)


class KommoClient:
    def __init__(
        self,
        subdomain: str,
        token: str,
        *,
        base_url: str = "https://{subdomain}.kommo.com",
        transport: httpx.BaseTransport | None = None,
        pacer: Pacer | None = None,
        clock: Clock | None = None,
        max_attempts: int = 5,
    ) -> None:
        self.subdomain = subdomain
        self.pacer = pacer or Pacer()
        self.requests = 0  # sent, retries included
        self._clock = clock
        self._max_attempts = max_attempts
        import httpx

        self._http = httpx.Client(
            base_url=base_url.format(subdomain=subdomain),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/hal+json"},
            timeout=httpx.Timeout(_TIMEOUT_SECONDS, connect=_CONNECT_SECONDS),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    # -- the API ---------------------------------------------------------------------------
    def account(self) -> dict[str, Any]:
        body: dict[str, Any] = self._request("GET", "/api/v4/account").json()
        return body

    def roles(self) -> list[dict[str, Any]]:
        """Every role, following HAL ``next`` links (``limit=250``)."""
        roles: list[dict[str, Any]] = []
        page = 1
        while True:
            response = self._request(
                "GET", "/api/v4/roles", params={"page": page, "limit": PAGE_LIMIT}
            )
            if response.status_code == 204 or not response.content:
                return roles
            body = response.json()
            roles.extend(body.get("_embedded", {}).get("roles", []))
            if not body.get("_links", {}).get("next"):
                return roles
            page += 1

    def create_roles(self, roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create roles in one request (the body is a JSON array)."""
        payload = [{"name": r["name"], "rights": r["rights"]} for r in roles]
        body = self._request("POST", "/api/v4/roles", json=payload).json()
        created: list[dict[str, Any]] = body.get("_embedded", {}).get("roles", [])
        return created

    def update_role(self, role_id: int, name: str, rights: dict[str, Any]) -> None:
        self._request("PATCH", f"/api/v4/roles/{role_id}", json={"name": name, "rights": rights})

    def delete_role(self, role_id: int) -> None:
        self._request("DELETE", f"/api/v4/roles/{role_id}")

    # -- transport -------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        clock = self._clock or get_clock()
        problem = "Falha na conexão"
        for attempt in range(self._max_attempts):
            self.pacer.wait(clock)
            self.requests += 1
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                problem = f"Falha na conexão ({type(exc).__name__})"
                clock.sleep(_backoff(attempt))
                continue
            status = response.status_code
            if status in (401, 403):
                raise KommoAuthError(
                    f"Acesso negado pela conta {self.subdomain} (HTTP {status}): "
                    "verifique o token e se o usuário é administrador"
                )
            if status == 429 or status >= 500:
                problem = f"Kommo respondeu HTTP {status}"
                clock.sleep(_retry_after(response) or _backoff(attempt))
                continue
            if status >= 400:
                raise KommoError(f"Kommo recusou a requisição (HTTP {status}): {_detail(response)}")
            return response
        raise KommoUnavailable(f"{problem} após {self._max_attempts} tentativas")


def _backoff(attempt: int, base: float = 0.5, cap: float = 8.0) -> float:
    """Exponential backoff with full jitter."""
    return random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 - jitter, not crypto


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return 0.0


def _detail(response: httpx.Response) -> str:
    """Kommo's problem+json ``detail``; bodies may be HTML, so never trust them to be JSON."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    return str(body.get("detail") or body.get("title") or response.reason_phrase)[:300]
