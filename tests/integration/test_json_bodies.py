"""Every route that reads a JSON body refuses an integer longer than Python converts (4,300
digits) with a 400 in its API's envelope, with nothing stored; never a 500. (Routes that
read no body, an upload's or a stop, answer as they always do.)"""

from __future__ import annotations

import httpx
import pytest

from devstack.stack import LocalStack
from tests.integration.conftest import TenantFixture
from tests.integration.fuzz.probe import Probe
from tests.integration.fuzz.test_hostile_requests import BODY_METHODS, Caller
from tests.support.routes import concrete

BIG = b"1" + b"0" * 5000


@pytest.mark.parametrize("body", [b'{"x": ' + BIG + b"}", b"[-" + BIG + b"]", BIG])
def test_an_integer_of_thousands_of_digits_is_a_4xx_on_every_json_route(
    stack: LocalStack, api: httpx.Client, tenant: TenantFixture, body: bytes
) -> None:
    probe, caller = Probe(api, stack), Caller(tenant)
    routes = sorted(
        (r for r in stack.gateway.routes if r.method in BODY_METHODS), key=lambda r: r.route_key
    )
    assert len(routes) > 20
    refused = 0
    for route in routes:  # the probe checks: no 5xx, the envelope, nothing stored
        headers = {"content-type": "application/json", **caller.headers(route)}
        answer = probe.send(route.method, route.path, concrete(route.path), content=body,
                            headers=headers)  # fmt: skip
        refused += answer.status_code == 400
    assert refused >= len(routes) - 5, refused  # uploads, stops and the like read no body
