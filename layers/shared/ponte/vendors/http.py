"""The toolkit under every connector's vendor client: one request path with pacing, retries
and redaction.

- Pacing before every attempt (``pacing``: the vendor's limits, held across invocations).
- 429 and 5xx, timeouts and dropped connections are retried (tenacity: stop after
  ``max_attempts``, wait the vendor's ``Retry-After`` when it gives one, else exponential
  backoff with full jitter); 401/403 are the credentials' failure and never retried; other
  4xx are the request's fault. A 3xx is an error too (redirects are never followed: a
  vendor API that redirects is a wrong base URL or a sign-in page, not an answer).
- A client whose access token expires (``bearer``: OAuth2) asks for the token before each
  request, and on a 401 asks once for a new one and sends the request again.
- Messages name the vendor, the method, the path and the status, never a header, a query
  string or a body we sent, so a token cannot leak through an error or a log line.
- Bodies that are not JSON are reported as such, not crashed on.
- Time comes from :mod:`ponte.clock`: every wait runs in virtual time in tests.
- :func:`safe_base_url` holds a base URL that a user supplies to https and public addresses.
- Every request goes through :class:`PinnedTransport`: it resolves the host itself, checks
  each address is public, and connects to the address it checked (TLS SNI, certificate
  check and Host header keep the host name). A DNS answer that changes between a check and
  the connection (rebinding) cannot reach a private address; only the hosts named in
  ``VENDOR_PRIVATE_HOSTS`` (the local stack's fakes) are exempt.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import SplitResult, urlsplit

from ponte import tls
from ponte.clock import Clock, get_clock
from ponte.observability import Metric, count
from ponte.vendors.pacing import Pacer

if TYPE_CHECKING:  # httpx costs ~170 ms to import: only code that calls a vendor pays it
    import httpx

TIMEOUT_SECONDS, CONNECT_SECONDS = 30.0, 5.0
MAX_RETRY_AFTER = 60.0  # a longer Retry-After is cut short: the retries run out and it is
# reported (a daily quota does not come back within a run)


class VendorError(Exception):
    """A vendor call that failed; the message is for people (no secrets in it)."""


class VendorAuthError(VendorError):
    """401/403: the credentials are wrong, revoked or lack a permission. ``status`` 0: they
    could not even be sent (characters an HTTP header cannot carry); nothing was sent."""

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


class VendorBlocked(VendorError):
    """A request not sent: its host resolved to a private or local address at the time."""


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
    transport: Any = None  # an httpx transport (tests mount a fake); else PinnedTransport
    # Hosts exempt from the public-address rule; None: the settings' VENDOR_PRIVATE_HOSTS.
    private_hosts: Collection[str] | None = None
    clock: Clock | None = None
    max_attempts: int = 5
    requests: int = 0  # sent, retries included
    throttled: int = 0  # of which the vendor refused with a 429
    on_request: Callable[[str, str], None] | None = None  # (method, path): counting in tests
    _client: Any = None
    _counted: dict[str, int] = field(default_factory=dict)  # already written as metrics

    def _http(self) -> httpx.Client:
        client: httpx.Client | None = self._client
        if client is None:
            import httpx

            if not all(_sendable(value) for value in self.headers.values()):
                # httpx would raise UnicodeEncodeError naming the character: a secret's.
                raise VendorAuthError(
                    f"{self.vendor}: the credentials hold characters an HTTP header cannot "
                    "carry (printable ASCII only)",
                    status=0,
                )

            _redact_request_lines()
            transport = self.transport
            if transport is None:
                private = self.private_hosts
                if private is None:
                    from ponte.settings import get_settings

                    private = get_settings().vendor_private_hosts
                transport = PinnedTransport(private)
            client = httpx.Client(
                base_url=self.base_url,
                headers=dict(self.headers),
                params=dict(self.query),
                auth=self.auth,
                transport=transport,
                timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_SECONDS),
                trust_env=False,  # no proxy from the environment: it would resolve the host
            )
            self._client = client
        return client

    def close(self) -> None:
        """Close the connection pool; the requests sent and refused become metrics."""
        if self._client is not None:
            self._client.close()
        for metric, total in ((Metric.VENDOR_REQUESTS, self.requests),
                              (Metric.VENDOR_THROTTLED, self.throttled)):  # fmt: skip
            if total > self._counted.get(metric, 0):
                new = total - self._counted.get(metric, 0)
                count(metric, new, by=[{"vendor": self.vendor}, {}])
                self._counted[metric] = total

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
                token=token, where=where,
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
        if status == 429:
            self.throttled += 1
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}", _retry_after(response), refused=status == 429)
        if 300 <= status < 400:  # e.g. a 302 to a sign-in page, with no body: no success
            raise VendorRejected(
                f"{where}: HTTP {status} (a redirect, not followed: check the base URL)", status
            )
        if status >= 400 or status < 200:
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
        where: str,
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
        except UnsafeUrl as exc:  # the host resolves somewhere it must not go now: no retry
            raise VendorBlocked(f"{where}: {exc}") from None


def _sendable(value: str) -> bool:
    return value.isascii() and value.isprintable()


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


_SECONDS = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,6})?")  # float() takes full-width digits, "nan"


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    if not _SECONDS.fullmatch(raw):
        return None  # none, or an HTTP date: back off on our own schedule instead
    return float(raw)


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
    endpoint or the private network. Anything that does not parse as such a URL (a port out
    of range, a broken IPv6 literal, a control character, a space) is an UnsafeUrl too."""
    text = url.strip()
    parts = _parse(text)
    host = parts.hostname or ""
    if host not in private_hosts:
        if parts.scheme != "https":
            raise UnsafeUrl("the base URL must use https")
        public_addresses(host, parts.port or 443)
    return text.rstrip("/")


_HOST_NAME = re.compile(
    r"(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?",
    re.ASCII,
)


def _parse(text: str) -> SplitResult:
    if not text.isascii() or not text.isprintable() or " " in text or "\\" in text:
        raise UnsafeUrl(
            "the base URL must be printable ASCII, without spaces or backslashes (an "
            "international host in its xn-- form)"
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a port out of range or not a number, a broken [IPv6] literal
        raise UnsafeUrl("the base URL is not a valid URL (its host or its port)") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl("the base URL must be an absolute http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("the base URL must not carry credentials")
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise UnsafeUrl("the base URL must not carry a query or a fragment")
    if port == 0:
        raise UnsafeUrl("the base URL's port must be between 1 and 65535")
    if not (_is_address(parts.hostname) or _HOST_NAME.fullmatch(parts.hostname)):
        raise UnsafeUrl("the base URL's host is not a host name or an IP address")
    return parts


def _is_address(host: str) -> bool:
    """An IP literal; a zone index (``fe80::1%eth0``) names this machine's interface: no."""
    if "%" in host:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: Address) -> bool:
    """A globally reachable address, IPv4 written in IPv6 included: IPv4-mapped
    (``::ffff:a.b.c.d``), IPv4-compatible (``::a.b.c.d``, ``::7f00:1``), NAT64
    (``64:ff9b::/96``, whose translator connects to the IPv4 inside), 6to4 and Teredo are
    public only if the IPv4 address they carry is."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        for embedded in _embedded(address):
            if not embedded.is_global:
                return False
    return address.is_global


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64 or address in _COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


Resolve = Callable[[str, int], list[str]]


class PinnedTransport:
    """An httpx transport that connects to the address it checked.

    For each request it resolves the URL's host (``resolve``: :func:`public_addresses`,
    which refuses the request when any address is private), rewrites the URL to that
    address, and hands it to an ``httpx.HTTPTransport`` with the host name as TLS SNI (the
    certificate is checked against it) and in the Host header, which httpx set when the
    request was built. Addresses are tried in order when a connection cannot be made. Hosts
    in ``private_hosts`` pass unchanged and may be http; no other host may."""

    def __init__(
        self,
        private_hosts: Collection[str] = (),
        *,
        resolve: Resolve | None = None,
        inner: Any = None,
    ) -> None:
        self._private = frozenset(private_hosts)
        self._resolve = resolve or public_addresses
        self._inner = inner

    def _transport(self) -> Any:
        if self._inner is None:
            import httpx

            self._inner = httpx.HTTPTransport(verify=tls.context())
        return self._inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        import httpx

        url = request.url
        host = url.host
        if host in self._private:
            response: httpx.Response = self._transport().handle_request(request)
            return response
        if url.scheme != "https":
            raise UnsafeUrl("the base URL must use https")
        addresses = self._resolve(host, url.port or 443)
        for n, address in enumerate(addresses):
            request.url = url.copy_with(host=address)
            request.extensions = {**request.extensions, "sni_hostname": host}
            try:
                response = self._transport().handle_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if n == len(addresses) - 1:
                    raise
                continue
            finally:
                request.url = url  # what callers (and error messages) see is the host name
            return response
        raise UnsafeUrl(f"the host {host} does not resolve")  # pragma: no cover - resolve

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()

    def __enter__(self) -> PinnedTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to now, if every one of them is public; else
    UnsafeUrl. An IP literal is its own address."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"the host {host} does not resolve") from exc
    found: list[str] = []
    for info in infos:
        raw = str(info[4][0])
        address = ipaddress.ip_address(raw.partition("%")[0])
        if "%" in raw or not is_public(address):
            raise UnsafeUrl(f"the host {host} resolves to a private or local address")
        if raw not in found:
            found.append(raw)
    if not found:
        raise UnsafeUrl(f"the host {host} does not resolve")
    return found
