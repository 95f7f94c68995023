"""Kommo API v4: account and roles of one account.

- ``https://{subdomain}.kommo.com`` by default; the template is a setting (``KOMMO_BASE_URL``)
  so the local stack and tests point it at a fake.
- At most 7 requests in any second per account (Kommo blocks accounts that keep exceeding it);
  the pacer holds the times of the last requests and can be handed to the next invocation,
  so the limit holds across a workflow's tasks.
- Requests go through the vendor toolkit (``ponte.vendors.http``): 429 (its body may be HTML)
  and 5xx/timeouts retried with backoff and jitter, honouring ``Retry-After``; 401/403 are the
  account's failure, never retried. Its failures are said here in Portuguese.
- HAL paging with ``limit=250``; an empty list is a 204 with no body.
- Time comes from :mod:`ponte.clock`, so every wait runs in virtual time in tests. The token
  is only ever put in the ``Authorization`` header.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ponte.clock import Clock
from ponte.vendors.http import VendorAuthError, VendorHttp, VendorRejected, VendorUnavailable
from ponte.vendors.pacing import Window

if TYPE_CHECKING:  # httpx costs ~170 ms to import: only functions that call Kommo pay it
    import httpx

PAGE_LIMIT = 250
MAX_PER_SECOND = 7


class KommoError(Exception):
    """A Kommo call that failed; the message is for people (Portuguese, no secrets)."""


class KommoAuthError(KommoError):
    """401/403: the token is wrong, lacks admin rights, or the account is blocked."""


class KommoUnavailable(KommoError):
    """Retries exhausted: timeouts, 5xx or 429 that did not clear."""


def Pacer(sent: Iterable[float] = ()) -> Window:
    """At most 7 requests in any 1.1 s: a request arrives some milliseconds after it leaves,
    and the 8th must not land inside the first one's second."""
    return Window(sent, limit=MAX_PER_SECOND, window=1.1)


class KommoClient:
    def __init__(
        self,
        subdomain: str,
        token: str,
        *,
        base_url: str = "https://{subdomain}.kommo.com",
        transport: httpx.BaseTransport | None = None,
        pacer: Window | None = None,
        clock: Clock | None = None,
        max_attempts: int = 5,
    ) -> None:
        self.subdomain = subdomain
        self.pacer = pacer or Pacer()
        self._http = VendorHttp(
            vendor="Kommo",
            base_url=base_url.format(subdomain=subdomain),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/hal+json"},
            pacers={"default": self.pacer},
            transport=transport,
            clock=clock,
            max_attempts=max_attempts,
        )

    @property
    def requests(self) -> int:
        """Requests sent, retries included."""
        return self._http.requests

    def close(self) -> None:
        self._http.close()

    # -- the API ---------------------------------------------------------------------------
    def account(self) -> dict[str, Any]:
        body: dict[str, Any] = self._request("GET", "/api/v4/account") or {}
        return body

    def roles(self) -> list[dict[str, Any]]:
        """Every role, following HAL ``next`` links (``limit=250``); a 204 is an empty page."""
        roles: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self._request("GET", "/api/v4/roles", params={"page": page, "limit": PAGE_LIMIT})
            if not body:
                return roles
            roles.extend(body.get("_embedded", {}).get("roles", []))
            if not body.get("_links", {}).get("next"):
                return roles
            page += 1

    def create_roles(self, roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create roles in one request (the body is a JSON array). A create is not repeated
        blindly: after a 5xx or a timeout it may have landed, so the roles are read again and
        only the missing ones are sent (Kommo refuses a second role of the same name)."""
        pending = [{"name": r["name"], "rights": r["rights"]} for r in roles]
        created: list[dict[str, Any]] = []
        attempts = self._http.max_attempts
        for attempt in range(attempts):
            try:
                body = self._request("POST", "/api/v4/roles", json=pending, idempotent=False)
            except KommoUnavailable as exc:
                if attempt == attempts - 1:
                    raise KommoUnavailable(
                        f"Kommo não confirmou a criação de papéis após {attempts} tentativas"
                    ) from exc
                existing = {r["name"]: r for r in self.roles()}
                created += [existing[p["name"]] for p in pending if p["name"] in existing]
                pending = [p for p in pending if p["name"] not in existing]
                if not pending:
                    return created
                continue
            return created + list((body or {}).get("_embedded", {}).get("roles", []))
        return created

    def update_role(self, role_id: int, name: str, rights: dict[str, Any]) -> None:
        self._request("PATCH", f"/api/v4/roles/{role_id}", json={"name": name, "rights": rights})

    def delete_role(self, role_id: int) -> None:
        self._request("DELETE", f"/api/v4/roles/{role_id}")

    # -- transport: the shared toolkit, in Kommo's words ----------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return self._http.request(method, path, **kwargs)
        except VendorAuthError as exc:
            if exc.status == 0:  # never sent: the stored token cannot travel in a header
                raise KommoAuthError(
                    f"O token da conta {self.subdomain} tem caracteres que um cabeçalho HTTP "
                    "não aceita: informe-o de novo"
                ) from None
            raise KommoAuthError(
                f"Acesso negado pela conta {self.subdomain} (HTTP {exc.status}): "
                "verifique o token e se o usuário é administrador"
            ) from None
        except VendorUnavailable as exc:
            problem = exc.problem
            if problem.startswith("HTTP"):
                said = f"Kommo respondeu {problem}"
            else:
                said = f"Falha na conexão ({problem})"
            raise KommoUnavailable(f"{said} após {exc.attempts} tentativas") from None
        except VendorRejected as exc:
            raise KommoError(
                f"Kommo recusou a requisição (HTTP {exc.status}): {exc.detail}"
            ) from None
