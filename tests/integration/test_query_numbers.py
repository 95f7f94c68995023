"""Numbers in query strings are read one way on every route: ASCII digits, or the route's
own validation error (never a 500, never a silently different number)."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import TenantFixture

# Text that Python or pydantic would read as a number, and text that is no number at all.
LOOSE = ["1_0", " 5", "5 ", "5.0", "+5", "\uff15", "\u00b2", "\u0663", "0x10", "1e1", "-1", ""]

# (path, parameter, credential, expected status, how the envelope names the refusal)
ROUTES = [
    ("/api/integration/v1/units", "per_page", "api_key", 422, ("code", "VALIDATION_ERROR")),
    ("/api/integration/v1/units", "page", "api_key", 422, ("code", "VALIDATION_ERROR")),
    ("/api/v1/sync/connections", "page", "admin", 400, ("code", "VALIDATION_ERROR")),
    ("/api/v1/sync/connections", "limit", "admin", 400, ("code", "VALIDATION_ERROR")),
    ("/api/v1/sync/runs", "page", "admin", 400, ("code", "VALIDATION_ERROR")),
    ("/api/v1/sync/runs", "limit", "admin", 400, ("code", "VALIDATION_ERROR")),
    ("/sync/logs", "limit", "admin", 400, ("error", "Parâmetros inválidos")),
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route[0]}?{route[1]}")
def test_a_loose_number_is_refused_in_the_routes_envelope(
    api: httpx.Client, tenant: TenantFixture, route: tuple[str, str, str, int, tuple[str, str]]
) -> None:
    path, param, credential, status, (field, text) = route
    secret = tenant.api_key() if credential == "api_key" else tenant.token("admin")
    headers = tenant.headers(secret)
    assert api.get(path, headers=headers, params={param: "5"}).status_code == 200

    for raw in LOOSE:
        answer = api.get(path, headers=headers, params={param: raw})
        assert answer.status_code == status, (raw, answer.text)
        assert str(answer.json()[field]).startswith(text), (raw, answer.text)
