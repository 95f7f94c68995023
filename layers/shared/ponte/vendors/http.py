"""The toolkit under every connector's vendor client: one request path with pacing, retries
and redaction.

- Pacing before every attempt (``pacing``: the vendor's limits, held across invocations).
- 429 and 5xx, timeouts and dropped connections are retried (tenacity: stop after
  ``max_attempts``, wait the vendor's ``Retry-After`` when it gives one, else exponential
  backoff with full jitter); 401/403 are the credentials' failure and never retried; other
  4xx are the request's fault.
- A client whose access token expires (``bearer``: OAuth2) asks for the token before each
  request, and on a 401 asks once for a new one and sends the request again.
- Messages name the vendor, the method, the path and the status, never a header, a query
  string or a body we sent, so a token cannot leak through an error or a log line.
- Bodies that are not JSON are reported as such, not crashed on.
- Time comes from :mod:`ponte.clock`: every wait runs in virtual time in tests.
- :func:`safe_base_url` holds a base URL that a user supplies to https and public addresses.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from ponte.clock import Clock, get_clock
from ponte.vendors.pacing import Pacer

if TYPE_CHECKING:  # httpx costs ~170 ms to import: only code that calls a vendor pays it
    import httpx

TIMEOUT_SECONDS, CONNECT_SECONDS = 30.0, 5.0
MAX_RETRY_AFTER = 60.0  # a longer Retry-After is cut short: the retries run out and it is
# reported (a daily quota does not come back within a run)


class VendorError(Exception):
    """A vendor call that failed; the message is for people (no secrets in it)."""


class VendorAuthError(VendorError):
    """401/403: the credentials are wrong, revoked or lack a permission."""

    def __init__(self, message: str, status: int = 401, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail  # the vendor's own words, when it gave any


class VendorRejected(VendorError):
    """Another 4xx (or an answer that is not JSON): the vendor refused this request."""

    def __init__(self, message: str, status: int, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class VendorUnavailable(VendorError):
    """Retries exhausted: 429, 5xx or the network did not clear."""

    def __init__(self, message: str, problem: str, attempts: int) -> None:
        super().__init__(message)
        self.problem = problem  # the last attempt's: "HTTP 503", "network error (...)"
        self.attempts = attempts


class UnsafeUrl(ValueError):
    """A user-supplied base URL that must not be called; the message says why."""


class BearerTokens(Protocol):
    """Where a client's access token comes from (``vendors/oauth.py``'s keeper)."""

    def token(self) -> str:
        """A token to send now (refreshed first when it is about to expire)."""
        ...

    def rejected(self, token: str) -> str:
        """The vendor answered 401 to ``token``: a new one (refreshed unless another
        process already did)."""
        ...


class _Retryable(Exception):
    def __init__(
        self, problem: str, retry_after: float | None = None, *, refused: bool = False
    ) -> None:
        super().__init__(problem)
        self.retry_after = retry_after
        self.refused = refused  # a 429: the vendor did not act on the request


@dataclass
class VendorHttp:
    """Requests to one vendor account. ``pacers`` names each limit a request may count
    against; a request lists the names it consumes (every request counts against "default")."""

    vendor: str
    base_url: str
    headers: Mapping[str, str]
    pacers: Mapping[str, Pacer] = field(default_factory=dict)
    auth: Any = None  # an httpx auth (Zendesk's basic auth)
    bearer: BearerTokens | None = None  # an access token that expires (OAuth2)
    query: Mapping[str, str] = field(default_factory=dict)  # on every request (Movidesk's token)
    transport: Any = None  # an httpx transport (tests mount a fake)
    clock: Clock | None = None
    max_attempts: int = 5
    requests: int = 0  # sent, retries included
    on_request: Callable[[str, str], None] | None = None  # (method, path): counting in tests
    _client: Any = None

    def _http(self) -> httpx.Client:
        client: httpx.Client | None = self._client
        if client is None:
            import httpx

            _redact_request_lines()
            client = httpx.Client(
                base_url=self.base_url,
                headers=dict(self.headers),
                params=dict(self.query),
                auth=self.auth,
                transport=self.transport,
                timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_SECONDS),
            )
            self._client = client
        return client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def get(self, path: str, *, params: Mapping[str, Any] | None = None,
            limits: Sequence[str] = ()) -> Any:  # fmt: skip
        return self.request("GET", path, params=params, limits=limits)

    def post(
        self, path: str, body: Any, *, limits: Sequence[str] = (), idempotent: bool = True
    ) -> Any:
        return self.request("POST", path, json=body, limits=limits, idempotent=idempotent)

    def post_form(self, path: str, form: Mapping[str, str], *, idempotent: bool = True) -> Any:
        """A form-encoded POST (an OAuth2 token endpoint)."""
        return self.request("POST", path, form=form, idempotent=idempotent)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        form: Mapping[str, str] | None = None,
        limits: Sequence[str] = (),
        idempotent: bool = True,
    ) -> Any:
        """The JSON body of a successful answer (None for an empty one). A request that is
        not ``idempotent`` is retried only when the vendor refused it (429): after a 5xx or a
        timeout it may have been applied, and only the caller can tell."""
        from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt

        clock = self.clock or get_clock()
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=_wait,
            retry=retry_if_exception(
                lambda e: isinstance(e, _Retryable) and (idempotent or e.refused)
            ),
            sleep=clock.sleep,
        )
        where = f"{self.vendor} {method} {path}"
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(
                        clock, method, path, params=params, body=json, form=form,
                        limits=limits, where=where,
                    )  # fmt: skip
        except _Retryable as exc:  # not idempotent: the first 5xx or timeout ends it
            raise VendorUnavailable(f"{where}: {exc} (not retried)", str(exc), 1) from None
        except RetryError as exc:
            problem = str(exc.last_attempt.exception())
            raise VendorUnavailable(
                f"{where}: {problem} after {self.max_attempts} attempts",
                problem,
                self.max_attempts,
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover - tenacity returns or raises

    def _once(
        self,
        clock: Clock,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        body: Any,
        form: Mapping[str, str] | None,
        limits: Sequence[str],
        where: str,
    ) -> Any:
        def send(token: str | None) -> httpx.Response:
            return self._send(
                clock, method, path, params=params, body=body, form=form, limits=limits,
                token=token,
            )  # fmt: skip

        token = self.bearer.token() if self.bearer is not None else None
        response = send(token)
        if response.status_code == 401 and self.bearer is not None and token is not None:
            # The token expired early or was revoked: one new token, one more try.
            response = send(self.bearer.rejected(token))
        status = response.status_code
        if status in (401, 403):
            raise VendorAuthError(
                f"{where}: the credentials were refused (HTTP {status})", status, _detail(response)
            )
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}", _retry_after(response), refused=status == 429)
        if status >= 400:
            detail = _detail(response)
            raise VendorRejected(f"{where}: HTTP {status} {detail}", status, detail)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise VendorRejected(f"{where}: the answer is not JSON", status) from None

    def _send(
        self,
        clock: Clock,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        body: Any,
        form: Mapping[str, str] | None,
        limits: Sequence[str],
        token: str | None,
    ) -> httpx.Response:
        """One paced request."""
        import httpx

        for name in ("default", *limits):
            pacer = self.pacers.get(name)
            if pacer is not None:
                pacer.wait(clock)
        self.requests += 1
        if self.on_request is not None:
            self.on_request(method, path)
        headers = {"Authorization": f"Bearer {token}"} if token is not None else None
        try:
            return self._http().request(
                method, path, params=params, json=body, data=form, headers=headers
            )
        except httpx.TransportError as exc:
            raise _Retryable(f"network error ({type(exc).__name__})") from None


_SECRET_PARAMS = re.compile(r"((?:token|api_key|apikey|access_token)=)[^&\s\"']+", re.IGNORECASE)


class _RedactQuery(logging.Filter):
    """httpx logs each request line with its full URL: a token in the query string (Movidesk
    puts it there) must not reach a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_PARAMS.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _redact_request_lines() -> None:
    for name in ("httpx", "httpcore"):
        log = logging.getLogger(name)
        if not any(isinstance(f, _RedactQuery) for f in log.filters):
            log.addFilter(_RedactQuery())


def _wait(state: Any) -> float:
    """The vendor's Retry-After when it gave one, else exponential backoff, full jitter."""
    from tenacity import wait_random_exponential

    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    hint = getattr(error, "retry_after", None)
    if hint is not None:
        return float(min(hint, MAX_RETRY_AFTER))
    return float(wait_random_exponential(multiplier=0.5, max=30)(state))


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(raw)) if raw else None
    except ValueError:
        return None  # an HTTP date: back off on our own schedule instead


_DETAIL_FIELDS = ("detail", "message", "description", "title", "error")


def _detail(response: httpx.Response) -> str:
    """The vendor's own error text, when its body is JSON; never echoes what we sent."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if not isinstance(body, dict):
        return response.reason_phrase
    for code, meaning in (("error", "error_description"), ("error_type", "error_message")):
        # OAuth2's error answer (RFC 6749, section 5.2), and RD Station's: code and meaning.
        if isinstance(body.get(code), str) and body.get(meaning):
            return f"{body[code]}: {body[meaning]}"[:300]
    text = next((body[k] for k in _DETAIL_FIELDS if body.get(k)), None)
    return str(text or response.reason_phrase)[:300]


def safe_base_url(url: str, *, private_hosts: Collection[str] = ()) -> str:
    """``url`` without a trailing slash, if it may be called: https on a public address. A
    host named in ``private_hosts`` (the local stack's fakes on loopback) may be http and
    private; no other host may, so a user-supplied URL cannot reach the cloud's metadata
    endpoint or the private network."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl("the base URL must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise UnsafeUrl("the base URL must not carry credentials")
    if parts.query or parts.fragment:
        raise UnsafeUrl("the base URL must not carry a query or a fragment")
    if parts.hostname not in private_hosts:
        if parts.scheme != "https":
            raise UnsafeUrl("the base URL must use https")
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443)
        except (OSError, UnicodeError) as exc:
            raise UnsafeUrl(f"the host {parts.hostname} does not resolve") from exc
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global:
                raise UnsafeUrl(f"the host {parts.hostname} resolves to a private or local address")
    return url.strip().rstrip("/")
