"""RD Station CRM API v2: contacts and deals (the connectors' "leads"), read with OAuth2 tokens.

What this client relies on (sources in the README's connector section and docs/vendors.md):
- ``RDSTATION_BASE_URL`` (default ``https://api.rd.services``) + ``/crm/v2``;
  ``Authorization: Bearer {access_token}``; JSON; times ISO-8601 UTC.
- Tokens at ``{RDSTATION_BASE_URL}/oauth2/token``, form-encoded ``client_id``,
  ``client_secret`` and either ``refresh_token`` with ``grant_type=refresh_token`` or ``code``
  and ``redirect_uri`` with ``grant_type=authorization_code``. An access token lasts 2 hours;
  each refresh returns a new refresh token and spends the old one; a refresh token unused for
  14 days dies; a code lasts 5 minutes and serves once. A refused grant is 400/401
  (``invalid_grant``, for one).
- ``GET /contacts`` and ``GET /deals``: ``page[number]`` (from 1) and ``page[size]``,
  records under ``data``; ``sort`` on one field; RDQL ``filter`` (``updated_at:>="…"``).
- Paging is by page number only (an offset): a record that changes moves to the end of an
  ``updated_at`` sort and shifts the rest, so the caller pages by key instead (each query
  filters from the last ``updated_at`` second read) and reads that boundary again.
- A list query returns only its first 10,000 rows.
- 120 requests per minute per account; beyond, 429 with ``Retry-After`` (seconds). Paced
  before it is hit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ponte.vendors.http import BearerTokens, VendorAuthError, VendorHttp, VendorRejected
from ponte.vendors.oauth import Grant
from ponte.vendors.pacing import Limit, Pacer, Schedule, Spaced

PAGE_SIZE: Final = 100
ROW_CEILING: Final = 10_000  # rows one list query can page through
RESOURCES: Final = {"contacts": "contacts", "leads": "deals"}


TOKEN_PATH: Final = "/oauth2/token"


def pacer(account: str, per_minute: int, schedule: Schedule) -> Pacer:
    """The account's request budget (``account``: a digest naming it, never a secret)."""
    return Spaced(f"rdstation:{account}", Limit(per_minute, 60.0), schedule)


def client(
    bearer: BearerTokens,
    *,
    base_url: str,
    pace: Pacer,
    max_attempts: int = 5,
    transport: Any = None,
) -> VendorHttp:
    """The CRM API, with ``bearer``'s access token on every request."""
    return VendorHttp(
        vendor="RD Station",
        base_url=f"{base_url.rstrip('/')}/crm/v2",
        headers={"Accept": "application/json"},
        bearer=bearer,
        pacers={"default": pace},
        transport=transport,
        max_attempts=max_attempts,
    )


def token_client(
    *, base_url: str, pace: Pacer, max_attempts: int = 5, transport: Any = None
) -> VendorHttp:
    """The token endpoint's client (paced with the account's API requests: RD Station does
    not say whether token requests count against the limit, so they are counted)."""
    return VendorHttp(
        vendor="RD Station",
        base_url=base_url.rstrip("/"),
        headers={"Accept": "application/json"},
        pacers={"default": pace},
        transport=transport,
        max_attempts=max_attempts,
    )


def refresh(http: VendorHttp, client_id: str, client_secret: str, refresh_token: str) -> Grant:
    """New tokens for ``refresh_token`` (which RD Station then discards)."""
    form = {
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
        "grant_type": "refresh_token",
    }
    return _tokens(http, form, "token refresh", (client_secret, refresh_token))


def exchange_code(
    http: VendorHttp, client_id: str, client_secret: str, code: str, redirect_uri: str
) -> Grant:
    """The first tokens of an authorization: ``code`` (valid 5 minutes, once)."""
    form = {
        "client_id": client_id,
        "client_secret": client_secret,
        "code": code,
        "redirect_uri": redirect_uri,
        "grant_type": "authorization_code",
    }
    return _tokens(http, form, "authorization code exchange", (client_secret, code))


def _tokens(
    http: VendorHttp, form: Mapping[str, str], what: str, secrets: tuple[str, ...]
) -> Grant:
    # Not retried after a 5xx or a timeout: the vendor may have rotated the refresh token
    # already, and a second try with the spent one would be refused (invalid_grant).
    try:
        body = http.post_form(TOKEN_PATH, form, idempotent=False)
    except VendorRejected as exc:
        if exc.status in (400, 401):
            raise VendorAuthError(
                f"RD Station refused the {what} ({_scrubbed(exc.detail, secrets)})", exc.status
            ) from None
        raise
    except VendorAuthError as exc:
        reason = _scrubbed(exc.detail, secrets) or f"HTTP {exc.status}"
        raise VendorAuthError(f"RD Station refused the {what} ({reason})", exc.status) from None
    if not isinstance(body, dict) or not body.get("access_token"):
        raise VendorRejected(f"RD Station {what}: the answer has no access_token", 200)
    try:
        expires_in = float(body.get("expires_in") or 7200)
    except (TypeError, ValueError):
        expires_in = 7200.0
    refreshed = body.get("refresh_token")
    return Grant(str(body["access_token"]), expires_in, str(refreshed) if refreshed else None)


def _scrubbed(text: str, secrets: tuple[str, ...]) -> str:
    """A vendor's message with anything we sent it blanked (it should never echo one)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def check(http: VendorHttp) -> None:
    """The cheapest authenticated call: one contact."""
    http.get("/contacts", params={"page[number]": 1, "page[size]": 1})


def rdql_time(iso: str) -> str:
    """A normalised time as an RDQL DateTime literal (quoted: it holds a space)."""
    return '"' + iso.replace("T", " ").removesuffix("Z")[:19] + '"'


def list_page(
    http: VendorHttp, stream: str, page: int, since: str, *, before: str = ""
) -> list[dict[str, Any]]:
    """Records of ``stream`` updated at or after ``since`` (all when '') and, with
    ``before``, before it (RDQL compares whole seconds), oldest change first."""
    params: dict[str, Any] = {
        "page[number]": page,
        "page[size]": PAGE_SIZE,
        "sort": "updated_at",
    }
    conditions = [f"updated_at:>={rdql_time(since)}"] if since else []
    if before:
        conditions.append(f"updated_at:<{rdql_time(before)}")
    if conditions:
        params["filter"] = " ".join(conditions)
    body = http.get(f"/{RESOURCES[stream]}", params=params) or {}
    return [r for r in body.get("data") or [] if isinstance(r, dict)]


WEB_BASE: Final = "https://crm.rdstation.com/app"


def web_url(base: str, stream: str, record_id: str) -> str | None:
    """A deal in RD Station CRM's web app (``crm.rdstation.com/app/deals/{id}``, as public
    integrations link them). RD Station documents no address for a contact: none."""
    return f"{base}/deals/{record_id}" if stream == "leads" else None
