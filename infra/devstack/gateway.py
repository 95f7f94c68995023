"""An HTTP API Gateway (payload 2.0) for the template's routes, served on localhost.

Each request runs through the template's REQUEST authorizer (simple responses) when its route
is authorized, then its function, both in-process; the answer is translated back as API
Gateway does. ``extra`` routes serve local-only documents (the local IdP's JWKS and sign-in flow).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devstack.fakes import QuietOnHangUp
from devstack.runtime import FunctionError, LambdaRuntime
from devstack.template import Route

MAX_PAYLOAD = 10 * 1024 * 1024  # HTTP API's request limit
MAX_INVOKE = 6 * 1024 * 1024  # Lambda's synchronous request limit: the event as JSON
# ... and its response limit: a larger answer fails the invocation (ResponseSizeTooLarge),
# which an HTTP API answers as any failed integration.
MAX_RESPONSE = 6 * 1024 * 1024
TOO_LARGE = {"message": "Request Entity Too Large"}  # API Gateway's own body, no envelope
_TEXT_TYPES = ("json", "text/", "xml", "x-www-form-urlencoded", "javascript")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


Extra = Callable[["Request"], Answer]


def json_answer(status: int, body: Any) -> Answer:
    return Answer(status, {"content-type": "application/json"}, json.dumps(body).encode())


class Gateway:
    def __init__(self, routes: list[Route], runtime: LambdaRuntime, authorizer: str | None):
        self.routes = routes
        self.runtime = runtime
        self.authorizer = authorizer
        self.extra: dict[tuple[str, str], Extra] = {}  # (method, path): local-only pages

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        url = urlsplit(target)
        local = self.extra.get((method, url.path))
        if local is not None:
            return local(Request(method, url.path, url.query, headers, body))
        if len(body) > MAX_PAYLOAD:
            return json_answer(413, TOO_LARGE)
        request = Request(method, url.path, url.query, headers, body)
        for route in self.routes:
            params = route.match(method, url.path)
            if params is not None:
                return self._dispatch(route, params, request)
        return json_answer(404, {"message": "Not Found"})

    def _dispatch(self, route: Route, params: dict[str, str], request: Request) -> Answer:
        event = self._event(route, params, request)
        if len(json.dumps(event)) > MAX_INVOKE:  # the function could not be invoked with it
            return json_answer(413, TOO_LARGE)
        if route.authorized and self.authorizer:
            try:
                verdict = self.runtime.invoke(self.authorizer, self._authorizer_event(event))
            except FunctionError:
                return json_answer(500, {"message": "Internal Server Error"})
            if not verdict.get("isAuthorized"):
                return json_answer(403, {"message": "Forbidden"})
            event["requestContext"]["authorizer"] = {"lambda": verdict.get("context") or {}}
        try:
            result = self.runtime.invoke(route.function, event)
        except FunctionError:
            return json_answer(500, {"message": "Internal Server Error"})
        if _response_size(result) > MAX_RESPONSE:
            return json_answer(500, {"message": "Internal Server Error"})
        return self._answer(result)

    @staticmethod
    def _event(route: Route, params: dict[str, str], request: Request) -> dict[str, Any]:
        method, path, query, body = request.method, request.path, request.query, request.body
        headers = request.headers
        lowered = {k.lower(): v for k, v in headers.items()}
        qs: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            qs[key] = f"{qs[key]},{value}" if key in qs else value
        is_text = _is_text(body, lowered)
        now = time.time()
        return {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": path,
            "rawQueryString": query,
            "cookies": [c.strip() for c in lowered.get("cookie", "").split(";") if c.strip()],
            "headers": lowered,
            "queryStringParameters": qs or None,
            "pathParameters": params or None,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": lowered.get("host", "127.0.0.1"),
                "domainPrefix": "local",
                "http": {
                    "method": method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": lowered.get("user-agent", ""),
                },
                "requestId": uuid.uuid4().hex,
                "routeKey": route.route_key,
                "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
            },
            "body": (body.decode() if is_text else base64.b64encode(body).decode()) or None,
            "isBase64Encoded": not is_text,
        }

    @staticmethod
    def _authorizer_event(event: dict[str, Any]) -> dict[str, Any]:
        return {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": f"arn:aws:execute-api:us-east-1:123456789012:local/$default/"
            f"{event['routeKey']}",
            "identitySource": [],
            **{
                k: event[k]
                for k in (
                    "routeKey",
                    "rawPath",
                    "rawQueryString",
                    "cookies",
                    "headers",
                    "queryStringParameters",
                    "pathParameters",
                    "requestContext",
                )
            },
        }

    @staticmethod
    def _answer(result: Any) -> Answer:
        if not (isinstance(result, dict) and "statusCode" in result):
            # Payload 2.0: anything else is a 200 JSON body.
            return json_answer(200, result)
        headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers[key.lower()] = ",".join(str(v) for v in values)
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        return Answer(int(result["statusCode"]), headers, body)


def _response_size(result: Any) -> int:
    """The function's answer as Lambda's Python 3.12+ runtimes serialise it (UTF-8 JSON)."""
    return len(json.dumps(result, ensure_ascii=False, default=str).encode())


def _is_text(body: bytes, headers: dict[str, str]) -> bool:
    """Whether the body reaches the function as text; else base64, as API Gateway sends
    bodies that are binary, content-encoded (gzip) or not UTF-8."""
    if not body:
        return True
    content_type = headers.get("content-type", "")
    if headers.get("content-encoding") or not any(t in content_type for t in _TEXT_TYPES):
        return False
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


class BadRequest(Exception):
    """A request the gateway cannot read (its framing, not its content)."""


def read_body(headers: Any, stream: Any) -> bytes:
    """The request body, by Content-Length or chunked; at most MAX_PAYLOAD + 1 bytes are kept
    (enough to tell it is too large)."""
    if "chunked" in (headers.get("transfer-encoding") or "").lower():
        chunks: list[bytes] = []
        size = 0
        while True:
            line = stream.readline(1024).split(b";")[0].strip()
            try:
                length = int(line, 16)
            except ValueError:
                raise BadRequest(line) from None
            if length == 0:
                stream.readline(1024)
                return b"".join(chunks)
            chunk = stream.read(length)
            stream.readline(8)
            if size <= MAX_PAYLOAD:
                chunks.append(chunk)
            size += length
    raw = (headers.get("content-length") or "0").strip()
    if not raw.isascii() or not raw.isdigit():
        raise BadRequest(raw)
    length = int(raw)
    body = stream.read(min(length, MAX_PAYLOAD + 1)) if length else b""
    return bytes(body)


class GatewayServer(QuietOnHangUp, ThreadingHTTPServer):
    """Binds first (so an ephemeral port is known), then serves whichever gateway it is given."""

    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of clients (an ERP sending in
    # parallel) would see connections reset, where API Gateway would queue them.
    request_queue_size = 256
    gateway: Gateway | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self, gateway: Gateway) -> None:
        self.gateway = gateway
        threading.Thread(target=self.serve_forever, name="ponte-gateway", daemon=True).start()

    def shutdown(self) -> None:
        if self.gateway is not None:  # never started: there is no loop to wait for
            super().shutdown()


def bind(host: str, port: int) -> GatewayServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            try:
                answer = self._answer()
            except Exception:  # API Gateway answers; it never drops the connection
                answer = json_answer(500, {"message": "Internal Server Error"})
                self.close_connection = True
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                if key not in {"content-length", "connection", "transfer-encoding"}:
                    self.send_header(key, value)
            self.send_header("content-length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        def _answer(self) -> Answer:
            try:
                body = read_body(self.headers, self.rfile)
            except BadRequest:
                self.close_connection = True  # the rest of the stream cannot be framed
                return json_answer(400, {"message": "Bad Request"})
            if len(body) > MAX_PAYLOAD:
                self.close_connection = True  # the unread rest is not another request
                return json_answer(413, TOO_LARGE)
            gateway = server.gateway
            if gateway is None:
                return json_answer(503, {"message": "Starting"})
            return gateway.handle(self.command, self.path, dict(self.headers.items()), body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the functions log every request as JSON already

    server = GatewayServer((host, port), Handler)
    return server
