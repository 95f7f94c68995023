"""The admin API for API clients: keys shown once, never listed, revocation per tenant."""

from __future__ import annotations

import httpx

from tests.integration.conftest import TenantFixture

ADMIN = "/api/admin/api-clients"
STATUS = "/api/integration/v1/sync-status"


def test_create_shows_the_key_once_and_it_works(api: httpx.Client, tenant: TenantFixture) -> None:
    admin = tenant.headers(tenant.token("admin"))

    created = api.post(
        ADMIN, headers=admin, json={"name": "ERP TOTVS", "scope": "read", "rate_limit": 120}
    )

    assert created.status_code == 201
    data = created.json()["data"]
    key = data["api_key"]
    assert key.startswith("pex_")
    assert len(key) == 36
    assert data["key_prefix"] == key[:10]
    assert (data["name"], data["scope"], data["rate_limit"], data["active"]) == (
        "ERP TOTVS",
        "read",
        120,
        True,
    )
    status = api.get(STATUS, headers=tenant.headers(key))
    assert status.status_code == 200
    assert status.headers["X-RateLimit-Limit"] == "120"

    listed = api.get(ADMIN, headers=admin)
    assert key not in listed.text
    assert key[10:] not in listed.text
    (client,) = listed.json()["data"]
    assert "api_key" not in client
    assert client["id"] == data["id"]
    assert client["last_used_at"] is not None


def test_default_rate_limit_is_60(api: httpx.Client, tenant: TenantFixture) -> None:
    created = api.post(
        ADMIN, headers=tenant.headers(tenant.token()), json={"name": "x", "scope": "full"}
    )
    assert created.json()["data"]["rate_limit"] == 60


def test_invalid_body_is_a_422_in_the_erp_envelope(
    api: httpx.Client, tenant: TenantFixture
) -> None:
    response = api.post(
        ADMIN, headers=tenant.headers(tenant.token()), json={"name": "", "scope": "admin"}
    )

    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "Validation error"
    assert body["errors"]["name"] == ["Deve ter ao menos 1 caractere(s)"]
    assert body["errors"]["scope"][0].startswith("Valor inválido")


def test_malformed_json_is_a_400(api: httpx.Client, tenant: TenantFixture) -> None:
    response = api.post(
        ADMIN,
        headers={**tenant.headers(tenant.token()), "content-type": "application/json"},
        content=b"{not json",
    )
    assert response.status_code == 400
    assert response.json()["message"] == "JSON inválido no corpo da requisição"


def test_admins_see_and_revoke_only_their_tenant(
    api: httpx.Client, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    tenant.api_key()
    theirs = api.post(
        ADMIN,
        headers=other_tenant.headers(other_tenant.token()),
        json={"name": "theirs", "scope": "full"},
    ).json()["data"]
    mine = tenant.headers(tenant.token())

    assert [c["name"] for c in api.get(ADMIN, headers=mine).json()["data"]] == ["test full"]
    response = api.delete(f"{ADMIN}/{theirs['id']}", headers=mine)
    assert response.status_code == 404
    assert api.get(STATUS, headers=other_tenant.headers(theirs["api_key"])).status_code == 200


def test_revoking_twice_is_harmless(api: httpx.Client, tenant: TenantFixture) -> None:
    admin = tenant.headers(tenant.token())
    client_id = api.post(ADMIN, headers=admin, json={"name": "x", "scope": "read"}).json()["data"][
        "id"
    ]
    first = api.delete(f"{ADMIN}/{client_id}", headers=admin)
    second = api.delete(f"{ADMIN}/{client_id}", headers=admin)
    assert first.status_code == second.status_code == 200
    assert first.json()["data"]["revoked_at"] == second.json()["data"]["revoked_at"]
