"""What every vendor fake shares: a WSGI request, a record of each request with its
(virtual) time, rolling-window rate limits, failures on demand, and an HTTP server on a thread.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from ponte.clock import get_clock

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Recorded:
    account: str
    method: str
    path: str
    at: float
    status: int


def json_answer(status: int, body: Any, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer(status, json.dumps(body).encode(), headers=headers)


def request_of(environ: dict[str, Any]) -> Request:
    size = int(environ.get("CONTENT_LENGTH") or 0)
    return Request(
        method=environ["REQUEST_METHOD"],
        path=environ.get("PATH_INFO", ""),
        query={k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()},
        body=environ["wsgi.input"].read(size) if size else b"",
        headers={
            k[5:].replace("_", "-").lower(): str(v)
            for k, v in environ.items()
            if k.startswith("HTTP_")
        },
    )


class RollingLimit:
    """At most ``limit`` requests in any ``window`` seconds; beyond, the wait until a slot."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()

    def admit(self, now: float) -> float | None:
        """None when the request is within the limit (it is counted), else seconds to wait."""
        while self._times and self._times[0] <= now - self.window:
            self._times.popleft()
        if len(self._times) >= self.limit:
            return self._times[0] + self.window - now
        self._times.append(now)
        return None


@dataclass
class Failures:
    """Failures on demand: the next requests' statuses (with a Retry-After for a 429)."""

    next: list[tuple[int, float | None]] = field(default_factory=list)

    def fail_next(self, *statuses: int, retry_after: float | None = None) -> None:
        self.next.extend((s, retry_after) for s in statuses)

    def take(self) -> tuple[int, float | None] | None:
        return self.next.pop(0) if self.next else None

    def answer(self, status: int, retry_after: float | None, body: Any) -> Answer:
        """An injected failure: a redirect has a Location and no body, as a sign-in page's
        has; the rest ``body`` as JSON (with a Retry-After when one was given)."""
        if 300 <= status < 400:
            return Answer(status, b"", headers=(("Location", "https://login.example.com/"),))
        headers = (("Retry-After", str(retry_after)),) if retry_after is not None else ()
        return json_answer(status, body, headers)


class Fake:
    """A WSGI vendor fake: subclasses answer requests; every request is recorded."""

    name = "fake"

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.lock = threading.RLock()
        # Called with each request and its answer, under the lock (a test or a benchmark
        # changing data while a run reads it).
        self.listeners: list[Callable[[Request, Answer], None]] = []
        self._open = threading.Event()  # cleared by ``hold``: requests wait to be answered
        self._open.set()
        self.holding = threading.Event()  # set once a request waits on a hold

    def hold(self) -> None:
        """Keep the next requests waiting (a vendor slow to answer) until ``release``."""
        self.holding.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def answer(self, request: Request, now: float) -> tuple[str, Answer]:
        """(the account it concerns, the answer)."""
        raise NotImplementedError

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        request = request_of(environ)
        if not self._open.is_set():
            self.holding.set()
            self._open.wait(timeout=120)
        now = get_clock().now().timestamp()
        with self.lock:
            account, answer = self.answer(request, now)
            self.requests.append(
                Recorded(account, request.method, request.path, now, answer.status)
            )
            for listener in self.listeners:
                listener(request, answer)
        headers = [("Content-Type", answer.content_type)] if answer.body else []
        headers.extend(answer.headers)
        start_response(f"{answer.status} {REASONS.get(answer.status, 'Status')}", headers)
        return [answer.body]

    def made(self, account: str = "", *, status: int | None = None) -> list[Recorded]:
        """The requests an account received (every account's without one)."""
        return [
            r
            for r in self.requests
            if (not account or r.account == account) and (status is None or r.status == status)
        ]


REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


class QuietOnHangUp:
    """A client that hangs up before its answer is written (a curl stopped with Ctrl+C) is
    not a server error: socketserver would print a traceback for each."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipe, ConnectionReset
            return
        super().handle_error(request, client_address)  # type: ignore[misc]


class _ThreadingServer(QuietOnHangUp, ThreadingMixIn, WSGIServer):
    daemon_threads = True


def reachable(host: str) -> str:
    """The address to call a server listening on ``host`` by (every interface: loopback)."""
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


def serve(app: Any, host: str = "127.0.0.1", port: int = 0) -> tuple[WSGIServer, str]:
    """Serve a WSGI fake over HTTP on a thread; returns the server and its origin."""
    server: WSGIServer = make_server(
        host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    name = getattr(app, "name", "fake")
    threading.Thread(target=server.serve_forever, name=f"{name}-fake", daemon=True).start()
    return server, f"http://{reachable(host)}:{server.server_port}"
