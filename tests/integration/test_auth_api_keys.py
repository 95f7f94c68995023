"""API-key authentication, scopes, rate limits and tenant isolation through the real authorizer."""

from __future__ import annotations

import httpx
import pytest

from ponte.domain.tenancy import Scope
from ponte.repository import counters
from tests.integration.conftest import TenantFixture
from tests.support.virtual_time import VirtualClock

STATUS = "/api/integration/v1/sync-status"


def _erp_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["errors"], dict)
    return body


def test_missing_credentials(api: httpx.Client) -> None:
    _erp_error(api.get(STATUS), 401, "MISSING_CREDENTIALS")


@pytest.mark.parametrize(
    "authorization",
    [
        "pex_" + "a" * 32,  # no scheme
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer pex_short",
        "Bearer pex_" + "a" * 31 + "!",
        "Bearer not-a-jwt",
    ],
)
def test_malformed_credentials(api: httpx.Client, authorization: str) -> None:
    response = api.get(STATUS, headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["code"] in {"MALFORMED_CREDENTIALS", "MISSING_CREDENTIALS"}


def test_unknown_key(api: httpx.Client, tenant: TenantFixture) -> None:
    response = api.get(STATUS, headers=tenant.headers("pex_" + "Z" * 32))
    body = _erp_error(response, 401, "INVALID_API_KEY")
    assert body["message"] == "Chave de API inválida"


def test_revoked_key_stops_working(api: httpx.Client, tenant: TenantFixture) -> None:
    key = tenant.api_key(Scope.READ)
    assert api.get(STATUS, headers=tenant.headers(key)).status_code == 200
    admin = tenant.headers(tenant.token("admin"))
    client_id = next(
        c["id"] for c in api.get("/api/admin/api-clients", headers=admin).json()["data"]
    )

    revoked = api.delete(f"/api/admin/api-clients/{client_id}", headers=admin)

    assert revoked.status_code == 200
    assert revoked.json()["data"]["active"] is False
    _erp_error(api.get(STATUS, headers=tenant.headers(key)), 401, "REVOKED_API_KEY")


@pytest.mark.parametrize("scope", [Scope.READ, Scope.FULL])
def test_read_scopes_read(api: httpx.Client, tenant: TenantFixture, scope: Scope) -> None:
    response = api.get(STATUS, headers=tenant.headers(tenant.api_key(scope)))

    assert response.status_code == 200
    client = response.json()["data"]["api_client"]
    assert client == {"name": f"test {scope}", "scope": scope.value, "rate_limit": 60}


def test_write_scope_cannot_read(api: httpx.Client, tenant: TenantFixture) -> None:
    response = api.get(STATUS, headers=tenant.headers(tenant.api_key(Scope.WRITE)))
    _erp_error(response, 403, "FORBIDDEN")


def test_user_token_is_not_an_api_client(api: httpx.Client, tenant: TenantFixture) -> None:
    response = api.get(STATUS, headers=tenant.headers(tenant.token("admin")))
    _erp_error(response, 403, "FORBIDDEN")


def test_rate_limit_headers_429_and_window_reset(
    api: httpx.Client, tenant: TenantFixture, clock: VirtualClock
) -> None:
    headers = tenant.headers(tenant.api_key(Scope.READ, rate_limit=3))
    clock.advance(60 - clock.now().second)  # start of a minute window

    remaining = []
    for _ in range(3):
        response = api.get(STATUS, headers=headers)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]

    clock.advance(15)
    limited = api.get(STATUS, headers=headers)
    body = _erp_error(limited, 429, "RATE_LIMITED")
    assert "Limite de requisições" in str(body["message"])
    assert limited.headers["Retry-After"] == "45"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    reset = int(limited.headers["X-RateLimit-Reset"])
    assert reset == int(clock.now().timestamp()) + 45

    clock.advance(45)
    assert api.get(STATUS, headers=headers).status_code == 200


def test_limits_are_per_client(
    api: httpx.Client, tenant: TenantFixture, clock: VirtualClock
) -> None:
    first = tenant.headers(tenant.api_key(Scope.READ, rate_limit=1))
    second = tenant.headers(tenant.api_key(Scope.READ, rate_limit=1))
    assert api.get(STATUS, headers=first).status_code == 200
    assert api.get(STATUS, headers=first).status_code == 429
    assert api.get(STATUS, headers=second).status_code == 200


def test_a_key_of_tenant_a_never_reads_tenant_b(
    api: httpx.Client, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    counters.add(other_tenant.id, {"total_students": 850, "total_units": 3})
    counters.add(tenant.id, {"total_units": 1})

    mine = api.get(STATUS, headers=tenant.headers(tenant.api_key(Scope.READ))).json()["data"]
    theirs = api.get(STATUS, headers=other_tenant.headers(other_tenant.api_key(Scope.READ))).json()[
        "data"
    ]

    assert mine["entities"]["units"] == {"total": 1}
    assert mine["entities"]["students"] == {"total": 0}
    assert theirs["entities"]["students"] == {"total": 850}


def test_sync_status_shape_before_any_sync(api: httpx.Client, tenant: TenantFixture) -> None:
    body = api.get(STATUS, headers=tenant.headers(tenant.api_key())).json()

    assert body["success"] is True
    assert body["data"]["last_sync"] is None
    assert list(body["data"]["entities"]) == [
        "units",
        "areas",
        "courses",
        "subjects",
        "professors",
        "students",
        "enrollments",
    ]
    assert all(v == {"total": 0} for v in body["data"]["entities"].values())
