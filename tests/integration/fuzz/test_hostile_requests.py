"""Generated hostile requests against every route of template.yaml, through the local stack.

Each surface (bodies, query strings, path parameters, credentials) draws a route and a
hostile input; the probe checks the answer is no 5xx, every error is in its API's envelope,
and a refused request stored nothing. Hypothesis shrinks a failure to its smallest input.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from devstack.stack import LocalStack
from devstack.template import Route
from tests.integration.conftest import TenantFixture
from tests.integration.fuzz import strategies as hostile
from tests.integration.fuzz.probe import Probe
from tests.support.routes import concrete, takes_api_key

# The probe reads everything stored before and after each request: each test starts from an
# empty table, so that is what the test stored, not all that the tests before it left.
pytestmark = [pytest.mark.fresh_table, pytest.mark.slow]

BODY_METHODS = ("POST", "PATCH", "PUT")


class Caller:
    """Credentials for a route: the tenant's API key, or a fresh admin token per request
    (a new subject each time, so the per-user hourly limit does not end the run)."""

    def __init__(self, tenant: TenantFixture) -> None:
        self.tenant = tenant
        self.key = tenant.api_key(rate_limit=100_000)

    def headers(self, route: Route) -> dict[str, str]:
        credential = self.key if takes_api_key(route.path) else self.tenant.token("admin")
        return self.tenant.headers(credential)


@pytest.fixture
def probe(api: httpx.Client, stack: LocalStack) -> Probe:
    return Probe(api, stack)


@pytest.fixture
def caller(tenant: TenantFixture) -> Caller:
    return Caller(tenant)


def _routes(
    stack: LocalStack, *, methods: tuple[str, ...] = (), params: bool = False
) -> list[Route]:
    found = [
        r
        for r in stack.gateway.routes
        if (not methods or r.method in methods) and (not params or "{" in r.path)
    ]
    return sorted(found, key=lambda r: r.route_key)


def test_hostile_bodies(stack: LocalStack, probe: Probe, caller: Caller) -> None:
    routes = _routes(stack, methods=BODY_METHODS)

    @given(st.sampled_from(routes).flatmap(lambda r: st.tuples(st.just(r), hostile.bodies(r.path))))
    def body_of(drawn: tuple[Route, tuple[bytes, dict[str, str]]]) -> None:
        route, (body, headers) = drawn
        probe.send(
            route.method, route.path, concrete(route.path), content=body,
            headers={**headers, **caller.headers(route)},
        )  # fmt: skip

    body_of()


def test_hostile_query_strings(stack: LocalStack, probe: Probe, caller: Caller) -> None:
    routes = _routes(stack, methods=("GET",))

    @given(st.sampled_from(routes), hostile.query_strings)
    def query_of(route: Route, params: list[tuple[str, str]]) -> None:
        probe.send(
            "GET", route.path, concrete(route.path), params=params, headers=caller.headers(route)
        )

    query_of()


def test_hostile_path_parameters(stack: LocalStack, probe: Probe, caller: Caller) -> None:
    routes = _routes(stack, params=True)

    @given(st.sampled_from(routes), hostile.path_values)
    def path_of(route: Route, value: str) -> None:
        body = b"{}" if route.method in BODY_METHODS else None
        probe.send(
            route.method, route.path, concrete(route.path, quote(value, safe="")),
            content=body, headers={"content-type": "application/json", **caller.headers(route)},
        )  # fmt: skip

    path_of()


def test_hostile_credentials(stack: LocalStack, probe: Probe) -> None:
    routes = _routes(stack)

    @given(st.sampled_from(routes), hostile.credentials)
    def credential_of(route: Route, credential: str) -> None:
        headers = {"authorization": credential.encode()} if credential else {}
        answer = probe.send(
            route.method, route.path, concrete(route.path), content=b"{}",
            headers={"content-type": "application/json", **headers},
        )  # fmt: skip
        if route.authorized:
            assert answer.status_code in (401, 403), (route.route_key, answer.text)

    credential_of()
