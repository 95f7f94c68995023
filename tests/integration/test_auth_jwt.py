"""JWT users through the real authorizer: valid tokens pass, every listed attack is a 401."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from devstack.stack import LocalStack
from tests.integration.conftest import TenantFixture

ADMIN = "/api/admin/api-clients"


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(stack: LocalStack, tenant: TenantFixture, **extra: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": stack.idp.issuer,
        "aud": stack.idp.audience,
        "sub": "attacker",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "custom:tenant_id": tenant.id,
        "custom:role": "admin",
    }
    claims.update(extra)
    return claims


def _assert_invalid_token(api: httpx.Client, token: str) -> None:
    response = api.get(ADMIN, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] in {"INVALID_TOKEN", "MALFORMED_CREDENTIALS"}


def test_valid_admin_token_is_accepted(api: httpx.Client, tenant: TenantFixture) -> None:
    response = api.get(ADMIN, headers=tenant.headers(tenant.token("admin")))
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Limit"] == "1000"


def test_alg_none_is_refused(api: httpx.Client, stack: LocalStack, tenant: TenantFixture) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": stack.idp.kid}
    token = f"{_b64(header)}.{_b64(_claims(stack, tenant))}."
    _assert_invalid_token(api, token)


def test_hmac_signed_with_the_public_key_is_refused(
    api: httpx.Client, stack: LocalStack, tenant: TenantFixture
) -> None:
    public_pem = jwt.algorithms.RSAAlgorithm.from_jwk(stack.idp.jwks()["keys"][0]).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": stack.idp.kid}
    signing_input = f"{_b64(header)}.{_b64(_claims(stack, tenant))}"
    import hashlib
    import hmac

    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    _assert_invalid_token(api, token)


def test_tampered_payload_is_refused(
    api: httpx.Client, stack: LocalStack, tenant: TenantFixture
) -> None:
    header, _, signature = tenant.token("professor").split(".")
    forged = _b64(_claims(stack, tenant, **{"custom:role": "admin"}))
    _assert_invalid_token(api, f"{header}.{forged}.{signature}")


def test_unknown_kid_is_refused(
    api: httpx.Client, stack: LocalStack, tenant: TenantFixture
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(
        _claims(stack, tenant), stranger, algorithm="RS256", headers={"kid": "someone-else"}
    )
    _assert_invalid_token(api, token)


def test_foreign_key_under_our_kid_is_refused(
    api: httpx.Client, stack: LocalStack, tenant: TenantFixture
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(
        _claims(stack, tenant), stranger, algorithm="RS256", headers={"kid": stack.idp.kid}
    )
    _assert_invalid_token(api, token)


def test_es256_header_against_an_rsa_key_is_refused(
    api: httpx.Client, stack: LocalStack, tenant: TenantFixture
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(
        _claims(stack, tenant), key, algorithm="ES256", headers={"kid": stack.idp.kid}
    )
    _assert_invalid_token(api, token)


@pytest.mark.parametrize(
    "override",
    [
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"nbf": int(time.time()) + 3600},
        {"iss": "https://evil.example.com"},
        {"aud": "another-app"},
        {"custom:tenant_id": ""},
        {"sub": ""},
        {"sub": "   "},
    ],
    ids=[
        "expired",
        "not-yet-valid",
        "wrong-issuer",
        "wrong-audience",
        "no-tenant",
        "empty-sub",
        "blank-sub",
    ],
)
def test_claims_are_checked(
    api: httpx.Client, stack: LocalStack, tenant: TenantFixture, override: dict[str, object]
) -> None:
    token = stack.idp.mint(tenant.id, "admin")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(override)
    # Re-sign with the real key, so only the claim is wrong.
    resigned = jwt.encode(claims, stack.idp._key, algorithm="RS256", headers={"kid": stack.idp.kid})
    _assert_invalid_token(api, resigned)


@pytest.mark.parametrize(
    "path", ["/api/admin/api-clients", "/api/hierarquia/instituicoes", "/sync/accounts",
             "/api/v1/sync/connections", "/admin/integrations/movidesk/api/settings"],
)  # fmt: skip
def test_a_token_with_an_empty_subject_is_refused_on_every_api(
    api: httpx.Client, tenant: TenantFixture, path: str
) -> None:
    """Every such caller would share one rate-limit key (and name no one in the audit)."""
    token = tenant.token("admin", claims={"sub": ""})
    response = api.get(path, headers=tenant.headers(token))
    assert response.status_code == 401, response.text


@pytest.mark.parametrize("role", ["coordinator", "professor", "guardian", "stranger"])
def test_non_admin_roles_are_forbidden(api: httpx.Client, tenant: TenantFixture, role: str) -> None:
    response = api.get(ADMIN, headers=tenant.headers(tenant.token(role)))
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"


def test_api_key_cannot_use_the_admin_api(api: httpx.Client, tenant: TenantFixture) -> None:
    response = api.get(ADMIN, headers=tenant.headers(tenant.api_key()))
    assert response.status_code == 403


@pytest.mark.parametrize("tenant_id", ["ghost-tenant", "a#b", "T#x#KOMMO"])
def test_a_token_for_a_tenant_that_does_not_exist_gets_nothing(
    api: httpx.Client, stack: LocalStack, tenant_id: str
) -> None:
    """An admin token of a tenant Ponte does not know creates nothing, anywhere."""
    token = stack.idp.mint(tenant_id, "admin")
    headers = {"Authorization": f"Bearer {token}"}

    created = api.post(
        "/sync/accounts",
        headers=headers,
        json={"subdomain": "ghost", "role": "master", "token": "a-token-long-enough"},
    )
    listed = api.get("/api/v1/sync/connections", headers=headers)

    assert created.status_code == 401
    assert created.json()["error"] == "Tenant desconhecido ou inativo"
    assert (listed.status_code, listed.json()["code"]) == (401, "UNAUTHORIZED")
