"""The probe itself: a refused request during which something was stored is a failure."""

from __future__ import annotations

import gzip
from typing import Any

import boto3
import httpx
import pytest

from devstack.stack import LocalStack
from ponte.services import tenancy
from tests.integration.conftest import TenantFixture
from tests.integration.fuzz.probe import STATS, Probe

ROUTE = "/api/integration/v1/units/sync"


def _store_item(stack: LocalStack, tenant: TenantFixture) -> None:
    tenancy.create_tenant(f"{tenant.id}-x", "stored behind the answer's back")


def _store_object(stack: LocalStack, tenant: TenantFixture) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = s3.list_buckets()["Buckets"][0]["Name"]
    s3.put_object(Bucket=bucket, Key=f"{tenant.id}/behind-the-back.json", Body=b"{}")


def _store_secret(stack: LocalStack, tenant: TenantFixture) -> None:
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=f"ponte/{tenant.id}/behind-the-back", SecretString="x"
    )


@pytest.mark.parametrize("store", [_store_item, _store_object, _store_secret])
def test_a_write_during_a_refused_request_is_caught(
    api: httpx.Client,
    stack: LocalStack,
    tenant: TenantFixture,
    monkeypatch: pytest.MonkeyPatch,
    store: Any,
) -> None:
    """A table item, an object in a bucket, a secret: each counts as stored."""
    probe = Probe(api, stack)
    headers = tenant.headers(tenant.api_key()) | {"content-type": "application/json"}
    request = api.request

    def writing(*args: Any, **kwargs: Any) -> httpx.Response:
        store(stack, tenant)
        return request(*args, **kwargs)

    monkeypatch.setattr(api, "request", writing)
    failures = set(STATS.failures)
    try:
        with pytest.raises(AssertionError, match="refused with 400, yet changed what is stored"):
            probe.send("POST", ROUTE, ROUTE, content=b"{not json", headers=headers)
    finally:
        STATS.failures = failures  # the fuzz summary counts real failures only


def test_a_refused_request_that_stores_nothing_passes(
    api: httpx.Client, stack: LocalStack, tenant: TenantFixture
) -> None:
    """Binary attributes (a gzip record) among what is stored are compared too."""
    boto3.client("dynamodb", region_name="us-east-1").put_item(
        TableName=stack.table_name,
        Item={"PK": {"S": f"TENANT#{tenant.id}#PROBE"}, "SK": {"S": "gzip"},
              "body": {"B": gzip.compress(b"{}")}},
    )  # fmt: skip
    headers = tenant.headers(tenant.api_key()) | {"content-type": "application/json"}

    answer = Probe(api, stack).send("POST", ROUTE, ROUTE, content=b"{not json", headers=headers)

    assert answer.status_code == 400


def test_a_dot_segment_for_a_path_parameter_is_the_gateways_404(
    api: httpx.Client, stack: LocalStack, tenant: TenantFixture
) -> None:
    """``/api-clients/.`` is sent as ``/api-clients`` (the client removes dot segments), where
    no DELETE route is: answered by the gateway as API Gateway answers it."""
    route = "/api/admin/api-clients/{client_id}"
    headers = tenant.headers(tenant.token("admin"))

    answer = Probe(api, stack).send("DELETE", route, "/api/admin/api-clients/.", headers=headers)

    assert answer.request.url.path == "/api/admin/api-clients"
    assert (answer.status_code, answer.json()) == (404, {"message": "Not Found"})
