"""The local gateway answers as API Gateway does: bodies it cannot read as text reach the
function base64-encoded (and get the API's 400), oversized bodies get API Gateway's own 413,
broken framing a 400, and a burst of clients is queued, not reset."""

from __future__ import annotations

import gzip
import socket
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from devstack.gateway import MAX_PAYLOAD
from devstack.stack import LocalStack
from ponte import tls
from tests.integration.conftest import TenantFixture
from tests.support.routes import concrete, flavor_of, is_envelope, takes_api_key

WRITES = ("POST", "PATCH", "DELETE")
BODILESS = {("POST", "/api/integration/v1/full-sync/uploads")}  # reads no body: opens an upload


def _write_routes(stack: LocalStack) -> list[tuple[str, str]]:
    return sorted(
        {(r.method, concrete(r.path)) for r in stack.gateway.routes if r.method in WRITES}
    )


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b'{"name": "caf\xe9"}', {"content-type": "application/json"}),  # Latin-1, not UTF-8
        (gzip.compress(b'{"name": "x"}', mtime=0), {"content-type": "application/json",
                                           "content-encoding": "gzip"}),
        (b"\x00\x01\x02\xff", {"content-type": "application/octet-stream"}),
    ],
    ids=["latin-1", "gzip", "binary"],
)  # fmt: skip
def test_an_unreadable_body_is_the_apis_own_4xx_on_every_write_route(
    stack: LocalStack, api: httpx.Client, tenant: TenantFixture,
    body: bytes, headers: dict[str, str],
) -> None:  # fmt: skip
    token, key = tenant.token("admin"), tenant.api_key()
    for method, path in _write_routes(stack):
        credential = key if takes_api_key(path) else token
        answer = api.request(
            method, path, content=body, headers={**headers, **tenant.headers(credential)}
        )
        if (method, path) in BODILESS:
            assert answer.status_code < 500, answer.text
            continue
        assert 400 <= answer.status_code < 500, (method, path, answer.status_code, answer.text)
        assert is_envelope(flavor_of(path), answer.json()), (method, path, answer.text)


def test_a_body_past_10_mb_gets_api_gateways_413(stack: LocalStack, tenant: TenantFixture) -> None:
    # API Gateway's own answer, in no API's envelope: no document describes it.
    answer = httpx.post(
        f"{stack.base_url}/api/integration/v1/units/sync",
        content=b"x" * (MAX_PAYLOAD + 1),
        headers={"content-type": "application/json", **tenant.headers(tenant.api_key())},
        timeout=30,
    )
    assert answer.status_code == 413
    assert answer.json() == {"message": "Request Entity Too Large"}


def _raw(stack: LocalStack, request: bytes) -> bytes:
    host, port = "127.0.0.1", stack.server.port
    with socket.create_connection((host, port), timeout=30) as conn:
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)
        return b"".join(iter(lambda: conn.recv(65536), b""))


def test_broken_framing_is_a_400_not_a_dropped_connection(stack: LocalStack) -> None:
    for length in (b"abc", b"-1", b"\xc2\xb2"):
        answer = _raw(
            stack,
            b"POST /api/integration/v1/units/sync HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: " + length + b"\r\n\r\n{}",
        )
        assert answer.startswith(b"HTTP/1.1 400"), answer[:80]


def test_a_chunked_body_is_read_whole(stack: LocalStack, tenant: TenantFixture) -> None:
    body = b'{"units": [{"code": "U1", "name": "Unidade 1"}]}'
    key = tenant.api_key()
    answer = _raw(
        stack,
        b"POST /api/integration/v1/units/sync HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nAuthorization: Bearer " + key.encode() + b"\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + f"{len(body[:10]):x}\r\n".encode() + body[:10] + b"\r\n"
        + f"{len(body[10:]):x}\r\n".encode() + body[10:] + b"\r\n0\r\n\r\n",
    )  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]


def test_a_burst_of_clients_is_queued_not_reset(stack: LocalStack) -> None:
    def health(_: int) -> int:
        with httpx.Client(base_url=stack.base_url, timeout=60, verify=tls.context()) as client:
            return client.get("/api/integration/v1/health").status_code

    with ThreadPoolExecutor(max_workers=140) as pool:
        statuses = list(pool.map(health, range(140)))
    assert statuses.count(200) == 140


def test_an_answer_past_lambdas_6_mb_fails_as_on_aws() -> None:
    """Lambda refuses a synchronous answer over 6 MB (the response object, its body a JSON
    string inside it), and API Gateway answers 500: the local gateway does the same, so a
    function that could answer too much fails its tests here too."""
    from devstack.gateway import MAX_RESPONSE, Gateway
    from devstack.template import Route

    class Runtime:
        body = ""

        def invoke(self, function: str, event: object) -> dict[str, object]:
            return {"statusCode": 200, "headers": {}, "body": self.body}

    runtime = Runtime()
    gateway = Gateway([Route("GET", "/big", "Big", False)], runtime, None)  # type: ignore[arg-type]
    runtime.body = "x" * (MAX_RESPONSE - 1000)
    assert gateway.handle("GET", "/big", {}, b"").status == 200
    runtime.body = '"' * (MAX_RESPONSE // 2)  # each quote escaped: twice the size inside
    assert gateway.handle("GET", "/big", {}, b"").status == 500
